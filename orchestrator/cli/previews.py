"""`--preview NAME`, the option of the commands that work on a preview (app/previews.py)."""

from __future__ import annotations

from typing import Any

from orchestrator.app.previews import check_name
from orchestrator.errors import OrchestratorError


def preview_option(func: Any) -> Any:
    """`--preview NAME`: the command works on that preview of the environment instead of the environment."""
    import click

    def checked(ctx: Any, param: Any, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return check_name(value)
        except OrchestratorError as exc:
            raise click.BadParameter(str(exc).split(": ", 1)[1]) from None

    return click.option(
        "--preview",
        "preview",
        default=None,
        metavar="NAME",
        callback=checked,
        help="Work on preview NAME of the environment (e.g. pr-123): copies of its specs owned "
        "by the preview, beside the environment's own objects.",
    )(func)
