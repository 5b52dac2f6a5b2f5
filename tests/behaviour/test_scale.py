"""`orchestrator test` at scale and against a baseline: --parallelism, --baseline REV, one copy per tested
spec. The real CLI, the real SDK over HTTP, the embedded emulator, a real git repository."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.behaviour.test_orchestrator_test import PASSING, analyst_project, live_owners
from tests.support.agent_kinds import VAULT
from tests.support.projects import run_cli, write

if shutil.which("git") is None:  # pragma: no cover - git is on every machine the tests run on
    pytest.skip("git is not installed", allow_module_level=True)


def git(root: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    done = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, env=env, check=True, timeout=60
    )
    return done.stdout.strip()


def committed(root: Path) -> str:
    """root as a git repository with everything committed (the project state stays out); the commit id."""
    (root / ".gitignore").write_text(".orchestrator/\n__pycache__/\n")
    if not (root / ".git").exists():
        git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return git(root, "rev-parse", "HEAD")


def cases_yaml(count: int, *, spec: str = "analyst", name: str = "analyst-test") -> str:
    lines = ["version: 1", "kind: test", f"name: {name}", f"spec: {spec}", "cases:"]
    for number in range(count):
        lines += [
            f"  - name: case {number:02d}",
            "    turns:",
            f'      - user: "KPIs of store {number}"',
            "        model:",
            "          - call: fetch_kpis",
            f'            arguments: {{store_id: "{number}", period: week}}',
            f'          - reply: "Store {number} sold 1200.5"',
            "        expect:",
            "          - tool_called: fetch_kpis",
            "          - reply: {contains: sold}",
        ]
    return "\n".join(lines) + "\n"


# -- --baseline REV ------------------------------------------------------------------------------------------


def regressed_project(tmp_path: Path) -> tuple[Path, str]:
    """At the base commit `kpis` passes; in the working tree the spec's schema refuses the scripted `week`
    (a regression), and a new spec `reporter` has a test of its own (new)."""
    root = analyst_project(tmp_path, PASSING)
    base = committed(root)
    spec = root / "specs" / "analyst.yaml"
    spec.write_text(spec.read_text().replace("- week", "- quarter"))
    assert "quarter" in spec.read_text()
    (root / "specs" / "reporter.yaml").write_text(spec.read_text().replace("name: analyst", "name: reporter"))
    write(
        root / "specs" / "reporter-test.yaml",
        PASSING.replace("name: analyst-test", "name: reporter-test")
        .replace("spec: analyst", "spec: reporter")
        .replace("period: week", "period: quarter"),
    )
    return root, base


def test_baseline_reports_base_to_head_regressions_first_in_json(tmp_path: Path) -> None:
    root, base = regressed_project(tmp_path)
    result = run_cli(["-C", str(root), "test", "--baseline", "HEAD", "-o", "json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["baseline"] == "HEAD" and report["baseline_commit"] == base
    first, second = report["cases"]
    assert (first["test"], first["status"]) == ("analyst-test", "failed")  # the regression comes first ...
    assert first["baseline"]["status"] == "passed" and first["baseline"]["passes"] == 1
    assert first["baseline"]["runs"] == 1 and isinstance(first["baseline"]["cost_usd"], float)
    assert set(first["baseline"]) == {"status", "passes", "runs", "cost_usd"}
    assert (second["test"], second["status"], second["baseline"]) == ("reporter-test", "passed", None)  # new
    assert "Baseline: revision " + base[:7] in result.stderr
    assert (
        "Against baseline HEAD (" + base[:7] + "): 1 regression, 0 fixed, 1 new, 0 unchanged."
        in result.stderr
    )
    assert live_owners(root) == []  # both sets of copies deleted


def test_baseline_in_text_junit_and_markdown(tmp_path: Path) -> None:
    root, _ = regressed_project(tmp_path)
    text = run_cli(["-C", str(root), "test", "--baseline", "HEAD"])
    assert text.exit_code == 1
    assert "FAIL analyst-test > kpis [passed -> failed]" in text.stdout
    assert "PASS reporter-test > kpis [new -> passed]" in text.stdout
    assert "1 regression, 0 fixed, 1 new" in text.stdout
    junit = run_cli(["-C", str(root), "test", "--baseline", "HEAD", "-o", "junit", "--out", "r.xml"])
    assert junit.exit_code == 1
    cases = {c.get("classname"): c for c in ET.parse(root / "r.xml").getroot().iter("testcase")}
    failure = cases["analyst-test.analyst"].find("failure")
    assert failure is not None and failure.get("type") == "regression"
    assert failure.get("message", "").startswith("regression (passed -> failed): ")
    props = {p.get("name"): p.get("value") for p in cases["reporter-test.reporter"].iter("property")}
    assert props["baseline"] == "new"
    markdown = run_cli(["-C", str(root), "test", "--baseline", "HEAD", "-o", "markdown"])
    assert "| base -> head |" in markdown.stdout and "**passed -> failed**" in markdown.stdout
    rows = [
        line for line in markdown.stdout.splitlines() if line.startswith("| ❌") or line.startswith("| ✅")
    ]
    assert "analyst-test" in rows[0] and "new -> passed" in rows[1]


def test_baseline_never_imports_handlers_from_the_revision(tmp_path: Path) -> None:
    root = analyst_project(tmp_path, PASSING)
    handler = root / "handlers" / "shop.py"
    good = handler.read_text()
    marker = tmp_path / "imported-from-revision"
    handler.write_text(f"open({str(marker)!r}, 'w').close()\n" + good)
    committed(root)
    handler.write_text(good)  # the working tree's handler: no marker
    result = subprocess.run(
        [sys.executable, "-m", "orchestrator", "-C", str(root), "test", "--baseline", "HEAD", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )  # a fresh sys.modules
    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    [case] = json.loads(result.stdout)["cases"]
    assert case["baseline"]["status"] == "passed" == case["status"]


@pytest.mark.parametrize(
    ("rev", "message"),
    [
        ("no-such-branch", "unknown git revision `no-such-branch`"),
        ("--output=/tmp/x", "is not a git revision"),
        ("HEAD~1..HEAD", "is a range of commits"),
    ],
)
def test_a_bad_baseline_revision_is_refused_before_anything_is_created(
    tmp_path: Path, rev: str, message: str
) -> None:
    root = analyst_project(tmp_path, PASSING)
    committed(root)
    result = run_cli(["-C", str(root), "test", "--baseline", rev])
    assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.output
    assert "Created" not in result.stderr and not (root / ".orchestrator" / "local.db").exists()


def test_a_baseline_that_does_not_validate_is_refused(tmp_path: Path) -> None:
    root = analyst_project(tmp_path, PASSING)
    spec = root / "specs" / "analyst.yaml"
    good = spec.read_text()
    spec.write_text(good.replace("model:", "modle:"))
    committed(root)
    spec.write_text(good)
    result = run_cli(["-C", str(root), "test", "--baseline", "HEAD"])
    assert result.exit_code == 1 and "does not validate" in result.stderr and "Traceback" not in result.output
    assert "Created" not in result.stderr and not (root / ".orchestrator" / "local.db").exists()


def test_baseline_outside_git_and_with_against_live_are_refused(tmp_path: Path) -> None:
    root = analyst_project(tmp_path, PASSING)
    outside = run_cli(["-C", str(root), "test", "--baseline", "HEAD"])
    assert outside.exit_code == 1 and "git" in outside.stderr and "Traceback" not in outside.output
    committed(root)
    live = run_cli(["-C", str(root), "test", "--baseline", "HEAD", "--against-live"])
    assert live.exit_code == 1 and "cannot be combined with --against-live" in live.stderr


# -- --parallelism and the copies -------------------------------------------------------------------------------


def slow_handler(root: Path, seconds: float, log: Path | None = None) -> None:
    """fetch_kpis sleeps; with log, each call appends its start and end time there. The module has a name of
    its own (the CLI runs in this process, where `shop` of another test may be imported already)."""
    module = f"slow_{root.parent.name}_{root.name}".replace("-", "_")
    spec = root / "specs" / "analyst.yaml"
    spec.write_text(spec.read_text().replace("shop:fetch_kpis", f"{module}:fetch_kpis"))
    write(
        root / "handlers" / f"{module}.py",
        f"""
        import time

        def fetch_kpis(store_id, period):
            started = time.time()
            time.sleep({seconds})
            if {str(log) if log else ""!r}:
                with open({str(log)!r}, "a") as f:
                    f.write(f"{{started}} {{time.time()}}\\n")
            return {{"store_id": store_id, "period": period, "sales": 1200.5}}
    """,
    )


def most_at_once(log: Path) -> int:
    """The most handler calls the log shows running at the same time."""
    edges = []
    for line in log.read_text().splitlines():
        start, end = map(float, line.split())
        edges += [(start, 1), (end, -1)]
    running = peak = 0
    for _, step in sorted(edges):
        running += step
        peak = max(peak, running)
    return peak


def test_cases_run_in_parallel_and_report_in_file_order(tmp_path: Path) -> None:
    root = analyst_project(tmp_path, cases_yaml(8))
    slow_handler(root, 0.5, tmp_path / "calls.log")
    events = tmp_path / "events.jsonl"
    result = run_cli(
        [
            "-C",
            str(root),
            "test",
            "--parallelism",
            "8",
            "-o",
            "json",
            "--out",
            "r.json",
            "--events",
            str(events),
        ]
    )
    assert result.exit_code == 0, result.output
    assert most_at_once(tmp_path / "calls.log") >= 4  # the handlers of several cases ran at once
    report = json.loads((root / "r.json").read_text())
    assert [c["case"] for c in report["cases"]] == [f"case {n:02d}" for n in range(8)]
    # not a terminal: the case lines stream in file order too
    assert [line.split(" (")[0] for line in result.stdout.splitlines() if line.startswith("PASS")] == [
        f"PASS analyst-test > case {n:02d}" for n in range(8)
    ]
    # one create and one delete per tested spec, however many cases
    kinds = [json.loads(line)["type"] for line in events.read_text().splitlines()]
    assert kinds.count("assistant_created") == 1 and kinds.count("assistant_deleted") == 1
    assert kinds.count("test_case_finished") == 8


def test_parallelism_one_runs_cases_one_after_another(tmp_path: Path) -> None:
    root = analyst_project(tmp_path, cases_yaml(3))
    slow_handler(root, 0.1, tmp_path / "calls.log")
    result = run_cli(["-C", str(root), "test", "--parallelism", "1", "-o", "json"])
    assert result.exit_code == 0, result.output
    assert most_at_once(tmp_path / "calls.log") == 1
    assert [c["status"] for c in json.loads(result.stdout)["cases"]] == ["passed"] * 3
    bad = run_cli(["-C", str(root), "test", "--parallelism", "0"])
    assert bad.exit_code != 0 and "'--parallelism': 0 is not in the range" in bad.output


def test_parallel_cases_on_agent_sessions_keep_their_own_scripts(tmp_path: Path) -> None:
    root = analyst_project(tmp_path, cases_yaml(6), backend="agents")
    result = run_cli(["-C", str(root), "test", "--parallelism", "6", "-o", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["backend"] == "agents" and report["summary"]["passed"] == 6


def test_ctrl_c_in_a_parallel_run_deletes_the_copies_and_exits_promptly(tmp_path: Path) -> None:
    root = analyst_project(tmp_path, cases_yaml(6))
    slow_handler(root, 30)
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "-C", str(root), "test", "--parallelism", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    assert "Created 1 short-lived copy" in line, line
    time.sleep(1.0)  # three cases are in their handlers now
    interrupted = time.perf_counter()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert time.perf_counter() - interrupted < 20  # never waits for the handlers' 30 s
    assert "Deleted the test copies" in err and "Traceback" not in err
    assert live_owners(root) == []


def test_knowledge_uploads_of_the_copies_are_removed_with_them(tmp_path: Path) -> None:
    root = analyst_project(tmp_path, PASSING)
    write(root / "specs" / "knowledge" / "faq.md", "# FAQ\nStores report weekly.\n")
    spec = root / "specs" / "analyst.yaml"
    spec.write_text(spec.read_text() + "tools: [file_search]\nknowledge: {files: [knowledge/*.md]}\n")
    result = run_cli(["-C", str(root), "test"])
    assert result.exit_code == 0, result.output
    import sqlite3

    db = sqlite3.connect(root / ".orchestrator" / "local.db")
    try:
        kinds = [kind for (kind,) in db.execute("select kind from objects")]
    finally:
        db.close()
    assert "vector_store" not in kinds and "file" not in kinds, kinds


# -- copies of the specs a tested spec depends on (agents targets) ----------------------------------------------

SECRET = "crm-secret-5f1e9a"


def dependent_project(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An agent in environment `tutor-env` (which installs skill `grammar`) with an MCP tool whose credential
    is in vault `crm`: testing the agent needs copies of all four."""
    monkeypatch.setenv("CRM_TOKEN", SECRET)
    analyst_project(root, PASSING, backend="agents")
    write(
        root / "specs" / "grammar.yaml", "version: 1\nkind: skill\nname: grammar\nfolder: ../skills/grammar\n"
    )
    write(
        root / "skills" / "grammar" / "SKILL.md",
        "---\nname: grammar\ndescription: Spanish grammar\n---\nBody.\n",
    )
    write(
        root / "specs" / "tutor-env.yaml",
        "version: 1\nkind: environment\nname: tutor-env\nskills: [grammar]\n",
    )
    write(root / "specs" / "crm.yaml", VAULT)
    spec = root / "specs" / "analyst.yaml"
    spec.write_text(
        spec.read_text() + "environment: tutor-env\ntools:\n  - {type: mcp, server_label: crm, "
        "server_url: 'https://mcp.example.com', credential: crm-token}\n"
    )
    return root


def copy_objects(root: Path) -> list[str]:
    """The kinds of the test copies live on the local target (their names end in -test-<run>)."""
    import re
    import sqlite3

    path = root / ".orchestrator" / "local.db"
    if not path.exists():
        return []
    db = sqlite3.connect(path)
    try:
        rows = db.execute("select kind, body from objects").fetchall()
    finally:
        db.close()
    return sorted(kind for kind, body in rows if re.search(r"-test-[0-9a-f]{8}\b", body))


def test_a_spec_with_dependencies_gets_copies_of_all_of_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = dependent_project(tmp_path, monkeypatch)
    assert run_cli(["-C", str(root), "apply", "--yes"]).exit_code == 0  # the environment's own objects
    events = tmp_path / "events.jsonl"
    result = run_cli(["-C", str(root), "test", "--events", str(events)])
    assert result.exit_code == 0, result.output
    assert "Created 1 short-lived copy" in result.stderr and "(4 objects)" in result.stderr
    changes = [
        (e["type"], e["name"])
        for e in map(json.loads, events.read_text().splitlines())
        if e["type"].endswith(("_created", "_deleted")) and "name" in e
    ]
    made = sorted(kind.removesuffix("_created") for kind, name in changes if kind.endswith("_created"))
    assert made == ["agent", "environment", "skill", "vault"]  # one create each ...
    assert sorted(kind.removesuffix("_deleted") for kind, _ in changes if kind.endswith("_deleted")) == made
    assert all("-test-" in name for _, name in changes)  # ... of copies only: never the environment's own
    assert SECRET not in result.output and SECRET not in events.read_text()
    assert copy_objects(root) == []
    diff = run_cli(["-C", str(root), "diff"])
    assert diff.exit_code == 0, diff.output  # the environment's own objects untouched


@pytest.mark.parametrize("cleaner", ["next run", "destroy"])
def test_a_killed_runs_dependency_copies_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cleaner: str
) -> None:
    root = dependent_project(tmp_path, monkeypatch)
    code = (
        "import os\nfrom orchestrator.cli import main\nimport orchestrator.runtime.behaviour as b\n"
        "b.run_tests = lambda *a, **k: os._exit(9)\n"  # killed mid-run: no cleanup at all
        f"main(['-C', {str(root)!r}, 'test'])\n"
    )
    killed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert killed.returncode == 9, killed.stderr
    assert len(copy_objects(root)) >= 3, copy_objects(root)  # the agent, its environment, the vault ...
    if cleaner == "next run":
        again = run_cli(["-C", str(root), "test"])
        assert again.exit_code == 0, again.output
        assert "Removed 4 leftover objects" in again.stderr
    else:
        assert run_cli(["-C", str(root), "destroy", "--yes"]).exit_code == 0
    assert copy_objects(root) == []


def test_the_repo_specs_run_on_the_agents_environment_in_parallel(tmp_path: Path) -> None:
    from tests.behaviour.test_orchestrator_test import REPO

    for name in ("orchestrator.yaml", "specs", "templates", "schemas", "examples"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    result = run_cli(["-C", str(tmp_path), "test", "-e", "agents", "--parallelism", "8", "-o", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["summary"]["passed"] == 6 and report["summary"]["failed"] == 0


def test_a_real_baseline_report_renders_in_the_pull_request_comment(tmp_path: Path) -> None:
    root, base = regressed_project(tmp_path)
    result = run_cli(["-C", str(root), "test", "--baseline", "HEAD", "-o", "json", "--out", "tests.json"])
    assert result.exit_code == 1, result.output
    comment = run_cli(["-C", str(root), "comment", "--tests", str(root / "tests.json")])
    assert comment.exit_code == 0, comment.output
    assert "baseline `HEAD`" in comment.stdout and base[:7] in comment.stdout
    assert comment.stdout.index("analyst-test") < comment.stdout.index(
        "reporter-test"
    )  # the regression first
