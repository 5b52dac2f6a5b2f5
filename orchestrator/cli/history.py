"""`orchestrator history NAME`: the git revisions that changed what spec NAME deploys, the live one marked."""

from __future__ import annotations

import json
from pathlib import Path

import click

from orchestrator.app.history import history_data, revision_diff
from orchestrator.app.project import Invalid
from orchestrator.app.state import load_selection
from orchestrator.cli.common import (
    directory_option,
    environment_option,
    output_option,
    resolve_root,
    spec_argument,
    stdout_color,
    target_option,
)
from orchestrator.cli.output import echo
from orchestrator.cli.report import TERMINAL


@click.command()
@spec_argument
@directory_option
@environment_option
@target_option
@click.option(
    "--diff",
    "diff_rev",
    default=None,
    metavar="REV",
    help="Show what revision REV changed in the spec's rendered payload and uploaded files, against its parent.",
)
@output_option("text", "json", help=None)
def history(
    name: str,
    directory: Path | None,
    environment: str | None,
    target: str | None,
    diff_rev: str | None,
    output: str,
) -> int:
    """List the git revisions that changed what spec NAME deploys, newest first, the live one marked `*`.

    A revision counts when it changed what NAME deploys: the rendered payload (from the spec file, its
    templates and partials, function schemas, orchestrator.yaml's vars) or the content of the knowledge and
    code files it uploads. A commit that touched those files but renders the same payload does not count;
    --diff on it says so. The environment's live object is read to mark the revision it was applied from.

    \b
    Examples:
      orchestrator history spanish-tutor
      orchestrator history spanish-tutor --diff 3f2a1b9   # what that commit changed in the payload
      orchestrator history spanish-tutor -e prod -o json
    """
    try:
        selection = load_selection(resolve_root(directory), environment, target, reporter=TERMINAL)
    except Invalid:
        return 1
    if diff_rev is not None:
        data, change = revision_diff(selection, name, diff_rev, reporter=TERMINAL)
        if output == "json":
            echo(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            from orchestrator.views.history_text import render_revision_diff_text

            echo(render_revision_diff_text(data, change, color=stdout_color()), nl=False, styled=True)
        return 0
    data = history_data(selection, name, reporter=TERMINAL)
    if output == "json":
        echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        from orchestrator.views.history_text import render_history_text

        echo(render_history_text(data), nl=False)
    return 0
