"""A behaviour-test report (`orchestrator test --output json`) as whole markdown sections of a pull-request comment.

The report is read back from a file a CI job wrote, so it is untrusted input: every field is checked for its
type and bounded in length before it is shown, and every string is escaped for a table cell (no markup, no
HTML) and passes the redactor. When the report carries a baseline (`test --baseline REV`), each case is shown
as base -> head, regressions first, with its cost at both; without one, as the plain table of `test -o markdown`.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.errors import OrchestratorError
from orchestrator.secrets import Redacting, active
from orchestrator.views.plan_markdown import MarkdownSection

MAX_REPORT_BYTES = 20_000_000
MAX_TEXT = 300  # a test, case or file name, a reason, as shown
MAX_FAILURE = 1_000  # one failure line
MAX_FAILURES = 10  # failure lines shown per case
ROWS_PER_SECTION = 40
STATUSES = ("passed", "failed", "skipped")
ICON = {"passed": "✅", "failed": "❌", "skipped": "⏭️"}
# the order of the table: what a reviewer must see first
RANK = {
    "regression": 0,
    "failing": 1,
    "new, failing": 2,
    "worse": 3,
    "fixed": 4,
    "new": 5,
    "better": 6,
    "": 7,
    "skipped": 8,
}


@dataclass(frozen=True, slots=True)
class Baseline:
    status: str
    passes: int
    runs: int
    cost_usd: float | None


@dataclass(frozen=True, slots=True)
class CaseRow:
    test: str
    case: str
    file: str
    line: int
    status: str
    reason: str
    passes: int
    runs: int
    tokens: int
    cost_usd: float | None
    failures: tuple[str, ...]
    baseline: Baseline | None
    has_baseline: bool  # the report was made with a baseline (None then means: the case is new)

    @property
    def label(self) -> str:
        return f"{self.test} / {self.case}"

    @property
    def change(self) -> str:
        """regression, failing, new, fixed, worse, better or "" (the same), compared with the baseline."""
        if self.status == "skipped":
            return "skipped"
        if not self.has_baseline:
            return "failing" if self.status == "failed" else ""
        base = self.baseline
        if base is None or base.status == "skipped":
            return "new, failing" if self.status == "failed" else "new"
        if self.status == "failed":
            return "regression" if base.status == "passed" else "failing"
        if base.status == "failed":
            return "fixed"
        head_rate, base_rate = _rate(self.passes, self.runs), _rate(base.passes, base.runs)
        return "worse" if head_rate < base_rate else "better" if head_rate > base_rate else ""


@dataclass(frozen=True, slots=True)
class BehaviourSummary:
    environment: str
    target: str
    ok: bool
    cost_usd: float | None
    baseline: str | None
    baseline_commit: str | None
    cases: tuple[CaseRow, ...]


def read_test_report(path: Path, shown: str) -> BehaviourSummary:
    """The JSON report in `path` (named `shown` in errors), checked field by field."""
    try:
        found = path.stat()
        if not stat.S_ISREG(found.st_mode):  # a directory, a FIFO (which would block), a device
            raise OrchestratorError(
                f"{shown}: expected a test report file, found something else (a directory?)"
            )
        size = found.st_size
        if size > MAX_REPORT_BYTES:
            raise OrchestratorError(
                f"{shown}: the file is {size:,} bytes; a test report is at most {MAX_REPORT_BYTES:,} bytes"
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OrchestratorError(f"{shown}: test report not found") from None
    except OSError as exc:
        raise OrchestratorError(f"{shown}: cannot read the test report: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise OrchestratorError(f"{shown}: the test report is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f":{exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise OrchestratorError(
            f"{shown}{where}: not JSON ({exc}); expected the report of `orchestrator test --output json`"
        ) from None
    return parse_test_report(data, shown)


def parse_test_report(data: Any, shown: str) -> BehaviourSummary:
    check = _Checker(shown)
    top = check.obj(data, "the report")
    if top.get("format_version") != 1:
        check.fail("format_version", "1 (the report of `orchestrator test --output json`)")
    cases = check.field(top, "cases", list, "a list of cases")
    has_baseline = "baseline" in top and top["baseline"] is not None
    rows = tuple(_case(check, item, f"cases[{i}]", has_baseline) for i, item in enumerate(cases))
    summary = top.get("summary")
    cost = check.cost(summary.get("cost_usd") if isinstance(summary, dict) else None, "summary.cost_usd")
    return BehaviourSummary(
        environment=check.text(top.get("environment"), "environment"),
        target=check.text(top.get("target"), "target"),
        ok=check.field(top, "ok", bool, "true or false"),
        cost_usd=cost,
        baseline=check.text(top["baseline"], "baseline") if has_baseline else None,
        baseline_commit=(
            check.text(top["baseline_commit"], "baseline_commit")[:40]
            if top.get("baseline_commit") is not None
            else None
        ),
        cases=rows,
    )


def _case(check: _Checker, item: Any, where: str, has_baseline: bool) -> CaseRow:
    case = check.obj(item, where)
    status = case.get("status")
    if status not in STATUSES:
        check.fail(f"{where}.status", " or ".join(STATUSES))
    runs = case.get("runs", [])
    if not isinstance(runs, list):
        check.fail(f"{where}.runs", "a list")
    failures: list[str] = []
    for number, run in enumerate(
        runs, start=1
    ):  # as the text report: `run N: ...` when a case ran more than once
        if isinstance(run, dict) and isinstance(run.get("failures"), list):
            prefix = f"run {number}: " if len(runs) > 1 else ""
            failures += [prefix + f[:MAX_FAILURE] for f in run["failures"] if isinstance(f, str)][
                :MAX_FAILURES
            ]
    base = case.get("baseline")
    baseline = None
    if base is not None:
        b = check.obj(base, f"{where}.baseline")
        if b.get("status") not in STATUSES:
            check.fail(f"{where}.baseline.status", " or ".join(STATUSES))
        baseline = Baseline(
            b["status"],
            check.count(b.get("passes"), f"{where}.baseline.passes"),
            check.count(b.get("runs"), f"{where}.baseline.runs"),
            check.cost(b.get("cost_usd"), f"{where}.baseline.cost_usd"),
        )
    line = case.get("line")
    return CaseRow(
        test=check.text(case.get("test"), f"{where}.test"),
        case=check.text(case.get("case"), f"{where}.case"),
        file=check.text(case.get("file", ""), f"{where}.file"),
        line=line if isinstance(line, int) and not isinstance(line, bool) and line >= 0 else 0,
        status=status,
        reason=check.text(case.get("reason") or "", f"{where}.reason"),
        passes=check.count(case.get("passes"), f"{where}.passes"),
        runs=len(runs),
        tokens=check.count(case.get("tokens", 0), f"{where}.tokens"),
        cost_usd=check.cost(case.get("cost_usd"), f"{where}.cost_usd"),
        failures=tuple(failures[:MAX_FAILURES]),
        baseline=baseline,
        has_baseline=has_baseline,
    )


class _Checker:
    def __init__(self, shown: str) -> None:
        self.shown = shown

    def fail(self, where: str, expected: str) -> None:
        raise OrchestratorError(
            f"{self.shown}: {where}: expected {expected}; is it the report of "
            "`orchestrator test --output json`?"
        )

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(where, "a JSON object")
        return value

    def field(self, data: dict[str, Any], name: str, kind: type, expected: str) -> Any:
        value = data.get(name)
        if not isinstance(value, kind):
            self.fail(name, expected)
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            self.fail(where, "a string")
        return value[:MAX_TEXT]

    def count(self, value: Any, where: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10**9:
            self.fail(where, "a whole number from 0")
        return value

    def cost(self, value: Any, where: str) -> float | None:
        if value is None:
            return None
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value < 10**9:
            self.fail(where, "a cost in USD from 0, or null")
        return float(value)


def behaviour_markdown_sections(
    summary: BehaviourSummary, *, redactor: Redacting | None = None
) -> list[MarkdownSection]:
    """The head (verdict, counts, regressions, cost), the table in chunks (regressions first), then one
    section per failing case with its failures: whole sections a bounded comment keeps or leaves out."""
    redactor = redactor or active()
    counts = {s: sum(c.status == s for c in summary.cases) for s in STATUSES}
    rows = sorted(summary.cases, key=lambda c: (RANK[c.change], c.test, c.case))
    regressions = [c for c in rows if c.change == "regression"]
    base = ""
    if summary.baseline is not None:
        rev, commit = summary.baseline, summary.baseline_commit
        if (
            commit and commit.startswith(rev) and len(rev) >= 7
        ):  # REV was a commit: its short form says it all
            base = f", baseline `{_code(commit[:12])}`"
        else:
            base = f", baseline `{_code(rev)}`" + (f" (`{_code(commit[:12])}`)" if commit else "")
    head = [f"### Behaviour tests: `{_code(summary.environment)}` → `{_code(summary.target)}`{base}", ""]
    verdict = "✅ passed" if summary.ok else "❌ FAILED"
    line = f"**{verdict}: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped**"
    if summary.baseline is not None:
        line += (
            f"; **{len(regressions)} regression{'s' if len(regressions) != 1 else ''}** against the baseline"
        )
    head.append(line + _total_cost(summary) + ".")
    if regressions:
        head += [
            "",
            "Regressions: "
            + ", ".join(f"**{_cell(c.label)}**" for c in regressions[:20])
            + (f" and {len(regressions) - 20} more" if len(regressions) > 20 else ""),
        ]
    head.append("")
    sections = [
        MarkdownSection("head", f"tests of {summary.environment}", redactor.redact("\n".join(head) + "\n"))
    ]
    if summary.baseline is not None:
        header = [
            "| | test / case | change | base → head | cost (base → head) |",
            "| --- | --- | --- | --- | --- |",
        ]
        body = [_baseline_row(c) for c in rows]
    else:
        header = ["| | test | case | runs | tokens | cost |", "| --- | --- | --- | --- | --- | --- |"]
        body = [_plain_row(c) for c in rows]
    for start in range(0, len(body), ROWS_PER_SECTION):
        chunk = body[start : start + ROWS_PER_SECTION]
        label = (
            f"test cases {start + 1}-{start + len(chunk)} of {summary.environment}"
            if len(body) > ROWS_PER_SECTION
            else f"table of test cases of {summary.environment}"
        )
        sections.append(MarkdownSection("tests", label, redactor.redact("\n".join(header + chunk) + "\n\n")))
    for case in (c for c in rows if c.status == "failed"):
        lines = [f"<details><summary>❌ {_cell(case.label)} ({_cell(case.file)}:{case.line})</summary>", ""]
        lines += [f"- {_cell(f)}" for f in case.failures] or [f"- {_cell(case.reason) or 'failed'}"]
        lines += ["", "</details>", ""]
        sections.append(
            MarkdownSection("failure", f"failures of {case.label}", redactor.redact("\n".join(lines) + "\n"))
        )
    skipped = [c for c in rows if c.status == "skipped"]
    if skipped:
        lines = ["<details><summary>Skipped</summary>", ""]
        lines += [f"- {_cell(c.label)}: {_cell(c.reason)}" for c in skipped] + ["", "</details>", ""]
        sections.append(
            MarkdownSection(
                "failure", f"skipped cases of {summary.environment}", redactor.redact("\n".join(lines) + "\n")
            )
        )
    return sections


def _baseline_row(case: CaseRow) -> str:
    base = case.baseline
    was = f"{ICON[base.status]} {_runs(base.status, base.passes, base.runs)}" if base else "—"
    now = f"{ICON[case.status]} {_runs(case.status, case.passes, case.runs)}"
    cost = _money(case.cost_usd)
    if base is not None and base.cost_usd is not None:
        cost = f"{_money(base.cost_usd)} → {cost}"
    change = {"regression": "🔻 **regression**", "fixed": "🔺 fixed"}.get(case.change, case.change)
    return f"| {ICON[case.status]} | {_cell(case.label)} | {change} | {was} → {now} | {cost} |"


def _plain_row(case: CaseRow) -> str:
    runs = _runs(case.status, case.passes, case.runs)
    return (
        f"| {ICON[case.status]} | {_cell(case.test)} | {_cell(case.case)} | {runs} | {case.tokens} "
        f"| {_money(case.cost_usd)} |"
    )


def _total_cost(summary: BehaviourSummary) -> str:
    if summary.cost_usd is None:
        return ""
    base: Sequence[float | None] = [
        c.baseline.cost_usd
        for c in summary.cases
        if c.baseline is not None and c.baseline.status != "skipped"
    ]
    if summary.baseline is None or not base or not all(b is not None for b in base):
        return f"; cost {_money(summary.cost_usd)}"
    total = _money(sum(b for b in base if b is not None))
    ran = sum(c.status != "skipped" for c in summary.cases)
    whose = "" if len(base) == ran else f" for the {len(base)} case{'s' if len(base) != 1 else ''} it ran"
    return f"; cost {_money(summary.cost_usd)} (baseline {total}{whose})"


def _runs(status: str, passes: int, runs: int) -> str:
    return "skipped" if status == "skipped" else f"{passes}/{runs}"


def _rate(passes: int, runs: int) -> float:
    return passes / runs if runs else 0.0


def _money(value: float | None) -> str:
    return "-" if value is None else f"${value:.6f}"


def _cell(text: str) -> str:
    """Plain text in a table cell or list item: no markup, no HTML, one line."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "\\|")
        .replace("`", "'")
        .replace("\r", " ")
        .replace("\n", " ")
    )


def _code(text: str) -> str:
    """Plain text inside an inline code span (shown as typed, so no entities: angle brackets become look-alikes)."""
    return (
        text.replace("`", "'")
        .replace("<", "\u2039")
        .replace(">", "\u203a")
        .replace("\r", " ")
        .replace("\n", " ")
    )
