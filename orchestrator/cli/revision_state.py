"""`--rev REV`: build the desired state from a git revision (app/state.py) instead of the working tree."""

from __future__ import annotations

from typing import Any

import click

REV_HELP = (
    "Build the desired state from git revision REV (a commit, tag or branch; HEAD~1 is the previous "
    "commit) instead of the working tree. Nothing is checked out."
)


def rev_option(func: Any) -> Any:
    return click.option("--rev", "rev", default=None, metavar="REV", help=REV_HELP)(func)
