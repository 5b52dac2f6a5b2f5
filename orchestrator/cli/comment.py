"""`orchestrator comment`: one pull-request comment from the saved plans of several environments, bounded."""

from __future__ import annotations

import re
from pathlib import Path

import click

from orchestrator.cli.common import caller_path, directory_option
from orchestrator.cli.output import echo
from orchestrator.errors import OrchestratorError

LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
LINK = re.compile(r"^https?://[^\s()<>\[\]`]+$")
MIN_CHARS = 2_000


@click.command()
@click.option("--plan", "plans", multiple=True, required=True, metavar="[NAME=]PLAN",
              help="A plan saved by `diff --out`, shown under NAME (default: its environment). Repeatable, "
                   "in the order shown.")
@click.option("--link", default=None, metavar="URL", help="Where the full report is (job summary, artifact).")
@click.option("--max-chars", type=click.IntRange(MIN_CHARS, None), default=65_536, show_default=True,
              help="The longest body printed (GitHub's comment limit by default).")
@click.option("--marker", default="<!-- orchestrator-plan -->", show_default=True,
              help="The first line, an HTML comment a workflow finds the comment by, to edit it in place.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the body to FILE instead of stdout.")
@directory_option
def comment(plans: tuple[str, ...], link: str | None, max_chars: int, marker: str, out: Path | None,
            directory: Path | None) -> int:
    """Print one markdown comment holding every plan, cut at whole sections to fit --max-chars.

    Nothing live is read. What is left out (a resource's details first, then warnings, then a whole
    environment) is named where it was, and the last line says where the full report is (--link).

    \b
    Examples:
      orchestrator comment --plan dev=dev.plan --plan prod=prod.plan --link "$RUN_URL" > comment.md
      orchestrator comment --plan prod.plan --max-chars 20000
    """
    from orchestrator.cli.common import print_diagnostics
    from orchestrator.diagnostics import Diagnostics
    from orchestrator.engine.planfile import read_plan
    from orchestrator.views.comment_markdown import Report, render_comment
    from orchestrator.views.plan_markdown import plan_markdown_sections

    if link is not None and not LINK.match(link):
        raise OrchestratorError(f"--link `{link[:200]}` is not an http(s) URL without spaces, brackets or quotes")
    if not re.fullmatch(r"<!--[^\n]{0,200}?-->", marker) or marker.count("-->") != 1:
        raise OrchestratorError("--marker must be one HTML comment on one line, e.g. `<!-- orchestrator-plan -->`")
    reports = []
    for given in plans:
        name, _, file = given.partition("=") if "=" in given else ("", "", given)
        if name and not LABEL.match(name):
            raise OrchestratorError(f"--plan {given[:200]}: `{name[:80]}` is not a name (letters, digits, . _ -)")
        path = caller_path(Path(file))
        parsed = read_plan(path, file)
        if isinstance(parsed, Diagnostics):
            print_diagnostics(parsed, summary=False)
            echo(f"error: {file} is not a valid saved plan; no comment was written", err=True)
            return 1
        reports.append(Report(name or parsed.environment, tuple(plan_markdown_sections(parsed))))
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
