"""`kind: test` specs and `orchestrator test`: the real CLI, the real SDK over HTTP, the embedded emulator."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from orchestrator.emulator import EmulatorServer
from tests.conftest import TEST_KEY
from tests.support.projects import REPO, make_project, run_cli, write, write_spec


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """This repository's own project (the tutor and the analyst, their handlers and tests)."""
    for name in ("orchestrator.yaml", "specs", "templates", "schemas", "examples"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    return tmp_path


def live_owners(root: Path) -> list[str]:
    db = sqlite3.connect(root / ".orchestrator" / "local.db")
    try:
        rows = db.execute("select body from objects where kind in ('assistant', 'agent')").fetchall()
    finally:
        db.close()
    return sorted(json.loads(body)["metadata"].get("orchestrator.owner", "") for (body,) in rows)


def analyst_project(
    root: Path, test_yaml: str, *, backend: str = "assistants", base_url: str | None = None
) -> Path:
    make_project(root, backend=backend, base_url=base_url)
    write(
        root / "handlers" / "shop.py",
        """
        def fetch_kpis(store_id, period):
            return {"store_id": store_id, "period": period, "sales": 1200.5}
    """,
    )
    text = (root / "orchestrator.yaml").read_text() + "python_path: [handlers]\n"
    (root / "orchestrator.yaml").write_text(text)
    write_spec(
        root,
        "analyst",
        functions=[
            {
                "name": "fetch_kpis",
                "description": "KPIs",
                "parameters": {
                    "type": "object",
                    "properties": {"store_id": {"type": "string"}, "period": {"enum": ["week", "month"]}},
                    "required": ["store_id", "period"],
                    "additionalProperties": False,
                },
                "handler": "shop:fetch_kpis",
            }
        ],
    )
    write(root / "specs" / "analyst-test.yaml", test_yaml)
    return root


PASSING = """
    version: 1
    kind: test
    name: analyst-test
    spec: analyst
    cases:
      - name: kpis
        turns:
          - user: "KPIs of store 7"
            model:
              - call: fetch_kpis
                arguments: {store_id: "7", period: week}
              - reply: "Store 7 sold 1200.5"
            expect:
              - tool_called: fetch_kpis
                arguments: {store_id: "7"}
              - tool_output: {contains: '"sales": 1200.5'}
              - reply: {regex: 'sold \\d+'}
"""


def test_repo_specs_tests_pass_offline_on_the_local_target(repo_copy: Path) -> None:
    result = run_cli(["-C", str(repo_copy), "test", "-o", "junit", "--out", "report.xml"])
    assert result.exit_code == 0, result.output
    assert "PASS tutor-exercises > grammar exercise comes from the handler" in result.stdout
    assert "PASS analyst-kpis > monthly KPIs come from the handler" in result.stdout
    assert "SKIP tutor-exercises > does not invent facts: needs a real model" in result.stdout
    assert "PASS tutor-exercises > pronunciation is scored by the handler" in result.stdout
    assert (
        "SKIP tutor-exercises > a live model asks the handler for a subjunctive exercise: needs a real model"
        in result.stdout
    )
    root = ET.parse(repo_copy / "report.xml").getroot()
    assert root.tag == "testsuites"
    assert {s.get("name") for s in root.iter("testsuite")} == {"tutor-exercises", "analyst-kpis"}
    assert len(list(root.iter("testcase"))) == 9 and len(list(root.iter("skipped"))) == 2
    assert not list(root.iter("failure"))
    assert live_owners(repo_copy) == []  # the copies were deleted; the environment's objects never made


def test_repo_specs_tests_pass_on_agent_sessions(repo_copy: Path) -> None:
    result = run_cli(["-C", str(repo_copy), "test", "-e", "agents", "-o", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (
        report["backend"] == "agents"
        and report["summary"]["passed"] == 6
        and report["summary"]["skipped"] == 3
    )
    [cited] = [c for c in report["cases"] if c["case"] == "grammar notes cite the knowledge file"]
    assert cited["status"] == "skipped" and "agent sessions do not have" in cited["reason"]


def test_copies_leave_the_environments_own_objects_untouched(tmp_path: Path) -> None:
    root = analyst_project(tmp_path, PASSING)
    assert run_cli(["-C", str(root), "apply", "--yes"]).exit_code == 0
    before = live_owners(root)
    result = run_cli(["-C", str(root), "test"])
    assert result.exit_code == 0, result.output
    assert live_owners(root) == before == ["test-project/dev/analyst"]
    diff = run_cli(["-C", str(root), "diff", "--prune"])
    assert diff.exit_code == 0 and "analyst-test" not in diff.output  # a test is never planned


def test_against_live_talks_to_the_deployed_assistant(tmp_path: Path) -> None:
    root = analyst_project(tmp_path, PASSING)
    assert run_cli(["-C", str(root), "apply", "--yes"]).exit_code == 0
    result = run_cli(["-C", str(root), "test", "--against-live", "--events", str(tmp_path / "events.jsonl")])
    assert result.exit_code == 0, result.output
    assert "against the deployed objects" in result.stdout
    events = [
        json.loads(line) for line in (tmp_path / "events.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    [finished] = [e for e in events if e["type"] == "test_case_finished"]
    assert finished["status"] == "passed" and finished["case"] == "kpis" and finished["passes"] == 1
    assert not any(e["type"].startswith("assistant_") for e in events)  # no write to the deployed objects


def test_an_unmet_expectation_fails_the_run_with_the_reason(tmp_path: Path) -> None:
    root = analyst_project(tmp_path, PASSING.replace("contains: '\"sales\": 1200.5'", "contains: footfall"))
    result = run_cli(["-C", str(root), "test", "-o", "markdown"])
    assert result.exit_code == 1
    assert "FAIL analyst-test > kpis" in result.stderr
    assert "does not contain 'footfall'" in result.stderr and "(specs/analyst-test.yaml:16)" in result.stderr
    assert "| ❌ | analyst-test | kpis |" in result.stdout
    assert live_owners(root) == []  # deleted on failure too


def test_scripted_arguments_violating_the_schema_fail_naming_the_violation(tmp_path: Path) -> None:
    root = analyst_project(tmp_path, PASSING.replace("period: week", "period: year"))
    result = run_cli(["-C", str(root), "test", "-o", "json"])
    assert result.exit_code == 1
    failure = json.loads(result.stdout)["cases"][0]["runs"][0]["failures"][0]
    assert "scripted call `fetch_kpis`" in failure and "'year' is not one of" in failure


def test_a_case_without_a_script_is_skipped_never_passed(tmp_path: Path) -> None:
    root = analyst_project(
        tmp_path,
        PASSING.replace(
            """            model:
              - call: fetch_kpis
                arguments: {store_id: "7", period: week}
              - reply: "Store 7 sold 1200.5"
""",
            "",
        ),
    )
    result = run_cli(["-C", str(root), "test"])
    assert result.exit_code == 0, result.output
    assert "SKIP analyst-test > kpis: needs a real model: turn 1 has no `model:` script" in result.stdout
    assert "short-lived" not in result.stderr  # nothing to run: nothing deployed


def test_repeat_and_pass_at_fail_fast(tmp_path: Path) -> None:
    root = analyst_project(tmp_path, PASSING.replace("contains: '\"sales\": 1200.5'", "contains: footfall"))
    result = run_cli(["-C", str(root), "test", "--repeat", "5", "-o", "json"])
    case = json.loads(result.stdout)["cases"][0]
    assert result.exit_code == 1 and case["repeat"] == 5 and len(case["runs"]) == 1  # 5 of 5 out of reach


def test_a_scripted_failure_passes_an_expect_failure_case(tmp_path: Path) -> None:
    root = analyst_project(
        tmp_path,
        PASSING.replace("      - name: kpis\n", "      - name: kpis\n        expect_failure: true\n").replace(
            '- reply: "Store 7 sold 1200.5"', '- fail: "the model broke"'
        ),
    )
    result = run_cli(["-C", str(root), "test", "-o", "json"])
    assert result.exit_code == 0, result.output
    assert "(failed as expected)" in result.stderr


@pytest.mark.parametrize(
    ("change", "message", "line"),
    [
        (
            "tool_called: fetch_kpis\n",
            "tool_called: fetch_kpi\n",
            "spec `analyst` has no function `fetch_kpi`; did you mean `fetch_kpis`?",
        ),
        ("spec: analyst\n", "spec: analist\n", "unknown spec `analist`; did you mean `analyst`?"),
        ("- call: fetch_kpis", "- call: fetch_kpiz", "has no function `fetch_kpiz`"),
        ("- reply: {regex", "- replies: {regex", "did you mean `reply`?"),
    ],
)
def test_a_bad_test_is_a_validation_error_at_its_line(
    tmp_path: Path, change: str, message: str, line: str
) -> None:
    root = analyst_project(tmp_path, PASSING.replace(change, message))
    result = run_cli(["-C", str(root), "validate"])
    assert result.exit_code == 1
    assert "specs/analyst-test.yaml:" in result.stderr and line in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_leftovers_of_a_killed_run_are_removed_by_the_next_run(tmp_path: Path) -> None:
    root = analyst_project(
        tmp_path,
        PASSING.replace(
            '"Store 7 sold 1200.5"',
            '"Store 7 sold 1200.5"\n'
            '        expect: []\n      - user: "again"\n        model:\n'
            '          - reply: "slow"',
        ),
    )
    root = analyst_project(tmp_path, PASSING)
    code = (
        "import os, sys\nfrom orchestrator.cli import main\n"
        "import orchestrator.runtime.behaviour as b\n"
        "b.run_tests = lambda *a, **k: os._exit(9)\n"  # killed mid-run: no cleanup at all
        f"main(['-C', {str(root)!r}, 'test'])\n"
    )
    killed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert killed.returncode == 9, killed.stderr
    assert len(live_owners(root)) == 1 and "dev~test/analyst-test-" in live_owners(root)[0]
    again = run_cli(["-C", str(root), "test"])
    assert again.exit_code == 0, again.output
    assert "leftover" in again.stderr and live_owners(root) == []


def test_schema_test_prints_the_test_schema() -> None:
    result = run_cli(["schema", "test"])
    assert result.exit_code == 0 and json.loads(result.stdout)["properties"]["kind"] == {"const": "test"}


def test_destroy_removes_the_copies_a_killed_run_left(tmp_path: Path) -> None:
    root = analyst_project(tmp_path, PASSING)
    code = (
        "import os\nfrom orchestrator.cli import main\nimport orchestrator.runtime.behaviour as b\n"
        "b.run_tests = lambda *a, **k: os._exit(9)\n"
        f"main(['-C', {str(root)!r}, 'test'])\n"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120).returncode == 9
    assert len(live_owners(root)) == 1
    result = run_cli(["-C", str(root), "destroy", "--yes"])
    assert result.exit_code == 0, result.output
    assert live_owners(root) == []


@pytest.mark.parametrize("backend", ["assistants", "agents"])
def test_a_served_emulator_takes_the_scripts_too(
    tmp_path: Path, served: EmulatorServer, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    root = analyst_project(tmp_path / "p", PASSING, backend=backend, base_url=served.base_url)
    result = run_cli(["-C", str(root), "test"])
    assert result.exit_code == 0, result.output
    assert "PASS analyst-test > kpis" in result.stdout and TEST_KEY not in result.output


def test_ctrl_c_deletes_the_copies_and_exits_130(tmp_path: Path) -> None:
    import signal

    root = analyst_project(tmp_path, PASSING)
    write(
        root / "handlers" / "shop.py",
        """
        import time

        def fetch_kpis(store_id, period):
            time.sleep(30)
            return {}
    """,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "-C", str(root), "test"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    assert "Created 1 short-lived copy" in line, line
    time.sleep(1.0)  # the case is in its handler now
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Deleted the test copies" in err and "Traceback" not in err
    assert live_owners(root) == []


def test_names_select_tests_or_the_specs_they_test(tmp_path: Path) -> None:
    root = analyst_project(tmp_path, PASSING)
    assert "PASS analyst-test > kpis" in run_cli(["-C", str(root), "test", "analyst"]).stdout
    unknown = run_cli(["-C", str(root), "test", "analyst-tst"])
    assert unknown.exit_code == 1 and "did you mean `analyst-test`?" in unknown.stderr
    nothing = run_cli(["-C", str(root), "test", "--case", "nope*"])
    assert nothing.exit_code == 1 and "no case matches --case 'nope*'" in nothing.stderr


@pytest.mark.parametrize(
    ("change", "replacement", "message"),
    [
        (
            "      - name: kpis\n",
            "      - name: kpis\n        pass_at: 2\n",
            "pass_at 2 is more than the 1 run",
        ),
        (
            '              - reply: "Store 7 sold 1200.5"\n',
            '              - reply: "Store 7 sold 1200.5"\n                fail: "x"\n',
            "a model step does one thing",
        ),
        (
            '              - reply: "Store 7 sold 1200.5"\n',
            '              - reply: "Store 7 sold 1200.5"\n              - call: fetch_kpis\n',
            "`reply` ends the turn",
        ),
        (
            "              - tool_called: fetch_kpis\n",
            "              - tool_called: fetch_kpis\n                not_tool_called: fetch_kpis\n",
            "an expectation checks one thing",
        ),
        (
            "              - reply: {regex: 'sold \\d+'}\n",
            "              - reply: {regex: 'sold ('}\n",
            "not a regular expression",
        ),
    ],
)
def test_a_test_that_cannot_mean_anything_is_refused(
    tmp_path: Path, change: str, replacement: str, message: str
) -> None:
    assert change in PASSING
    root = analyst_project(tmp_path, PASSING.replace(change, replacement))
    result = run_cli(["-C", str(root), "validate"])
    assert (
        result.exit_code == 1 and "specs/analyst-test.yaml:" in result.stderr and message in result.stderr
    ), result.stderr
    assert "Traceback" not in result.output


def test_a_citation_of_another_file_fails_naming_what_was_cited(repo_copy: Path) -> None:
    tests = repo_copy / "specs" / "tutor-exercises.yaml"
    tests.write_text(
        tests.read_text(encoding="utf-8").replace(
            "citation: specs/knowledge/tutor/subjuntivo.md", "citation: vocabulario.md"
        ),
        encoding="utf-8",
    )
    result = run_cli(["-C", str(repo_copy), "test", "tutor-exercises", "--case", "*cite*"])
    assert result.exit_code == 1
    assert "citation: the reply does not cite `vocabulario.md` (cites: " in result.stdout
    assert "specs__knowledge__tutor__subjuntivo.md" in result.stdout


def test_a_test_is_not_something_to_render_or_run(tmp_path: Path) -> None:
    root = analyst_project(tmp_path, PASSING)
    for command in (["render", "analyst-test"], ["run", "analyst-test", "-m", "hi"]):
        result = run_cli(["-C", str(root), *command])
        assert result.exit_code == 1
        assert "`analyst-test` is a behaviour test (kind: test), never deployed" in result.stderr


TWO_TURNS = PASSING.replace(
    """              - reply: {regex: 'sold \\d+'}
""",
    """              - reply: {regex: 'sold \\d+'}
          - user: "And last month?"
            model:
              - call: fetch_kpis
                arguments: {store_id: "7", period: month}
              - call: fetch_kpis
                arguments: {store_id: "8", period: month}
              - reply: "Both fetched."
            expect:
              - tool_called: fetch_kpis
                arguments: {store_id: "8"}
                order: 2
              - max_tool_rounds: 2
              - reply: {equals: "Both fetched."}
""",
)


@pytest.mark.parametrize("backend", ["assistants", "agents"])
def test_a_conversation_of_several_turns_and_rounds(tmp_path: Path, backend: str) -> None:
    assert TWO_TURNS != PASSING
    root = analyst_project(tmp_path, TWO_TURNS, backend=backend)
    result = run_cli(["-C", str(root), "test", "-o", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["cases"][0]["status"] == "passed"
