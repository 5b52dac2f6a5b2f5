"""`orchestrator test [NAME...]`: run the behaviour tests (`kind: test` specs) of the project.

By default the specs under test are deployed as short-lived copies (test_copies.py) under their own
ownership claim and deleted at the end, also on failure and Ctrl-C; `--against-live` talks to the
deployed objects instead. Exit 0 when no case failed (skips allowed), 1 otherwise, 130 on Ctrl-C.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import click

from orchestrator.app.project import Invalid
from orchestrator.app.state import load_state
from orchestrator.cli.common import (
    directory_option,
    environment_option,
    output_option,
    parallelism_option,
    resolve_root,
    target_option,
    tool_timeout_option,
    turn_timeout_option,
)
from orchestrator.cli.events import events_option, make_bus
from orchestrator.cli.output import echo
from orchestrator.cli.previews import preview_option
from orchestrator.cli.report import TERMINAL
from orchestrator.errors import OrchestratorError

RENDERERS = ("text", "json", "junit", "markdown")
DEFAULT_PARALLELISM = 4
BUDGET_TURN_TOKENS = 4000  # what --budget assumes a turn (or a grader's verdict) can use without `max_tokens`


@click.command()
@click.argument("names", nargs=-1, metavar="[NAME]...")
@directory_option
@environment_option
@target_option
@click.option(
    "--case", "case_glob", default=None, metavar="GLOB", help="Only the cases whose name matches GLOB."
)
@click.option(
    "--repeat",
    type=click.IntRange(1, 100),
    default=None,
    metavar="N",
    help="Run every case N times (over each case's own `repeat`).",
)
@parallelism_option(
    default=None,
    metavar="N",
    help="Run N cases at a time; the report stays in file order. [default: 4; 1 with --budget, so the "
    "run stops at the case that spends it]",
)
@click.option(
    "--baseline",
    "baseline_rev",
    default=None,
    metavar="REV",
    help="Also run the cases against the specs as they were at git revision REV (a pull request's base) "
    "and show each case as base -> head, regressions first.",
)
@click.option(
    "--pass-at",
    type=click.IntRange(1, 100),
    default=None,
    metavar="N",
    help="A case passes when N of its runs pass (over each case's own `pass_at`; at most the runs).",
)
@click.option(
    "--budget",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="USD",
    help="Refuse to start when the worst case could cost more than USD (runs x turns x "
    f"{BUDGET_TURN_TOKENS} tokens, or the turn's max_tokens, at the model's price); stop once spent.",
)
@click.option(
    "--against-live",
    is_flag=True,
    help="Talk to the deployed objects instead of short-lived copies (conversations only, no writes).",
)
@preview_option
@output_option(*RENDERERS, help="Report format (text lines stream while the run goes on).")
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Write the report to FILE (stdout keeps the text lines).",
)
@tool_timeout_option("Per tool call.")
@turn_timeout_option("Give up on a turn after S seconds.")
@events_option
def test(
    names: tuple[str, ...],
    directory: Path | None,
    environment: str | None,
    target: str | None,
    case_glob: str | None,
    repeat: int | None,
    parallelism: int | None,
    baseline_rev: str | None,
    pass_at: int | None,
    budget: float | None,
    against_live: bool,
    preview: str | None,
    output: str,
    out_file: Path | None,
    tool_timeout: float,
    turn_timeout: float,
    events: Path | None,
) -> int:
    """Run the behaviour tests of the named tests or specs (all by default).

    A NAME is a test (`kind: test`) or a spec under test (its tests). On a target without a real model
    (the embedded `local` emulator) each turn's `model:` script decides what the model does; a case
    that needs a real model is skipped with the reason, never passed.

    \b
    Examples:
      orchestrator test                          # every test, on short-lived copies
      orchestrator test spanish-tutor --case '*grammar*'
      orchestrator test -o junit --out report.xml
      orchestrator test --baseline origin/main -o markdown --out comment.md
      orchestrator test -e prod --against-live --repeat 3
      orchestrator test -t openai --repeat 4 --pass-at 2 --budget 0.50
    """
    if pass_at is not None and repeat is not None and pass_at > repeat:
        raise click.BadParameter(
            f"{pass_at} is more than the {repeat} runs of --repeat", param_hint="--pass-at"
        )
    try:
        state = load_state(resolve_root(directory), environment, target, reporter=TERMINAL, preview=preview)
    except Invalid:
        return 1
    against_live = against_live or preview is not None  # a preview's objects are talked to, like live ones
    tests = pick_tests(state, names)
    if not tests:
        echo(
            f"No tests in environment {state.environment.name}: add a spec with `kind: test` "
            "(`orchestrator schema test` prints its schema).",
            err=True,
        )
        return 0
    from orchestrator.runtime.behaviour import select_cases

    if case_glob and not any(select_cases(t, case_glob) for t in tests):
        raise OrchestratorError(
            f"no case matches --case {case_glob!r} (cases: "
            + ", ".join(f"`{c.name}`" for t in tests for c in t.cases)
            + ")"
        )
    tests = [t for t in tests if select_cases(t, case_glob)]
    if baseline_rev is not None and against_live:
        raise OrchestratorError(
            "--baseline runs the cases on short-lived copies of the specs at REV; it cannot be "
            f"combined with {'--preview' if preview is not None else '--against-live'}"
        )
    if parallelism is None:  # with a budget, one case at a time: no case starts once it is spent
        parallelism = 1 if budget is not None else DEFAULT_PARALLELISM
    with ExitStack() as scope:
        try:
            baseline = (
                None if baseline_rev is None else scope.enter_context(baseline_state(state, baseline_rev))
            )
        except Invalid:
            return 1
        return _run(
            state,
            tests,
            baseline,
            case_glob=case_glob,
            repeat=repeat,
            parallelism=parallelism,
            pass_at=pass_at,
            budget=budget,
            against_live=against_live,
            output=output,
            out_file=out_file,
            tool_timeout=tool_timeout,
            turn_timeout=turn_timeout,
            events=events,
        )


def _run(
    state: Any,
    tests: list[Any],
    baseline: Any,
    *,
    case_glob: str | None,
    repeat: int | None,
    parallelism: int,
    pass_at: int | None,
    budget: float | None,
    against_live: bool,
    output: str,
    out_file: Path | None,
    tool_timeout: float,
    turn_timeout: float,
    events: Path | None,
) -> int:
    from orchestrator.cli.progress import Activity
    from orchestrator.engine.test_results import TestReport
    from orchestrator.runtime.behaviour import ScriptChannel, run_tests, select_cases
    from orchestrator.runtime.conversation import Limits, Session
    from orchestrator.secrets import redact
    from orchestrator.views.test_report import render_case_line, render_summary

    bus = make_bus(events)
    # case lines in the order cases finish on a terminal; in file order (still streamed) in a log or a pipe
    in_order = not click.get_text_stream(
        "stderr" if output != "text" and out_file is None else "stdout"
    ).isatty()
    scripted = state.target.type == "local"  # the embedded emulator: no real model
    limits = Limits(turn_timeout_s=turn_timeout, tool_timeout_s=tool_timeout)
    stream_err = output != "text" and out_file is None  # stdout is the report's

    total = sum(len(select_cases(t, case_glob)) for t in tests)
    activity = Activity("running behaviour tests", delay=0.5)
    done = 0

    base_results: dict[tuple[str, str], Any] = {}

    def shown(case: Any) -> None:
        nonlocal done
        done += 1
        if baseline is not None:
            case = with_baseline(case, base_results)
        with activity.cleared():
            echo(redact(render_case_line(case)), nl=False, err=stream_err)
        activity.update(f"running behaviour tests: {done} of {total} cases done")
        bus.publish(
            "test_case_finished",
            test=case.test,
            case=case.case,
            spec=case.spec,
            status=case.status.value,
            runs=len(case.attempts),
            passes=case.passes,
            pass_at=case.pass_at,
            flaky=case.flaky,
            reason=case.reason or None,
            tokens=case.tokens,
            cost_usd=case.cost_usd,
            duration_s=case.duration_s,
            **({"baseline": case.base_status} if case.compared else {}),
        )

    interrupted = False
    results: tuple[Any, ...] = ()
    from orchestrator.app.live import connect
    from orchestrator.cli.test_copies import Copies, test_environment

    owner_env = state.environment if against_live else test_environment(state.environment)
    with connect(state.project, state.target, owner_env, reporter=TERMINAL) as live:
        sdk = live.connection.sdk
        channel: ScriptChannel | None = ScriptChannel(str(sdk.base_url), sdk.api_key)
        # an emulator's built-in model is no real model (`orchestrator serve` included); its model stand-in is
        model = channel.model()
        scripted = model != "stand-in" if scripted else model == "scripted"
        channel = channel if scripted else None
        from orchestrator.runtime.behaviour import Budget, skip_reason

        spend = None
        if budget is not None:
            spend = Budget(budget)
            both = tests + (
                [t for t in tests if t.spec in baseline.state.specs] if baseline is not None else []
            )
            check_budget(state, both, case_glob, repeat, budget, scripted=scripted)  # before any write
        spend_cents = (lambda: spend.left_cents()) if spend is not None else lambda: None
        run_cases = partial(
            run_tests,
            scripted=scripted,
            channel=channel,
            case_glob=case_glob,
            repeat=repeat,
            backend=state.target.backend,
            pass_at=pass_at,
            budget=spend,
            parallelism=parallelism,
        )

        def attach(on: Any, name: str) -> Any:
            """A session on spec `name` of state `on` (the live specs, or the copies of them)."""
            return Session.attach(on, name, sdk, limits=limits, bus=bus, spend_limit_cents=spend_cents())

        try:
            if against_live:

                def open_live(test: Any) -> Any:
                    return attach(state, test.spec)

                with activity:
                    results = run_cases(tests, open_live, on_case=shown, in_order=in_order)
            else:

                def on_copies(source: Any, chosen: list[Any], files_root: Path | None = None) -> Any:
                    needing = [
                        t
                        for t in chosen
                        if any(
                            skip_reason(c, scripted=scripted, backend=state.target.backend) is None
                            for c in select_cases(t, case_glob)
                        )
                    ]  # only those
                    return Copies(
                        source,
                        needing,
                        live,
                        bus=bus,
                        say=lambda line: echo(line, err=True),
                        home=state.project,
                        files_root=files_root,
                    )

                if baseline is not None:
                    at_base = [t for t in tests if t.spec in baseline.state.specs]  # the others are new
                    with ExitStack() as base_scope:
                        try:
                            copies = base_scope.enter_context(
                                on_copies(baseline.state, at_base, baseline.state.project.root)
                            )
                        except OrchestratorError as exc:
                            raise OrchestratorError(
                                f"at baseline {baseline.rev} ({baseline.commit[:7]}): {exc}"
                            ) from None
                        base_scope.enter_context(
                            Activity(f"running the cases at baseline {baseline.commit[:7]}", delay=0.5)
                        )
                        # the working tree's handlers on both sides: no Python is imported from a revision
                        handlers = replace(copies.state, project=state.project)

                        def open_base(test: Any) -> Any:
                            return attach(handlers, copies.name_of(test))

                        for case in run_cases(at_base, open_base):
                            base_results[(case.test, case.case)] = case
                with on_copies(state, tests) as copies:

                    def open_copy(test: Any) -> Any:
                        return attach(copies.state, copies.name_of(test))

                    with activity:
                        results = run_cases(tests, open_copy, on_case=shown, in_order=in_order)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if channel is not None:
                channel.close()
    if baseline is not None:
        results = compared(results, base_results)
    report = TestReport(
        state.project.name,
        state.environment.name,
        state.target.name,
        state.target.backend,
        "live" if against_live else "copies",
        scripted,
        results,
        baseline=baseline.rev if baseline is not None else None,
        baseline_commit=baseline.commit if baseline is not None else None,
        stopped=spend.stopped if spend is not None else "",
    )
    echo(render_summary(report), nl=False, err=stream_err)
    if output != "text" or out_file is not None:
        text = redact(render_report(report, output))
        if out_file is not None:
            from orchestrator.cli.common import caller_path

            path = caller_path(out_file)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise OrchestratorError(f"cannot write the report to {path}: {exc.strerror or exc}") from None
            echo(f"Report written to {out_file} ({output}).", err=True)
        else:
            echo(text, nl=False)
    if interrupted:
        return 130
    return 0 if report.ok else 1


def check_budget(
    state: Any, tests: list[Any], case_glob: str | None, repeat: int | None, budget: float, *, scripted: bool
) -> None:
    """Refuse a run whose worst case could cost more than --budget (the cases that would run, at the models of
    the specs they test)."""
    from orchestrator.runtime.behaviour import select_cases, skip_reason, usd, worst_case_usd

    cases = [
        (case, state.specs[test.spec].model, test.grader.model or state.specs[test.spec].model)
        for test in tests
        for case in select_cases(test, case_glob)
        if test.spec in state.specs
        and skip_reason(case, scripted=scripted, backend=state.target.backend) is None
    ]
    worst, unpriced = worst_case_usd(cases, repeat=repeat, turn_tokens=BUDGET_TURN_TOKENS)
    if unpriced:
        raise OrchestratorError(
            f"--budget: no price is known for model {', '.join(f'`{m}`' for m in unpriced)}, "
            "so the run's cost cannot be bounded; run without --budget"
        )
    if worst > budget:
        runs = sum(repeat or c.repeat or 1 for c, _, _ in cases)
        raise OrchestratorError(
            f"--budget ${usd(budget)}: the worst case of this run is ${usd(worst)} ({len(cases)} "
            f"case(s), {runs} run(s), up to {BUDGET_TURN_TOKENS} tokens a turn unless the turn "
            "has a `max_tokens` expectation); nothing was run. Raise the budget, lower --repeat "
            "or add `max_tokens` expectations"
        )


def render_report(report: Any, output: str) -> str:
    from orchestrator.views import test_report

    return {
        "text": lambda r: (
            "".join(test_report.render_case_line(c) for c in r.cases) + test_report.render_summary(r)
        ),
        "json": test_report.render_json,
        "junit": test_report.render_junit,
        "markdown": test_report.render_markdown,
    }[output](report)


def pick_tests(state: Any, names: tuple[str, ...]) -> list[Any]:
    """The tests NAMES select (a test by its name, a spec by its tests); all by default."""
    tests = [state.tests[name] for name in sorted(state.tests)]
    if not names:
        return tests
    picked = []
    for name in names:
        chosen = [t for t in tests if t.name == name or t.spec == name]
        if not chosen:
            import difflib

            known = sorted({t.name for t in tests} | {t.spec for t in tests})
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            if name in state.specs:
                raise OrchestratorError(
                    f"spec `{name}` has no tests; add a spec with `kind: test` and `spec: {name}`"
                )
            raise OrchestratorError(
                f"no test or tested spec `{name}`"
                + (f"; did you mean `{close[0]}`?" if close else "")
                + f" (tests: {', '.join(f'`{t.name}`' for t in tests) or 'none'})"
            )
        picked.extend(t for t in chosen if t not in picked)
    return picked


@dataclass(frozen=True, slots=True)
class Baseline:
    rev: str  # as the user gave it
    commit: str
    state: Any  # the desired state at the commit (its project root: a temporary folder)


@contextmanager
def baseline_state(state: Any, rev: str) -> Iterator[Baseline]:
    """The desired state of the specs at git revision rev (checked as `diff --rev` checks it), for the run's
    environment and target; its temporary tree is removed on exit."""
    from orchestrator.app.project import use_project_redactor
    from orchestrator.app.state import build_revision, describe
    from orchestrator.engine.git import describe_commits, require_repository, resolve_commit
    from orchestrator.engine.revisions import Snapshots

    repo = require_repository(state.project.root, "--baseline")
    commit = resolve_commit(repo, rev)
    with Snapshots(repo) as snapshots:
        built = build_revision(snapshots, commit, state, reporter=TERMINAL)
        use_project_redactor(state.project)  # the working tree's secrets stay redacted too
        if built.project.name != state.project.name:
            raise OrchestratorError(
                f"the project is `{built.project.name}` at revision {commit[:7]}, not "
                f"`{state.project.name}`: --baseline compares revisions of one project"
            )
        echo(f"Baseline: revision {describe(describe_commits(repo, [commit])[commit])}", err=True)
        yield Baseline(rev, commit, built)


def with_baseline(case: Any, base: dict[tuple[str, str], Any]) -> Any:
    """The head's case result carrying its result at the baseline (None: the case is new there)."""
    return replace(case, baseline=base.get((case.test, case.case)), compared=True)


def compared(results: tuple[Any, ...], base: dict[tuple[str, str], Any]) -> tuple[Any, ...]:
    """Each case with its baseline result, regressions first, then the other failures, then what changed (file
    order within each)."""
    from orchestrator.engine.test_results import change_rank

    return tuple(sorted((with_baseline(c, base) for c in results), key=change_rank))
