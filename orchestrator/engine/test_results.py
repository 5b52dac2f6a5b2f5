"""What a behaviour test run found: values the runner (runtime.behaviour) makes and the views render."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Grade:
    """A grader model's verdict on one `graded` expectation (runtime.grading)."""

    rubric: str
    ok: bool
    score: float | None
    reason: str
    line: int | None = None
    model: str = ""
    tokens: int = 0
    cost_usd: float | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One run of a case: every turn sent (or up to the one that failed)."""

    ok: bool
    failures: tuple[str, ...] = ()
    tokens: int = 0
    cost_usd: float | None = None
    latency_s: float = 0.0
    grades: tuple[Grade, ...] = ()  # the grader's verdicts, in the order of the expectations


@dataclass(frozen=True, slots=True)
class CaseResult:
    test: str
    case: str
    spec: str
    file: str
    line: int | None
    status: Status
    attempts: tuple[Attempt, ...] = ()
    pass_at: int = 1
    repeat: int = 1
    reason: str = ""  # why skipped; why failed (the first failure), for one-line views
    expect_failure: bool = False
    compared: bool = False  # run with --baseline: `baseline` is the case's result at the base revision ...
    baseline: CaseResult | None = None  # ... or None: the case is new there (its spec did not exist)

    @property
    def base_status(self) -> str:
        """passed, failed, skipped; `new` when the case did not run at the baseline."""
        return self.baseline.status.value if self.baseline is not None else "new"

    @property
    def transition(self) -> str:
        """`passed -> failed`: the case at the baseline, then now."""
        return f"{self.base_status} -> {self.status.value}"

    @property
    def regression(self) -> bool:
        return (
            self.status is Status.FAILED
            and self.baseline is not None
            and self.baseline.status is Status.PASSED
        )

    @property
    def passes(self) -> int:
        return sum(1 for a in self.attempts if a.ok)

    @property
    def tokens(self) -> int:
        return sum(a.tokens for a in self.attempts)

    @property
    def cost_usd(self) -> float | None:
        costs = [a.cost_usd for a in self.attempts if a.cost_usd is not None]
        return round(sum(costs), 6) if costs else None

    @property
    def duration_s(self) -> float:
        return round(sum(a.latency_s for a in self.attempts), 3)

    @property
    def label(self) -> str:
        return f"{self.test} > {self.case}"

    @property
    def flaky(self) -> bool:
        """Some runs passed and some failed: the case is flaky on this target."""
        return 0 < self.passes < len(self.attempts)


@dataclass(frozen=True, slots=True)
class TestReport:
    project: str
    environment: str
    target: str
    backend: str
    mode: str  # "copies" | "live"
    scripted: bool  # the target has no real model: `model:` scripts decide what it does
    cases: tuple[CaseResult, ...] = ()
    baseline: str | None = None  # --baseline REV as given, and the commit it named
    baseline_commit: str | None = None
    stopped: str = ""  # why the run stopped before every case ran (the budget was reached), else ""

    __test__ = False  # not a pytest class

    def count(self, status: Status) -> int:
        return sum(1 for c in self.cases if c.status is status)

    @property
    def ok(self) -> bool:
        return self.count(Status.FAILED) == 0 and not self.stopped

    @property
    def cost_usd(self) -> float | None:
        costs = [c.cost_usd for c in self.cases if c.cost_usd is not None]
        return round(sum(costs), 6) if costs else None


def change_rank(case: CaseResult) -> int:
    """Where a compared case goes in a report: regressions, other failures, other changes, the unchanged."""
    if case.regression:
        return 0
    if case.status is Status.FAILED:
        return 1
    return 2 if case.base_status != case.status.value else 3
