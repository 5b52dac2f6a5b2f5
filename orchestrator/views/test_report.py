"""Behaviour test results as text, JSON, JUnit XML and markdown (strings; the CLI writes them)."""

from __future__ import annotations

import json
from typing import Any

from orchestrator.engine.test_results import CaseResult, Status, TestReport

MARK = {Status.PASSED: "PASS", Status.FAILED: "FAIL", Status.SKIPPED: "SKIP"}


def _numbers(case: CaseResult) -> str:
    runs = f"{case.passes}/{len(case.attempts)} passed" + (" (flaky)" if case.flaky else "")
    if len(case.attempts) < case.repeat:
        runs += f" of {case.repeat} runs"
    parts = [runs + (f", pass_at {case.pass_at}" if case.repeat > 1 else "")]
    parts.append(f"{case.duration_s:.2f} s")
    parts.append(f"{case.tokens} tokens")
    if case.cost_usd is not None:
        parts.append(f"${case.cost_usd:.6f}")
    return ", ".join(parts)


def render_case_line(case: CaseResult) -> str:
    """One line per case while the run goes on (and the failures below a failed one)."""
    if case.status is Status.SKIPPED:
        return f"SKIP {case.label}{f' [{case.transition}]' if case.compared else ''}: {case.reason}\n"
    note = " (failed as expected)" if case.expect_failure and case.status is Status.PASSED else ""
    note += f" [{case.transition}]" if case.compared else ""
    line = f"{MARK[case.status]} {case.label}{note} ({_numbers(case)})\n"
    for number, attempt in enumerate(case.attempts, start=1):
        for verdict in (g for g in attempt.grades if g.ok):  # a failed grade is among the failures below
            prefix = f"run {number}: " if len(case.attempts) > 1 else ""
            score = f" {verdict.score:g}" if verdict.score is not None else ""
            line += f"     {prefix}graded ({case.file}:{verdict.line}): pass{score}: {verdict.reason}\n"
    if case.status is Status.FAILED or case.flaky:  # a flaky pass shows why its other runs failed
        for number, attempt in enumerate(case.attempts, start=1):
            for failure in attempt.failures:
                prefix = f"run {number}: " if len(case.attempts) > 1 else ""
                line += f"     {prefix}{failure}\n"
    if case.status is Status.FAILED:
        line += f"     at {case.file}:{case.line}\n"
    return line


def render_summary(report: TestReport) -> str:
    passed, failed, skipped = (report.count(s) for s in (Status.PASSED, Status.FAILED, Status.SKIPPED))
    cost = f", est. ${report.cost_usd:.6f}" if report.cost_usd is not None else ""
    mode = "short-lived copies" if report.mode == "copies" else "the deployed objects"
    verdict = "Tests passed" if report.ok else "Tests FAILED"
    stopped = f"Stopped: {report.stopped}; the cases left were not run.\n" if report.stopped else ""
    return stopped + (
        f"{verdict}: {passed} passed, {failed} failed, {skipped} skipped ({len(report.cases)} case{'s' if len(report.cases) != 1 else ''} "
        f"on target {report.target}, environment {report.environment}, against {mode}{cost}).\n"
        + (render_comparison(report) + "\n" if report.baseline is not None else "")
    )


def render_comparison(report: TestReport) -> str:
    """`Against baseline main (abc1234): 1 regression, 2 fixed, 1 new, 5 unchanged.`"""
    regressions = sum(c.regression for c in report.cases)
    fixed = sum(c.status is Status.PASSED and c.base_status == "failed" for c in report.cases)
    new = sum(c.baseline is None for c in report.cases)
    unchanged = sum(c.baseline is not None and c.base_status == c.status.value for c in report.cases)
    other = len(report.cases) - regressions - fixed - new - unchanged
    parts = [f"{regressions} regression{'s' if regressions != 1 else ''}", f"{fixed} fixed", f"{new} new"]
    parts += [f"{other} otherwise changed"] if other else []
    lines = [
        f"Against baseline {report.baseline} ({(report.baseline_commit or '')[:7]}): "
        + ", ".join(parts)
        + f", {unchanged} unchanged."
    ]
    lines += [f"  regression: {c.label} ({c.transition})" for c in report.cases if c.regression]
    return "\n".join(lines)


def _baseline_json(case: CaseResult) -> dict[str, Any] | None:
    base = case.baseline
    if base is None:
        return None
    return {
        "status": base.status.value,
        "passes": base.passes,
        "runs": len(base.attempts),
        "cost_usd": base.cost_usd,
    }


def render_json(report: TestReport) -> str:
    data: dict[str, Any] = {
        "format_version": 1,
        "project": report.project,
        "environment": report.environment,
        "target": report.target,
        "backend": report.backend,
        "mode": report.mode,
        "scripted_model": report.scripted,
        "ok": report.ok,
        "summary": {s.value: report.count(s) for s in Status}
        | {"cost_usd": report.cost_usd, "stopped": report.stopped or None},
        "cases": [
            {
                "test": c.test,
                "case": c.case,
                "spec": c.spec,
                "file": c.file,
                "line": c.line,
                "status": c.status.value,
                "reason": c.reason or None,
                "expect_failure": c.expect_failure,
                "repeat": c.repeat,
                "pass_at": c.pass_at,
                "passes": c.passes,
                "flaky": c.flaky,
                "tokens": c.tokens,
                "cost_usd": c.cost_usd,
                "duration_s": c.duration_s,
                "runs": [
                    {
                        "ok": a.ok,
                        "failures": list(a.failures),
                        "tokens": a.tokens,
                        "cost_usd": a.cost_usd,
                        "latency_s": a.latency_s,
                        "grades": [
                            {
                                "rubric": g.rubric,
                                "pass": g.ok,
                                "score": g.score,
                                "reason": g.reason,
                                "line": g.line,
                                "model": g.model,
                            }
                            for g in a.grades
                        ],
                    }
                    for a in c.attempts
                ],
            }
            | ({"baseline": _baseline_json(c)} if c.compared else {})
            for c in report.cases
        ],
    }
    if report.baseline is not None:  # --baseline REV: each case also as it ran at REV (null: new there)
        data["baseline"] = report.baseline
        data["baseline_commit"] = report.baseline_commit
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_junit(report: TestReport) -> str:
    """JUnit XML as CI systems read it: one testsuite per test, one testcase per case."""
    import xml.etree.ElementTree as ET

    root = ET.Element(
        "testsuites",
        name=f"orchestrator test ({report.environment}, {report.target})",
        tests=str(len(report.cases)),
        failures=str(report.count(Status.FAILED)),
        skipped=str(report.count(Status.SKIPPED)),
        errors="0",
        time=f"{sum(c.duration_s for c in report.cases):.3f}",
    )
    suites: dict[str, Any] = {}
    for case in report.cases:
        suite = suites.get(case.test)
        if suite is None:
            suite = suites[case.test] = ET.SubElement(root, "testsuite", name=case.test, file=case.file)
        element = ET.SubElement(
            suite,
            "testcase",
            name=case.case,
            classname=f"{case.test}.{case.spec}",
            file=case.file,
            line=str(case.line or 0),
            time=f"{case.duration_s:.3f}",
        )
        if case.compared:
            properties = ET.SubElement(element, "properties")
            ET.SubElement(properties, "property", name="baseline", value=case.base_status)
            ET.SubElement(properties, "property", name="baseline_commit", value=report.baseline_commit or "")
        notes = ([f"{case.passes}/{len(case.attempts)} runs passed (flaky)"] if case.flaky else []) + [
            f"run {n}: graded (line {g.line}): {'pass' if g.ok else 'fail'}"
            + (f" {g.score:g}" if g.score is not None else "")
            + f": {g.reason}"
            for n, a in enumerate(case.attempts, start=1)
            for g in a.grades
        ]
        if notes:  # what CI shows beside the case: flakiness and the grader's verdicts
            ET.SubElement(element, "system-out").text = "\n".join(notes)
        if case.status is Status.SKIPPED:
            ET.SubElement(element, "skipped", message=case.reason)
        elif case.status is Status.FAILED:
            message = (f"regression ({case.transition}): " if case.regression else "") + case.reason
            failure = ET.SubElement(
                element, "failure", message=message, type="regression" if case.regression else "expectation"
            )
            failure.text = "\n".join(f for a in case.attempts for f in a.failures)
    for name, suite in suites.items():
        mine = [c for c in report.cases if c.test == name]
        suite.set("tests", str(len(mine)))
        suite.set("failures", str(sum(c.status is Status.FAILED for c in mine)))
        suite.set("skipped", str(sum(c.status is Status.SKIPPED for c in mine)))
        suite.set("errors", "0")
        suite.set("time", f"{sum(c.duration_s for c in mine):.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render_markdown(report: TestReport) -> str:
    """A pull-request comment: the verdict, a table of cases, the failures in full."""
    icon = {Status.PASSED: "✅", Status.FAILED: "❌", Status.SKIPPED: "⏭️"}
    compared = report.baseline is not None
    lines = [
        f"### Behaviour tests: {report.environment} on {report.target}",
        "",
        render_summary(report).strip().replace("\n", "  \n"),
        "",
        "| | test | case |" + (" base -> head |" if compared else "") + " runs | tokens | cost |",
        "| --- | --- | --- |" + (" --- |" if compared else "") + " --- | --- | --- |",
    ]
    for case in report.cases:
        cost = f"${case.cost_usd:.6f}" if case.cost_usd is not None else "-"
        runs = (
            f"{case.passes}/{len(case.attempts)}" + (" (flaky)" if case.flaky else "")
            if case.status is not Status.SKIPPED
            else "skipped"
        )
        change = ""
        if compared:
            change = f" {'**' + case.transition + '**' if case.regression else case.transition} |"
        lines.append(
            f"| {icon[case.status]} | {_cell(case.test)} | {_cell(case.case)} |{change} {runs} "
            f"| {case.tokens} | {cost} |"
        )
    failed = [c for c in report.cases if c.status is Status.FAILED]
    skipped = [c for c in report.cases if c.status is Status.SKIPPED]
    if failed:
        lines += ["", "<details open><summary>Failures</summary>", ""]
        for case in failed:
            lines.append(f"- **{_cell(case.label)}** (`{case.file}:{case.line}`)")
            lines += [f"  - {_cell(f)}" for a in case.attempts for f in a.failures]
        lines += ["", "</details>"]
    if skipped:
        lines += ["", "<details><summary>Skipped</summary>", ""]
        lines += [f"- {_cell(c.label)}: {_cell(c.reason)}" for c in skipped]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
