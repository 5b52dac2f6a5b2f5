"""`orchestrator comment`: one pull-request comment from the saved plans and test reports of several
environments, bounded."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

from orchestrator.cli.common import caller_path, directory_option, print_diagnostics
from orchestrator.cli.output import echo
from orchestrator.errors import OrchestratorError

LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
LINK = re.compile(r"^https?://[^\s()<>\[\]`]+$")
MIN_CHARS = 2_000


@click.command()
@click.option(
    "--plan",
    "plans",
    multiple=True,
    metavar="[NAME=]PLAN",
    help="A plan saved by `diff --out`, shown under NAME (default: its environment). Repeatable, "
    "in the order shown.",
)
@click.option(
    "--tests",
    "test_reports",
    multiple=True,
    metavar="[NAME=]REPORT",
    help="A report of `test --output json` (with `--baseline`: base -> head per case, regressions "
    "first), shown after the plan of NAME (default: its environment). Repeatable.",
)
@click.option("--link", default=None, metavar="URL", help="Where the full report is (job summary, artifact).")
@click.option(
    "--max-chars",
    type=click.IntRange(MIN_CHARS, None),
    default=65_536,
    show_default=True,
    help="The longest body printed (GitHub's comment limit by default).",
)
@click.option(
    "--marker",
    default="<!-- orchestrator-plan -->",
    show_default=True,
    help="The first line, an HTML comment a workflow finds the comment by, to edit it in place.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the body to FILE instead of stdout.",
)
@directory_option
def comment(
    plans: tuple[str, ...],
    test_reports: tuple[str, ...],
    link: str | None,
    max_chars: int,
    marker: str,
    out: Path | None,
    directory: Path | None,
) -> int:
    """Print one markdown comment holding every plan and test report, cut at whole sections to fit --max-chars.

    Each environment shows its plan, then its behaviour tests. Nothing live is read. What is left out (a
    resource's details and a case's failures first, then warnings and the table of cases, then a whole
    environment) is named where it was, and the last line says where the full report is (--link).

    \b
    Examples:
      orchestrator comment --plan dev=dev.plan --plan prod=prod.plan --link "$RUN_URL" > comment.md
      orchestrator comment --plan dev.plan --tests dev=dev-tests.json --out comment.md
      orchestrator comment --plan prod.plan --max-chars 20000
    """
    from orchestrator.diagnostics import Diagnostics
    from orchestrator.engine.planfile import read_plan
    from orchestrator.views.behaviour_comment import behaviour_markdown_sections, read_test_report
    from orchestrator.views.comment_markdown import Report, render_comment
    from orchestrator.views.plan_markdown import plan_markdown_sections

    if link is not None and not LINK.match(link):
        raise OrchestratorError(
            f"--link `{link[:200]}` is not an http(s) URL without spaces, brackets or quotes"
        )
    if not re.fullmatch(r"<!--[^\n]{0,200}?-->", marker) or marker.count("-->") != 1:
        raise OrchestratorError(
            "--marker must be one HTML comment on one line, e.g. `<!-- orchestrator-plan -->`"
        )
    if not plans and not test_reports:
        raise OrchestratorError("nothing to comment: give at least one --plan or --tests")
    sections: dict[
        str, list[Any]
    ] = {}  # environment (or NAME) -> its sections, plan first, in the order given
    for given in plans:
        name, file = _named("--plan", given)
        parsed = read_plan(caller_path(Path(file)), file)
        if isinstance(parsed, Diagnostics):
            print_diagnostics(parsed, summary=False)
            echo(f"error: {file} is not a valid saved plan; no comment was written", err=True)
            return 1
        sections.setdefault(name or parsed.environment, []).extend(plan_markdown_sections(parsed))
    for given in test_reports:
        name, file = _named("--tests", given)
        summary = read_test_report(caller_path(Path(file)), file)
        if not name and not LABEL.match(summary.environment):
            raise OrchestratorError(
                f"{file}: environment `{summary.environment[:80]}` is not a name (letters, digits, . _ -)"
            )
        sections.setdefault(name or summary.environment, []).extend(behaviour_markdown_sections(summary))
    reports = [Report(name, tuple(parts)) for name, parts in sections.items()]
    body = render_comment(reports, max_chars=max_chars, link=link, marker=marker)
    if out is None:
        echo(body, nl=False)
        return 0
    written = caller_path(out)
    try:
        written.parent.mkdir(parents=True, exist_ok=True)
        written.write_text(body, encoding="utf-8")
    except OSError as exc:
        raise OrchestratorError(f"cannot write the comment to {written}: {exc.strerror or exc}") from None
    return 0


def _named(option: str, given: str) -> tuple[str, str]:
    """`NAME=FILE` or `FILE` -> (NAME or "", FILE); NAME is checked (it is shown in the comment)."""
    name, _, file = given.partition("=") if "=" in given else ("", "", given)
    if name and not LABEL.match(name):
        raise OrchestratorError(
            f"{option} {given[:200]}: `{name[:80]}` is not a name (letters, digits, . _ -)"
        )
    if not file:
        raise OrchestratorError(f"{option} {given[:200]}: no file after `=`")
    return name, file
