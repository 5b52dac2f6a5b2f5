"""The base -> head report of `orchestrator test --baseline REV`: ordering and the JSON contract (pure values)."""

from __future__ import annotations

import json
from dataclasses import replace

from orchestrator.engine.test_results import Attempt, CaseResult, Status, TestReport, change_rank
from orchestrator.views.test_report import render_json, render_markdown, render_summary


def case(name: str, status: Status, base: Status | None, *, compared: bool = True) -> CaseResult:
    runs = (
        ()
        if status is Status.SKIPPED
        else (
            Attempt(
                status is Status.PASSED, () if status is Status.PASSED else ("turn 1: nope",), 10, 0.001, 0.1
            ),
        )
    )
    result = CaseResult("t", name, "s", "specs/t.yaml", 3, status, runs, reason="" if runs else "why")
    baseline = (
        None if base is None else replace(result, status=base, attempts=(Attempt(base is Status.PASSED),))
    )
    return replace(result, compared=compared, baseline=baseline)


def test_regressions_come_first_then_failures_then_changes_then_the_unchanged() -> None:
    cases = [
        case("same", Status.PASSED, Status.PASSED),
        case("fixed", Status.PASSED, Status.FAILED),
        case("new", Status.PASSED, None),
        case("still failing", Status.FAILED, Status.FAILED),
        case("regressed", Status.FAILED, Status.PASSED),
        case("new failing", Status.FAILED, None),
    ]
    ordered = [c.case for c in sorted(cases, key=change_rank)]
    assert ordered == ["regressed", "still failing", "new failing", "fixed", "new", "same"]
    assert [c.transition for c in cases][:3] == ["passed -> passed", "failed -> passed", "new -> passed"]


def test_the_json_contract_of_a_compared_run() -> None:
    report = TestReport(
        "p",
        "dev",
        "local",
        "assistants",
        "copies",
        True,
        (case("regressed", Status.FAILED, Status.PASSED), case("new", Status.PASSED, None)),
        baseline="origin/main",
        baseline_commit="a" * 40,
    )
    data = json.loads(render_json(report))
    assert data["baseline"] == "origin/main" and data["baseline_commit"] == "a" * 40
    assert data["cases"][0]["baseline"] == {"status": "passed", "passes": 1, "runs": 1, "cost_usd": None}
    assert data["cases"][1]["baseline"] is None
    assert "1 regression, 0 fixed, 1 new, 0 unchanged." in render_summary(report)
    assert "regression: t > regressed (passed -> failed)" in render_summary(report)
    assert "**passed -> failed**" in render_markdown(report)


def test_a_run_without_baseline_keeps_its_json_shape() -> None:
    report = TestReport(
        "p",
        "dev",
        "local",
        "assistants",
        "copies",
        True,
        (case("plain", Status.PASSED, None, compared=False),),
    )
    data = json.loads(render_json(report))
    assert "baseline" not in data and "baseline_commit" not in data and "baseline" not in data["cases"][0]
    assert "Against baseline" not in render_summary(report) and "base -> head" not in render_markdown(report)
