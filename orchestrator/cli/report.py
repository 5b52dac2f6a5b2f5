"""The CLI's Reporter (app/report.py): the spinner on a terminal, diagnostics and notes to stderr, every text
through cli/output.echo."""

from __future__ import annotations

from orchestrator.cli.common import print_diagnostics
from orchestrator.cli.output import echo
from orchestrator.cli.progress import Activity
from orchestrator.diagnostics import Diagnostics


class Terminal:
    """Reports to the terminal (or the pipe) the command runs in."""

    def activity(self, message: str) -> Activity:
        return Activity(message)

    def diagnostics(self, diagnostics: Diagnostics, *, summary: bool = True) -> None:
        print_diagnostics(diagnostics, summary=summary)

    def note(self, text: str) -> None:
        echo(text, err=True)


TERMINAL = Terminal()
