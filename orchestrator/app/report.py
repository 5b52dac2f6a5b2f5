"""How the application layer tells its caller what happens: a Reporter the front end passes in.

The app never prints. The CLI's reporter (cli/report.py) writes through cli/output.echo and shows the
spinner (cli/progress.Activity); the MCP server and tests use Collector, which keeps everything said.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from orchestrator.diagnostics import Diagnostics

if TYPE_CHECKING:
    from orchestrator.engine.applying import Outcome
    from orchestrator.engine.planning import Plan


class Progress(Protocol):
    """A long step under way (`with reporter.activity("reading live state"):`); enabled: shown live."""

    enabled: bool

    def __enter__(self) -> Progress: ...

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def update(self, message: str) -> None:
        """Change what the step says (e.g. `applying: 3 of 9 done`)."""

    def note(self, detail: str) -> None:
        """A passing detail after the message, such as a retry."""

    def say(self, text: str) -> None:
        """A whole line for the user while the step is shown."""


class Reporter(Protocol):
    """What the app says while it works; every method is called from the thread doing the work."""

    def activity(self, message: str) -> Progress:
        """A step that may take a while (a live read, waiting for the apply lock, the writes)."""

    def diagnostics(self, diagnostics: Diagnostics, *, summary: bool = True) -> None:
        """Validation findings (errors and warnings) of the project or a revision."""

    def note(self, text: str) -> None:
        """A line for the user that is not data (the CLI writes it to stderr)."""


class ApplyReporter(Reporter, Protocol):
    """A Reporter that also takes part in deploy (app/deploy.py): it shows the plan, is asked to confirm it,
    and hears of each change applied."""

    def plan(self, plan: Plan) -> None:
        """The plan about to be applied (before any check or question)."""

    def confirm(self, plan: Plan) -> bool:
        """Whether to apply the plan (the CLI: --yes, or a question on the terminal)."""

    def outcome(self, outcome: Outcome, *, progress: Progress | None = None, late: bool = False) -> None:
        """A change applied or failed (progress: the step under way); late: changed by the duplicate check
        after the writes, reported again."""


class QuietProgress:
    """A step nobody watches live: what it says is kept by its Collector."""

    enabled = False

    def __init__(self, collector: Collector, message: str) -> None:
        self.collector = collector
        self.message = message

    def __enter__(self) -> QuietProgress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def update(self, message: str) -> None:
        self.message = message

    def note(self, detail: str) -> None:
        return None

    def say(self, text: str) -> None:
        self.collector.lines.append(text)


class Collector:
    """A Reporter that prints nothing and keeps what was said (the MCP server's log, tests)."""

    def __init__(self) -> None:
        self.activities: list[str] = []
        self.notes: list[str] = []
        self.lines: list[str] = []  # what steps said (Progress.say)
        self.found: list[Diagnostics] = []

    def activity(self, message: str) -> QuietProgress:
        self.activities.append(message)
        return QuietProgress(self, message)

    def diagnostics(self, diagnostics: Diagnostics, *, summary: bool = True) -> None:
        self.found.append(diagnostics)

    def note(self, text: str) -> None:
        self.notes.append(text)


class ApplyCollector(Collector):
    """An ApplyReporter that prints nothing: it answers confirm with `yes` and keeps the plan and outcomes."""

    def __init__(self, *, yes: bool = True) -> None:
        super().__init__()
        self.yes = yes
        self.plans: list[Plan] = []
        self.outcomes: list[Outcome] = []

    def plan(self, plan: Plan) -> None:
        self.plans.append(plan)

    def confirm(self, plan: Plan) -> bool:
        return self.yes

    def outcome(self, outcome: Outcome, *, progress: Progress | None = None, late: bool = False) -> None:
        self.outcomes.append(outcome)
