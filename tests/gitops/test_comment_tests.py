"""Issue 28, item 1 (tests): the pull-request comment shows each environment's behaviour tests after its plan,
base -> head per case when the report has a baseline (`test --baseline REV --output json`), regressions first,
with cost per case; bounded like the plans. The reports here follow the JSON contract of `test --output json`
(the baseline fields as `test --baseline` adds them); one is made by a real `orchestrator test` run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.gitops.test_comment import LINK, plans_of, well_formed
from tests.support.projects import run_cli

MARKER = "<!-- orchestrator-plan -->"


def case(
    test: str,
    name: str,
    status: str,
    passes: int,
    runs: int,
    cost: float | None,
    baseline: dict[str, Any] | str | None = "absent",
    failures: tuple[str, ...] = (),
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "test": test,
        "case": name,
        "spec": "tutor",
        "file": f"tests/{test}.yaml",
        "line": 7,
        "status": status,
        "reason": "; ".join(failures) or None,
        "expect_failure": False,
        "repeat": runs,
        "pass_at": 1,
        "passes": passes,
        "tokens": 120,
        "cost_usd": cost,
        "duration_s": 0.5,
        "runs": [
            {
                "ok": i < passes,
                "failures": [] if i < passes else list(failures),
                "tokens": 40,
                "cost_usd": None,
                "latency_s": 0.1,
            }
            for i in range(runs)
        ],
    }
    if baseline != "absent":
        data["baseline"] = baseline
    return data


def report(cases: list[dict[str, Any]], *, environment: str = "dev", baseline: bool = True) -> dict[str, Any]:
    failed = sum(c["status"] == "failed" for c in cases)
    data: dict[str, Any] = {
        "format_version": 1,
        "project": "acme",
        "environment": environment,
        "target": "main",
        "backend": "local",
        "mode": "copies",
        "scripted_model": True,
        "ok": failed == 0,
        "summary": {
            "passed": sum(c["status"] == "passed" for c in cases),
            "failed": failed,
            "skipped": sum(c["status"] == "skipped" for c in cases),
            "cost_usd": 0.0042,
        },
        "cases": cases,
    }
    if baseline:
        data |= {"baseline": "origin/main", "baseline_commit": "0123456789abcdef0123456789abcdef01234567"}
    return data


def base(status: str, passes: int, runs: int, cost: float | None) -> dict[str, Any]:
    return {"status": status, "passes": passes, "runs": runs, "cost_usd": cost}


def write_report(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


WITH_BASELINE = [
    case("greeting", "says hello", "passed", 3, 3, 0.001, base("passed", 3, 3, 0.0009)),
    case(
        "grammar",
        "corrects tense",
        "failed",
        1,
        3,
        0.0015,
        base("passed", 3, 3, 0.0011),
        failures=("reply does not contain 'fuimos'",),
    ),
    case("grammar", "new case", "passed", 1, 1, 0.0005, None),
    case(
        "refunds",
        "still broken",
        "failed",
        0,
        1,
        None,
        base("failed", 0, 1, None),
        failures=("no tool call",),
    ),
    case("refunds", "fixed now", "passed", 1, 1, 0.0002, base("failed", 0, 1, 0.0002)),
    case("slow", "needs a real model", "skipped", 0, 0, None, None),
]


def test_a_report_with_a_baseline_shows_base_to_head_regressions_first_with_cost(tmp_path: Path) -> None:
    tests = write_report(tmp_path / "dev.json", report(WITH_BASELINE))
    result = run_cli(["comment", "--tests", str(tests), "--link", LINK])
    assert result.exit_code == 0, result.output
    body = result.stdout
    well_formed(body)
    assert body.startswith(MARKER + "\n")
    assert "### Behaviour tests: `dev` → `main`, baseline `origin/main` (`0123456789ab`)" in body
    assert "**❌ FAILED: 3 passed, 2 failed, 1 skipped**; **1 regression** against the baseline" in body
    assert "Regressions: **grammar / corrects tense**" in body
    rows = [line for line in body.splitlines() if line.startswith("| ") and "/" in line and "---" not in line]
    labels = [row.split(" | ")[1] for row in rows[1:]]
    assert labels == [
        "grammar / corrects tense",
        "refunds / still broken",
        "refunds / fixed now",
        "grammar / new case",
        "greeting / says hello",
        "slow / needs a real model",
    ]
    assert (
        "| ❌ | grammar / corrects tense | 🔻 **regression** | ✅ 3/3 → ❌ 1/3 | $0.001100 → $0.001500 |"
        in body
    )
    assert "| ✅ | grammar / new case | new | — → ✅ 1/1 | $0.000500 |" in body
    assert "| ✅ | refunds / fixed now | 🔺 fixed | ❌ 0/1 → ✅ 1/1 | $0.000200 → $0.000200 |" in body
    assert "| ❌ | refunds / still broken | failing | ❌ 0/1 → ❌ 0/1 | - |" in body
    assert "reply does not contain 'fuimos'" in body and "needs a real model" in body


def test_a_report_without_a_baseline_renders_the_plain_table(tmp_path: Path) -> None:
    cases = [
        case("greeting", "says hello", "passed", 2, 2, 0.001),
        case("grammar", "corrects tense", "failed", 0, 1, None, failures=("no match",)),
    ]
    tests = write_report(tmp_path / "dev.json", report(cases, baseline=False))
    body = run_cli(["comment", "--tests", str(tests)]).stdout
    well_formed(body)
    assert "| | test | case | runs | tokens | cost |" in body
    assert "| ✅ | greeting | says hello | 2/2 | 120 | $0.001000 |" in body
    assert "regression" not in body and "baseline" not in body and "→ ✅" not in body


def test_each_environment_shows_its_plan_then_its_tests(two_environments: Path, tmp_path: Path) -> None:
    dev, staging = plans_of(two_environments, tmp_path)
    dev_tests = write_report(tmp_path / "dev.json", report(WITH_BASELINE))
    staging_tests = write_report(tmp_path / "staging.json", report(WITH_BASELINE[:1], environment="staging"))
    result = run_cli(
        [
            "comment",
            "--plan",
            f"dev={dev}",
            "--plan",
            f"staging={staging}",
            "--tests",
            str(staging_tests),
            "--tests",
            f"dev={dev_tests}",
            "--link",
            LINK,
        ]
    )
    assert result.exit_code == 0, result.output
    body = result.stdout
    assert len(body) <= 65_536
    well_formed(body)
    order = [
        body.index(s)
        for s in ("/ `dev` →", "Behaviour tests: `dev`", "/ `staging` →", "Behaviour tests: `staging`")
    ]
    assert order == sorted(order)
    # the plans' huge details are cut; the tests' tables and failures stay whole
    assert "> ✂️ Left out of dev (1 section): `details of assistant long-tutor`" in body
    assert "🔻 **regression**" in body and "reply does not contain 'fuimos'" in body


def test_a_tight_limit_keeps_the_verdict_and_the_regressions_and_names_what_was_cut(tmp_path: Path) -> None:
    many = [
        case("bulk", f"case {i:03}", "passed", 1, 1, 0.0001, base("passed", 1, 1, 0.0001)) for i in range(300)
    ]
    many += [
        case(
            "bulk", f"broken {i}", "failed", 0, 1, 0.0001, base("passed", 1, 1, 0.0001), failures=("x" * 900,)
        )
        for i in range(30)
    ]
    tests = write_report(tmp_path / "dev.json", report(many))
    result = run_cli(["comment", "--tests", str(tests), "--max-chars", "8000", "--link", LINK])
    assert result.exit_code == 0, result.output
    body = result.stdout
    assert len(body) <= 8000
    well_formed(body)
    assert "**30 regressions** against the baseline" in body
    assert "| ❌ | bulk / broken 0 | 🔻 **regression** |" in body, "the first chunk of the table: regressions"
    assert "> ✂️ Left out of dev (" in body and "`test cases 281-320 of dev`" in body
    assert body.rstrip().endswith(f"see [the full report]({LINK}).*")


def test_the_comment_reads_a_real_test_report(tmp_path: Path, two_environments: Path) -> None:
    """`orchestrator test --output json` as it is today (no baseline yet): the plain table."""
    from tests.support.projects import write

    write(
        two_environments / "specs" / "alpha-test.yaml",
        """
        version: 1
        kind: test
        name: alpha-smoke
        spec: alpha
        cases:
          - name: answers
            turns:
              - user: hi
                model: [{reply: hello}]
                expect: [{reply: {equals: hello}}]
    """,
    )
    out = tmp_path / "dev.json"
    done = run_cli(
        ["-C", str(two_environments), "test", "alpha", "-e", "dev", "--output", "json", "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    body = run_cli(["comment", "--tests", str(out)]).stdout
    well_formed(body)
    assert "### Behaviour tests: `dev` → `main`" in body and "| alpha-smoke | answers |" in body


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "dev.json:1: not JSON"),
        ("[]", "the report: expected a JSON object"),
        ('{"format_version": 2}', "format_version: expected 1"),
        (
            json.dumps(report([case("a", "b", "exploded", 0, 1, None)])),
            "cases[0].status: expected passed or failed",
        ),
        (
            json.dumps(report([case("a", "b", "passed", 1, 1, -5.0)])),
            "cases[0].cost_usd: expected a cost in USD",
        ),
        (
            json.dumps(
                report([case("a", "b", "passed", 1, 1, None, {"status": "passed", "passes": "3", "runs": 3})])
            ),
            "cases[0].baseline.passes: expected a whole number",
        ),
        (json.dumps(report([]) | {"environment": "dev`<b>"}), "is not a name"),
        ("[" * 100_000 + "]" * 100_000, "not JSON"),
    ],
)
def test_a_bad_report_is_refused_with_where_and_what_was_expected(
    tmp_path: Path, content: str, message: str
) -> None:
    (tmp_path / "dev.json").write_text(content, encoding="utf-8")
    result = run_cli(["-C", str(tmp_path), "comment", "--tests", "dev.json"])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_a_report_that_is_not_a_readable_file_is_refused(tmp_path: Path) -> None:
    import os

    (tmp_path / "folder.json").mkdir()
    os.mkfifo(tmp_path / "pipe.json")
    for name, message in (
        ("folder.json", "found something else"),
        ("pipe.json", "found something else"),
        ("missing.json", "test report not found"),
        ("dev=", "no file after `=`"),
    ):
        result = run_cli(["-C", str(tmp_path), "comment", "--tests", name])
        assert result.exit_code == 1 and message in result.output, result.output


def test_names_in_a_report_cannot_inject_markup(tmp_path: Path) -> None:
    evil = case(
        "x</details><details open>",
        "a | b\n# title",
        "failed",
        0,
        1,
        None,
        base("passed", 1, 1, None),
        failures=("<script>alert(1)</script>```",),
    )
    tests = write_report(tmp_path / "dev.json", report([evil]))
    body = run_cli(["comment", "--tests", str(tests)]).stdout
    well_formed(body)
    assert "<script>" not in body and "</details><details open>" not in body and "\n# title" not in body


def test_a_key_in_a_failure_is_redacted(tmp_path: Path) -> None:
    secret = "sk-proj-" + "Q" * 40
    failing = case("a", "b", "failed", 0, 1, None, failures=(f"the reply leaked {secret}",))
    tests = write_report(tmp_path / "dev.json", report([failing]))
    body = run_cli(["comment", "--tests", str(tests)]).stdout
    assert "the reply leaked" in body and secret not in body
