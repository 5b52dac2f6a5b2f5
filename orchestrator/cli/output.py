"""The one way the CLI writes to a terminal, a pipe or a log: every text passes the run's redactor and has
its control characters escaped (secrets.shown) before it is written. Data goes to stdout, diagnostics and
progress to stderr. `click.echo` and `print` are banned elsewhere (ruff TID251, T201 in pyproject.toml)."""

from __future__ import annotations

import click

from orchestrator.secrets import shown


def echo(message: str = "", *, err: bool = False, nl: bool = True, styled: bool = False) -> None:
    """Write message (redacted and escaped); styled keeps the views' colour codes, nothing else."""
    click.echo(shown(message, styled=styled), err=err, nl=nl)  # noqa: TID251  (the one output path)
