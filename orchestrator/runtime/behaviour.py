"""Run behaviour tests (`kind: test`): hold each case's conversation with a deployed assistant and check
what every turn shows (the tools called, the handlers' outputs, the reply, the budgets).

Every part is the real one: the user's message goes out as written, the server has the rendered spec as
deployed, the bound handlers run through the FunctionRegistry, which checks the arguments against the
function's JSON Schema first. On a target without a real model (the emulator) each turn's `model:` script
is posted to the emulator's admin API (ScriptChannel) and its built-in model follows it step by step.
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

from orchestrator.engine.test_results import Attempt, CaseResult, Grade, Status
from orchestrator.errors import OrchestratorError
from orchestrator.runtime.handlers import (
    HANDLER_UNAVAILABLE,
    INVALID_ARGUMENTS,
    INVALID_JSON,
    UNKNOWN_FUNCTION,
)
from orchestrator.spec.capabilities import cites_files
from orchestrator.spec.test_kind import BehaviourTest, Case, Expectation, GraderConfig, Step, Turn

NEEDS_MODEL = "needs a real model"
SCRIPT_ERRORS = frozenset({INVALID_ARGUMENTS, INVALID_JSON, UNKNOWN_FUNCTION, HANDLER_UNAVAILABLE})


class ScriptChannel:
    """The emulator's admin endpoint for scripted model steps (POST/DELETE /_emulator/script)."""

    def __init__(self, base_url: str, api_key: str | None) -> None:
        from orchestrator.constants import ADMIN_SCRIPT_PATH

        self._url = str(base_url).rstrip("/").removesuffix("/v1") + ADMIN_SCRIPT_PATH
        self._headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        self._guard = threading.Lock()
        self._holds: dict[str, threading.Lock] = {}

    def _send(self, method: str, url: str, body: Any = None) -> tuple[int, str]:
        import urllib.error
        import urllib.request

        data = json.dumps(body).encode() if body is not None else None
        headers = {**self._headers, **({"content-type": "application/json"} if data else {})}
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")
        except OSError as error:
            raise OrchestratorError(f"cannot reach the emulator's script endpoint: {error}") from None

    def model(self) -> str | None:
        """What answers the target's unscripted turns when it is an orchestrator emulator (`serve`, whose
        health endpoint answers): "scripted" (the built-in model: no real model) or "stand-in" (the model
        stand-in, `serve --model-stand-in`: a real model for the runner); None for any other server. Asked of
        loopback addresses only, so a remote API never sees the probe."""
        from urllib.parse import urlsplit

        from orchestrator.constants import ADMIN_HEALTH_PATH, ADMIN_SCRIPT_PATH

        host = urlsplit(self._url).hostname or ""
        if host not in ("127.0.0.1", "localhost", "::1"):
            return None
        try:
            status, text = self._send("GET", self._url.removesuffix(ADMIN_SCRIPT_PATH) + ADMIN_HEALTH_PATH)
            health = json.loads(text) if status == 200 else None
        except (OrchestratorError, ValueError):
            return None
        if not isinstance(health, dict) or health.get("status") != "ok":
            return None
        return "stand-in" if health.get("model") == "stand-in" else "scripted"

    def is_emulator(self) -> bool:
        """True when the target is an orchestrator emulator (`serve`), stand-in or not."""
        return self.model() is not None

    def set(self, key: str, steps: Sequence[Step]) -> None:
        status, text = self._send(
            "POST", self._url, {"key": key, "steps": [wire_step(step) for step in steps]}
        )
        if status != 200:
            raise OrchestratorError(
                f"the emulator refused the model script ({status}): {text[:300]}; "
                "is this target an orchestrator emulator?"
            )

    def clear(self, key: str) -> None:
        from urllib.parse import quote

        self._send("DELETE", f"{self._url}?key={quote(key)}")

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """One turn at a time on key (cases run on several threads)."""
        with self._guard:
            lock = self._holds.setdefault(key, threading.Lock())
        with lock:
            yield

    def close(self) -> None:
        pass


def wire_step(step: Step) -> dict[str, Any]:
    if step.calls:
        return {"calls": [{"name": c.name, "arguments": dict(c.arguments)} for c in step.calls]}
    if step.fail is not None:
        return {"fail": step.fail}
    if step.search is not None:
        return {"search": step.search}
    return {"reply": step.reply or ""}


def select_cases(test: BehaviourTest, pattern: str | None) -> list[Case]:
    return [case for case in test.cases if pattern is None or fnmatch.fnmatchcase(case.name, pattern)]


def skip_reason(case: Case, *, scripted: bool, backend: str = "assistants") -> str | None:
    """Why the case cannot run on this target (never passed instead)."""
    if case.cites and not cites_files(backend):
        return (
            "`citation` expectations need file_search, which agent sessions do not have (knowledge files "
            "are workspace files there)"
        )
    if case.graded and scripted:
        return f"{NEEDS_MODEL}: `graded` expectations are judged by a grader model"
    if scripted:
        missing = [i for i, turn in enumerate(case.turns, start=1) if turn.script is None]
        if missing:
            return f"{NEEDS_MODEL}: turn {missing[0]} has no `model:` script and this target has no model"
    return None


def run_case(
    test: BehaviourTest,
    case: Case,
    open_session: Callable[[], Any],
    *,
    scripted: bool,
    channel: ScriptChannel | None,
    repeat: int | None = None,
    backend: str = "assistants",
    pass_at: int | None = None,
    stop: Callable[[float], str] | None = None,
) -> CaseResult:
    """The case run `repeat` times (or its own), passing when pass_at runs pass; stops once it cannot, or when
    `stop` says why the run must end (the budget is spent)."""
    times = repeat or case.repeat or 1
    pass_at = min(pass_at or case.pass_at or times, times)
    base = dict(
        test=test.name,
        case=case.name,
        spec=test.spec,
        file=test.file,
        line=case.line,
        pass_at=pass_at,
        repeat=times,
        expect_failure=case.expect_failure,
    )
    reason = skip_reason(case, scripted=scripted, backend=backend)
    if reason is not None:
        return CaseResult(status=Status.SKIPPED, reason=reason, **base)
    attempts: list[Attempt] = []
    stopped = ""
    for index in range(times):
        attempt = run_attempt(
            case, open_session, scripted=scripted, channel=channel, file=test.file, grader=test.grader
        )
        if case.expect_failure:
            attempt = Attempt(
                not attempt.ok,
                () if not attempt.ok else ("expected a failure, but every turn met its expectations",),
                attempt.tokens,
                attempt.cost_usd,
                attempt.latency_s,
                attempt.grades,
            )
        attempts.append(attempt)
        passes = sum(1 for a in attempts if a.ok)
        if passes + (times - index - 1) < pass_at:
            break  # fail fast: pass_at is out of reach (every run is made otherwise: flakiness shows)
        stopped = stop(sum(a.cost_usd or 0.0 for a in attempts)) if stop is not None else ""
        if stopped:
            break
    passes = sum(1 for a in attempts if a.ok)
    failed = next((a for a in attempts if not a.ok), None)
    status = Status.PASSED if passes >= pass_at else Status.FAILED
    reason = "" if failed is None or status is Status.PASSED else failed.failures[0]
    if stopped and status is Status.FAILED:
        reason = f"{stopped} after {len(attempts)} of {times} runs ({passes} passed, pass_at {pass_at})"
    return CaseResult(status=status, attempts=tuple(attempts), reason=reason, **base)


def run_attempt(
    case: Case,
    open_session: Callable[[], Any],
    *,
    scripted: bool,
    channel: ScriptChannel | None,
    file: str = "",
    grader: GraderConfig | None = None,
) -> Attempt:
    from orchestrator.runtime.conversation import TurnFailed

    failures: list[str] = []
    grades: list[Grade] = []
    tokens, cost, latency = 0, None, 0.0
    session = open_session()
    keys: set[str] = set()
    try:
        for number, turn in enumerate(case.turns, start=1):
            started = time.perf_counter()
            try:
                with ExitStack() as gate:
                    if scripted and channel is not None and turn.script is not None:
                        # the conversation's own key when it has one (nobody else's chat takes the steps), else
                        # the assistant's (an agent session is made by its first turn): then the cases running
                        # at the same time take turns with it, and its leftover steps go with the turn
                        key = getattr(session, "thread_id", None) or session.assistant_id
                        if key == session.assistant_id:
                            gate.enter_context(channel.hold(key))
                            gate.callback(channel.clear, key)
                        else:
                            keys.add(key)
                        channel.set(key, turn.script)
                    started = time.perf_counter()
                    reply = session.send(turn.user)
            except TurnFailed as failed:
                latency += time.perf_counter() - started
                tokens += failed.usage.total_tokens
                cost = _add(cost, failed.cost_usd)
                failures.append(f"turn {number}: the turn failed ({failed.status}): {failed.message}")
                break
            elapsed = time.perf_counter() - started
            latency += elapsed
            tokens += reply.usage.total_tokens
            cost = _add(cost, reply.cost_usd)
            graded_before = len(grades)
            found = check_turn(
                turn,
                reply,
                elapsed,
                scripted=scripted,
                file=file,
                citations=lambda r=reply: citations(session, r),
                grade_with=grader_for(session, reply, grader or GraderConfig(), grades),
            )
            for verdict in grades[graded_before:]:
                tokens += verdict.tokens
                cost = _add(cost, verdict.cost_usd)
            failures.extend(f"turn {number}: {problem}" for problem in found)
            if found:
                break
    finally:
        for key in keys if channel is not None else ():
            channel.clear(key)
        forget(session)
        session.close()
    return Attempt(not failures, tuple(failures), tokens, cost, round(latency, 3), tuple(grades))


def grader_for(
    session: Any, reply: Any, config: GraderConfig, grades: list[Grade]
) -> Callable[[Expectation], str | None]:
    """Judge a `graded` expectation of this turn's reply: the grader's verdict joins grades; the problem, if
    any, is returned. The grader's model is the test's `grader.model`, else the model that answered."""

    def judge(expectation: Expectation) -> str | None:
        from orchestrator.runtime.grading import grade

        try:
            threads = getattr(session, "conversation_label", "thread") == "thread"
            verdict = grade(
                session.sdk,
                session.assistant_id,
                rubric=expectation.value,
                output=reply.text,
                model=config.model or reply.model,
                prompt=config.prompt,
                line=expectation.line,
                protocol="threads" if threads else "agents",
                spend_limit_cents=getattr(session, "spend_limit_cents", None),
            )
        except OrchestratorError as error:
            return f"graded: the grader failed: {error}"
        grades.append(verdict)
        if verdict.ok:
            return None
        score = f" (score {verdict.score:g})" if verdict.score is not None else ""
        return f"graded: the grader failed the reply{score}: {verdict.reason or 'no reason given'}"

    return judge


def forget(session: Any) -> None:
    """Delete the case's conversation (a thread or an agent session): a test leaves nothing behind."""
    conversation = getattr(session, "thread_id", None)
    if not conversation:
        return
    from orchestrator.runtime.conversation import _quiet

    try:
        with _quiet():
            if getattr(session, "conversation_label", "thread") == "thread":
                session.sdk.beta.threads.delete(conversation)
            else:
                session.sdk.beta.agents.sessions.delete(conversation)
    except Exception:  # best effort: the conversation is the test's own, never the deployed object
        pass


def _add(total: float | None, value: float | None) -> float | None:
    if value is None:
        return total
    return round((total or 0.0) + value, 6)


def check_turn(
    turn: Turn,
    reply: Any,
    elapsed_s: float,
    *,
    scripted: bool,
    citations: Callable[[], list[str] | None],
    file: str = "",
    grade_with: Callable[[Expectation], str | None] | None = None,
) -> list[str]:
    """Every unmet expectation of one turn, as a sentence; empty when the turn is as expected."""
    problems = []
    if scripted:
        for call in reply.tool_calls:
            if call.error_type in SCRIPT_ERRORS:
                problems.append(
                    f"scripted call `{call.name}`: {call.error_message} (the handler did not run)"
                )
    for expectation in turn.expect:
        if expectation.check == "graded":
            problem = (
                grade_with(expectation) if grade_with is not None else "graded: no grader on this target"
            )
        else:
            problem = check(expectation, reply, elapsed_s, citations)
        if problem is not None:
            problems.append(f"{problem} ({file}:{expectation.line})" if expectation.line else problem)
    return problems


def check(
    expectation: Expectation, reply: Any, elapsed_s: float, citations: Callable[[], list[str] | None]
) -> str | None:
    """Why the turn does not meet the expectation, or None when it does."""
    kind, value, options = expectation.check, expectation.value, expectation.options
    calls = list(reply.tool_calls)
    if kind == "tool_called":
        return _tool_called(value, options, calls)
    if kind == "not_tool_called":
        made = [c for c in calls if c.name == value]
        return f"`{value}` was called {len(made)} time(s), expected never" if made else None
    if kind == "tool_output":
        wanted = options.get("tool")
        outputs = [c.output for c in calls if wanted is None or c.name == wanted]
        if not outputs:
            called = f"`{wanted}` was not called" if wanted else "no function was called"
            return f"no tool output to check: {called}"
        if "not_contains" in value:
            bad = [o for o in outputs if match_text(value, o) is not None]
            return f"tool output: {match_text(value, bad[0])}" if bad else None
        results = [match_text(value, o) for o in outputs]
        return None if any(r is None for r in results) else f"tool output: {results[0]}"
    if kind == "reply":
        problem = match_text(value, reply.text)
        return f"reply: {problem}" if problem else None
    if kind == "citation":
        cited = citations()
        if cited is None:
            return "citation: this target reports no file citations"
        if value is True and not cited:
            return "citation: the reply cites no file"
        if isinstance(value, str) and not any(cites(name, value) for name in cited):
            return f"citation: the reply does not cite `{value}` (cites: {', '.join(cited) or 'none'})"
        if value is False and cited:
            return f"citation: expected none, the reply cites {', '.join(cited)}"
        return None
    if kind == "max_tokens":
        used = reply.usage.total_tokens
        return f"used {used} tokens, more than max_tokens {value}" if used > value else None
    if kind == "max_cost_usd":
        if reply.cost_usd is None:
            return f"max_cost_usd: no price is known for model `{reply.model}`"
        return (
            f"cost ${reply.cost_usd:.6f}, more than max_cost_usd ${value}" if reply.cost_usd > value else None
        )
    if kind == "max_latency_s":
        return f"took {elapsed_s:.2f} s, more than max_latency_s {value}" if elapsed_s > value else None
    if kind == "max_tool_rounds":
        return (
            f"{reply.rounds} tool rounds, more than max_tool_rounds {value}" if reply.rounds > value else None
        )
    raise OrchestratorError(f"no check for expectation `{kind}`")  # graded cases are skipped before


def _tool_called(name: str, options: Mapping[str, Any], calls: Sequence[Any]) -> str | None:
    named = [(index, c) for index, c in enumerate(calls, start=1) if c.name == name]
    if not named:
        made = ", ".join(sorted({c.name for c in calls})) or "none"
        return f"`{name}` was not called (called: {made})"
    matching, why = [], ""
    for index, call in named:
        try:
            arguments = json.loads(call.arguments) if call.arguments.strip() else {}
        except ValueError:
            why = f"its arguments are not JSON: {call.arguments[:80]}"
            continue
        if "arguments" in options and not is_subset(options["arguments"], arguments):
            why = (
                f"arguments {json.dumps(arguments, ensure_ascii=False)} do not contain "
                f"{json.dumps(options['arguments'], ensure_ascii=False)}"
            )
            continue
        if "arguments_schema" in options:
            problem = schema_problem(options["arguments_schema"], arguments)
            if problem:
                why = f"arguments {json.dumps(arguments, ensure_ascii=False)} do not meet arguments_schema: {problem}"
                continue
        matching.append(index)
    if not matching:
        return f"`{name}` was called, but {why}"
    if "count" in options and len(matching) != options["count"]:
        return f"`{name}` was called {len(matching)} time(s) as expected, not {options['count']}"
    if "order" in options and options["order"] not in matching:
        return f"`{name}` was call number {', '.join(map(str, matching))} of the turn, not {options['order']}"
    return None


def is_subset(expected: Any, actual: Any) -> bool:
    """expected is a JSON subset of actual: objects by key (recursively), anything else by equality."""
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            k in actual and is_subset(v, actual[k]) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(is_subset(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return bool(expected == actual and type(expected) is type(actual)) or (
        isinstance(expected, int | float)
        and isinstance(actual, int | float)
        and not isinstance(expected, bool)
        and not isinstance(actual, bool)
        and expected == actual
    )


def schema_problem(schema: Mapping[str, Any], value: Any) -> str | None:
    from jsonschema import Draft202012Validator

    errors = sorted(
        Draft202012Validator(schema).iter_errors(value), key=lambda e: list(map(str, e.absolute_path))
    )
    if not errors:
        return None
    where = "/" + "/".join(map(str, errors[0].absolute_path))
    return f"at {where}: {errors[0].message}"


def match_text(match: Mapping[str, Any], text: str) -> str | None:
    """Why text does not match (equals, contains, not_contains, regex, json_schema), or None."""
    shown = text if len(text) <= 120 else text[:117] + "..."
    if "equals" in match and text != match["equals"]:
        return f"expected {match['equals']!r}, got {shown!r}"
    if "contains" in match and match["contains"] not in text:
        return f"{shown!r} does not contain {match['contains']!r}"
    if "not_contains" in match and match["not_contains"] in text:
        return f"{shown!r} contains {match['not_contains']!r}"
    if "regex" in match and re.search(match["regex"], text) is None:
        return f"{shown!r} does not match /{match['regex']}/"
    if "json_schema" in match:
        try:
            value = json.loads(text)
        except ValueError:
            return f"{shown!r} is not JSON"
        problem = schema_problem(match["json_schema"], value)
        if problem:
            return f"does not meet json_schema: {problem}"
    return None


def cites(filename: str, wanted: str) -> bool:
    """A cited file is the wanted one: by its name, or as its upload name (`...--specs__knowledge__a.md` for
    `specs/knowledge/a.md` or `a.md`)."""
    return filename == wanted or filename.endswith(
        ("--" + wanted.replace("/", "__"), "__" + wanted, "/" + wanted)
    )


def citations(session: Any, reply: Any) -> list[str] | None:
    """The file names the reply's messages cite (threads); None where the API reports no citations."""
    if getattr(session, "conversation_label", "thread") != "thread":
        return None
    from orchestrator.runtime.conversation import _quiet

    with _quiet():
        page = session.sdk.beta.threads.messages.list(
            reply.thread_id, run_id=reply.run_id, order="asc", limit=100
        )
        ids: list[str] = []
        for message in page.data:
            for part in message.content:
                if part.type != "text":
                    continue
                for note in part.text.annotations or ():
                    if note.type == "file_citation":
                        ids.append(note.file_citation.file_id)
        names = []
        for file_id in dict.fromkeys(ids):
            try:
                names.append(session.sdk.files.retrieve(file_id).filename)
            except Exception:  # a file deleted since: cite it by id
                names.append(file_id)
        return names


class Budget:
    """`--budget USD`: what the run may spend; once spent, the run stops (the cases left are not run)."""

    def __init__(self, limit_usd: float) -> None:
        self.limit_usd = limit_usd
        self.spent_usd = 0.0
        self.stopped = ""  # why the run stopped, once it has

    def reached(self, extra_usd: float = 0.0) -> str:
        """Why the run must stop once extra_usd more is spent (empty while money is left)."""
        spent = self.spent_usd + extra_usd
        if spent < self.limit_usd:
            return ""
        return f"the budget of ${usd(self.limit_usd)} is spent (${spent:.6f})"

    def left_cents(self) -> int:
        """What is left, in whole cents (the unit of an agent session's spend limit), at least 1."""
        import math

        return max(1, math.floor((self.limit_usd - self.spent_usd) * 100))


def usd(amount: float) -> str:
    """An amount of USD as written on the command line: 0.5, 0.000045 (no exponent, no trailing zeros)."""
    return f"{amount:.6f}".rstrip("0").rstrip(".") if amount < 1000 else f"{amount:.2f}"


def worst_case_usd(
    cases: Iterable[tuple[Case, str, str]], *, repeat: int | None, turn_tokens: int
) -> tuple[float, list[str]]:
    """The most a run can cost: for each (case, model, grader model), runs x (turns at the model's price +
    graded rubrics at the grader's) x tokens per turn (the turn's `max_tokens` expectation, else turn_tokens),
    each at the dearer of the model's two prices per token; with the models that have no price."""
    from orchestrator.runtime.pricing import price_for

    def per_token(model: str) -> float | None:
        price = price_for(model)
        return None if price is None else max(price.input_per_million, price.output_per_million) / 1_000_000

    total, unpriced = 0.0, []
    for case, model, grader in cases:
        graded = sum(1 for turn in case.turns for e in turn.expect if e.check == "graded")
        answer, judge = per_token(model), per_token(grader) if graded else 0.0
        if answer is None or judge is None:
            unpriced.extend(name for name, price in ((model, answer), (grader, judge)) if price is None)
            continue
        runs = repeat or case.repeat or 1
        for turn in case.turns:
            limits = [e.value for e in turn.expect if e.check == "max_tokens"]
            tokens = min(limits) if limits else turn_tokens
            rubrics = sum(1 for e in turn.expect if e.check == "graded")
            total += runs * tokens * (answer + rubrics * judge)
    return round(total, 6), sorted(set(unpriced))


def run_tests(
    tests: Iterable[BehaviourTest],
    open_session: Callable[[BehaviourTest], Any],
    *,
    scripted: bool,
    channel: ScriptChannel | None,
    case_glob: str | None = None,
    repeat: int | None = None,
    backend: str = "assistants",
    pass_at: int | None = None,
    budget: Budget | None = None,
    on_case: Callable[[CaseResult], None] | None = None,
    parallelism: int = 1,
    in_order: bool = True,
) -> tuple[CaseResult, ...]:
    """Every selected case of every test (a case's turns share one conversation), `parallelism` cases at a time
    on worker threads. The results are in file order whatever order the cases finish in; on_case is called in
    the caller's thread, in file order as soon as the cases before are done (in_order), else as each case
    finishes. An exception (Ctrl-C) leaves the cases not started unstarted and is raised. With a budget, the
    run stops once it is spent: the cases under way end after their current run, the rest are reported as not
    run (budget.stopped says why)."""
    jobs = [(test, case) for test in tests for case in select_cases(test, case_glob)]
    spending = threading.Lock()

    def one(job: tuple[BehaviourTest, Case]) -> CaseResult:
        test, case = job
        if budget is not None and budget.stopped:
            return CaseResult(
                test=test.name,
                case=case.name,
                spec=test.spec,
                file=test.file,
                line=case.line,
                status=Status.SKIPPED,
                reason=f"not run: {budget.stopped}",
                expect_failure=case.expect_failure,
            )
        result = run_case(
            test,
            case,
            lambda t=test: open_session(t),
            scripted=scripted,
            channel=channel,
            repeat=repeat,
            backend=backend,
            pass_at=pass_at,
            stop=budget.reached if budget is not None else None,
        )
        if budget is not None:
            with spending:
                budget.spent_usd = round(budget.spent_usd + (result.cost_usd or 0.0), 6)
                budget.stopped = budget.stopped or budget.reached()
        return result

    if parallelism <= 1 or len(jobs) <= 1:
        results = []
        for job in jobs:
            results.append(one(job))
            if on_case is not None:
                on_case(results[-1])
        return tuple(results)
    import queue

    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(len(jobs)):
        todo.put(index)
    finished: queue.SimpleQueue[tuple[int, CaseResult | BaseException]] = queue.SimpleQueue()
    stop = threading.Event()

    def worker() -> None:
        while not stop.is_set():
            try:
                index = todo.get_nowait()
            except queue.Empty:
                return
            try:
                finished.put((index, one(jobs[index])))
            except BaseException as exc:  # raised in the caller's thread
                finished.put((index, exc))

    # daemon threads: a case stuck in a turn never keeps a Ctrl-C'd process alive (its copies are deleted)
    for number in range(min(parallelism, len(jobs))):
        threading.Thread(target=worker, name=f"orchestrator-test-{number}", daemon=True).start()
    done: dict[int, CaseResult] = {}
    told = 0  # in_order: the cases before this one were given to on_case
    try:
        while len(done) < len(jobs):
            try:
                index, outcome = finished.get(timeout=0.2)  # a timeout: Ctrl-C gets in
            except queue.Empty:
                continue
            if isinstance(outcome, BaseException):
                raise outcome
            done[index] = outcome
            if on_case is not None and not in_order:
                on_case(outcome)
            while on_case is not None and in_order and told in done:
                on_case(done[told])
                told += 1
    finally:
        stop.set()  # the cases not started never start
    return tuple(done[index] for index in range(len(jobs)))
