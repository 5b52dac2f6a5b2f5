"""No duplicate is reported as success (issue 14, item 5).

(a) a create whose response is lost after the client's timeout, committed by the server later;
(b) two applies at once, from two checkouts of one project or two target names for one URL.
Each create carries its run's claim token; the verification read after apply removes the newer
duplicates the run made itself, apply exits 1 while any other remains, and diff exits 2.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml

from orchestrator.emulator import EmulatorServer
from orchestrator.engine.ownership import OWNER_KEY, parse_claim
from tests.conftest import TEST_KEY
from tests.support.live import assistants
from tests.support.projects import make_project, run_cli, write_spec
from tests.support.proxy import FailingProxy

COLLECTION = {"assistants": "/v1/assistants", "agents": "/v1/agents"}


def live_objects(sdk: openai.OpenAI, backend: str) -> list[Any]:
    if backend == "agents":
        return list(sdk.beta.agents.list(limit=100, order="asc"))
    return assistants(sdk)


def claims(
    sdk: openai.OpenAI, backend: str = "assistants", prefix: str = "test-project/"
) -> collections.Counter[str]:
    owners = ((o.metadata or {}).get(OWNER_KEY, "") for o in live_objects(sdk, backend))
    return collections.Counter(owner for owner in owners if owner.startswith(prefix))


def with_timeout(root: Path, seconds: float) -> None:
    path = root / "orchestrator.yaml"
    data = yaml.safe_load(path.read_text())
    data["targets"]["main"]["timeout"] = seconds
    path.write_text(yaml.safe_dump(data))


class LateCommit:
    """Holds the first create past the client's timeout; the server commits it later (a lost response).

    `release` says when: "with-retry" commits it while the client's retried create is being answered
    (before the client reads anything again); otherwise the test releases it itself with `commit()`.
    """

    def __init__(self, collection: str, release: str) -> None:
        self.collection = collection
        self.release = release
        self.proxy: FailingProxy | None = None
        self.creates = 0
        self.lock = threading.Lock()
        self.released = threading.Event()
        self.committed = threading.Event()
        self.late_id: str | None = None

    def __call__(self, method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any] | None:
        if (method, path) != ("POST", self.collection):
            return None
        with self.lock:
            self.creates += 1
            number = self.creates
        assert self.proxy is not None
        if number == 1:  # the client times out meanwhile; then the server commits it anyway
            self.released.wait(timeout=30)
            status, created = self.proxy.forward(method, path, body, headers)
            self.late_id = created.get("id")
            self.committed.set()
            return status, created  # nobody is listening any more
        if number == 2 and self.release == "with-retry":
            answer = self.proxy.forward(method, path, body, headers)
            self.commit()
            return answer
        return None

    def commit(self) -> None:
        self.released.set()
        assert self.committed.wait(timeout=30), "the held create never committed"


@pytest.mark.parametrize("backend", ["assistants", "agents"])
def test_a_create_committed_after_the_client_timed_out_is_found_and_removed(
    tmp_path: Path, served: EmulatorServer, sdk: openai.OpenAI, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    """Before: two live objects, "0 failed" and the next diff exit 0. Now: the late one is removed."""
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    rule = LateCommit(COLLECTION[backend], release="with-retry")
    with FailingProxy(served.root_url, rule) as proxy:
        rule.proxy = proxy
        root = make_project(tmp_path / "project", base_url=proxy.base_url, backend=backend)
        with_timeout(root, 1.0)
        write_spec(root, "helper")
        events = tmp_path / "events.jsonl"
        result = run_cli(["-C", str(root), "apply", "--yes", "--events", str(events)])
        assert rule.creates == 2 and rule.late_id, result.output  # the create was sent twice, both landed
        assert result.exit_code == 0, result.output
        [kept] = [
            o
            for o in live_objects(sdk, backend)
            if (o.metadata or {}).get(OWNER_KEY) == "test-project/dev/helper"
        ]
        assert kept.id != rule.late_id
        assert f"helper: created ({kept.id})" in result.stdout
        assert (
            f"removed duplicate {rule.late_id} made by this apply (kept {kept.id}, the oldest)"
            in result.stdout
        )
        assert "1 duplicate(s) removed" in result.stdout
        deleted = [json.loads(line) for line in events.read_text().splitlines()]
        assert {"id": rule.late_id, "reason": "duplicate"}.items() <= next(
            e for e in deleted if e["type"].endswith("_deleted")
        ).items()
        assert run_cli(["-C", str(root), "diff"]).exit_code == 0
        assert TEST_KEY not in result.output + events.read_text()


def test_a_create_committed_after_apply_ended_makes_diff_exit_2_until_pruned(
    tmp_path: Path, served: EmulatorServer, sdk: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A create that lands after the verification read: diff exits 2, list shows it, apply exits 1, --prune removes it."""
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    rule = LateCommit(COLLECTION["assistants"], release="later")
    with FailingProxy(served.root_url, rule) as proxy:
        rule.proxy = proxy
        root = make_project(tmp_path / "project", base_url=proxy.base_url)
        with_timeout(root, 1.0)
        write_spec(root, "helper")
        applied = run_cli(["-C", str(root), "apply", "--yes"])
        assert applied.exit_code == 0, applied.output
        rule.commit()  # the server commits the timed-out create only now
        [first, late] = [a for a in assistants(sdk) if a.metadata.get(OWNER_KEY) == "test-project/dev/helper"]
        assert late.id == rule.late_id

        diff = run_cli(["-C", str(root), "diff"])
        assert diff.exit_code == 2, diff.output  # before: 0
        assert f"claimed by {late.id} as well as by {first.id}" in diff.stdout
        listing = json.loads(run_cli(["-C", str(root), "list", "--output", "json"]).stdout)
        assert {(r["id"], r["status"]) for r in listing} == {(first.id, "in sync"), (late.id, "duplicate")}
        again = run_cli(["-C", str(root), "apply", "--yes"])
        assert again.exit_code == 1, again.output  # another run's duplicate: reported, not removed silently
        assert f"DUPLICATE {late.id}" in again.stderr and "apply --prune" in again.stderr
        pruned = run_cli(["-C", str(root), "apply", "--yes", "--prune"])
        assert pruned.exit_code == 0, pruned.output
        assert claims(sdk)["test-project/dev/helper"] == 1
        assert run_cli(["-C", str(root), "diff"]).exit_code == 0


class ListBarrier:
    """Lets the first listing of each of two applies through only when both have asked, so that both
    plan against the same live state: the race of two CI jobs, every time."""

    def __init__(self, collection: str, parties: int = 2) -> None:
        self.collection = collection
        self.barrier = threading.Barrier(parties, timeout=60)
        self.waiting = parties
        self.lock = threading.Lock()

    def __call__(self, method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any] | None:
        if (method, path) == ("GET", self.collection):
            with self.lock:
                wait = self.waiting > 0
                self.waiting -= 1
            if wait:
                self.barrier.wait()
        return None


def start_apply(root: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "NO_COLOR": "1", "TEST_ORCHESTRATOR_KEY": TEST_KEY}
    return subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "-C", str(root), "apply", "--yes", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def two_applies(
    tmp_path: Path,
    base_url: str,
    backend: str,
    how: str,
    specs: int,
    edit: Callable[[Path], None] | None = None,
) -> tuple[list[Path], list[tuple[int, str, str]]]:
    if how == "two checkouts":
        roots = [make_project(tmp_path / name, base_url=base_url, backend=backend) for name in ("a", "b")]
        commands = [(roots[0], ()), (roots[1], ())]
    else:  # one checkout, two target names for one URL: each holds its own lock file
        alias = {"alias": {"type": backend, "base_url": base_url, "api_key_env": "TEST_ORCHESTRATOR_KEY"}}
        roots = [make_project(tmp_path / "a", base_url=base_url, backend=backend, extra_targets=alias)]
        commands = [(roots[0], ()), (roots[0], ("-t", "alias"))]
    for root in roots:
        for index in range(specs):
            write_spec(root, f"spec-{index:02d}")
    if edit is not None:
        edit(roots[-1])
    runs = [start_apply(root, *args) for root, args in commands]
    outputs = [run.communicate(timeout=240) for run in runs]
    return roots, [(run.returncode, out, err) for run, (out, err) in zip(runs, outputs, strict=True)]


@pytest.mark.parametrize(
    ("backend", "how"),
    [("assistants", "two checkouts"), ("assistants", "two target names"), ("agents", "two checkouts")],
)
def test_two_applies_at_once_leave_no_duplicate(
    tmp_path: Path,
    served: EmulatorServer,
    sdk: openai.OpenAI,
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
    how: str,
) -> None:
    """Before: every spec created twice (178 duplicates in 5 runs), both exits 0. Now: none is left."""
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    specs = 8
    with FailingProxy(served.root_url, ListBarrier(COLLECTION[backend])) as proxy:
        roots, results = two_applies(tmp_path, proxy.base_url, backend, how, specs)
        for root in roots:
            assert run_cli(["-C", str(root), "diff"]).exit_code == 0
    codes = [code for code, _, _ in results]
    assert codes == [0, 0], results
    created = sum(out.count(": created (") for _, out, _ in results)
    lost = sum(out.count(", created by another apply at the same time") for _, out, _ in results)
    removed = sum(out.count(": removed duplicate ") for _, out, _ in results)
    # both created every spec (each printed as it finished): the race happened; the verification read then
    # found the other run's older copy for half of them and says so
    assert created == 2 * specs and lost == specs, results
    assert removed == specs, results  # and each spec's newer copy was removed by the run that made it
    counts = claims(sdk, backend)
    assert len(counts) == specs and set(counts.values()) == {1}, counts
    for _code, out, err in results:
        assert TEST_KEY not in out + err


def test_two_applies_of_different_content_keep_the_oldest_and_fail_the_other(
    tmp_path: Path, served: EmulatorServer, sdk: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run whose copy lost the race to an object of other content exits 1: live is not its spec."""
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)

    def change(root: Path) -> None:
        write_spec(root, "spec-00", instructions="Something else.")

    with FailingProxy(served.root_url, ListBarrier(COLLECTION["assistants"])) as proxy:
        roots, results = two_applies(tmp_path, proxy.base_url, "assistants", "two checkouts", 1, edit=change)
        assert sorted(code for code, _, _ in results) == [0, 1], results
        [(_, loser, _)] = [r for r in results if r[0] == 1]
        assert "another apply created" in loser and "different content" in loser
        assert set(claims(sdk).values()) == {1}
        [kept] = assistants(sdk)
        winner = roots[0] if kept.instructions == "You are spec-00." else roots[1]
        loser_root = roots[1] if winner is roots[0] else roots[0]
        assert run_cli(["-C", str(winner), "diff"]).exit_code == 0
        assert run_cli(["-C", str(loser_root), "diff"]).exit_code == 2


def test_the_claim_token_fits_in_the_two_reserved_metadata_slots(project: Path, sdk: openai.OpenAI) -> None:
    write_spec(project, "helper")
    assert run_cli(["-C", str(project), "apply", "--yes"]).exit_code == 0
    [first] = assistants(sdk)
    claim = parse_claim(first.metadata)
    assert claim and len(claim) == 16
    assert len(first.metadata[OWNER_KEY]) <= 512 and len(first.metadata["orchestrator.hash"]) <= 512
    assert len(first.metadata) == 2  # the claim fits in the two reserved slots


def test_duplicates_on_the_agents_backend_make_diff_exit_2_and_apply_exit_1(
    agents_project: Path, sdk: openai.OpenAI
) -> None:
    write_spec(agents_project, "helper")
    assert run_cli(["-C", str(agents_project), "apply", "--yes"]).exit_code == 0
    [original] = sdk.beta.agents.list()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        copy = sdk.beta.agents.create(
            model=original.model,
            name=original.name,
            instructions=original.instructions,
            metadata=original.metadata,
        )
    assert run_cli(["-C", str(agents_project), "diff"]).exit_code == 2
    applied = run_cli(["-C", str(agents_project), "apply", "--yes"])
    assert applied.exit_code == 1 and f"DUPLICATE {copy.id}" in applied.stderr
    assert run_cli(["-C", str(agents_project), "apply", "--yes", "--prune"]).exit_code == 0
    assert run_cli(["-C", str(agents_project), "diff"]).exit_code == 0


def test_a_saved_plan_applied_while_a_duplicate_is_live_exits_1_unless_it_prunes(
    project: Path, sdk: openai.OpenAI, tmp_path: Path
) -> None:
    """The shipped workflow applies a saved plan: a duplicate must fail that job too."""
    write_spec(project, "helper")
    assert run_cli(["-C", str(project), "apply", "--yes"]).exit_code == 0
    [original] = assistants(sdk)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        copy = sdk.beta.assistants.create(model=original.model, metadata=original.metadata)
    plan_file, pruning = tmp_path / "plan.json", tmp_path / "prune.json"
    assert run_cli(["-C", str(project), "diff", "--out", str(plan_file)]).exit_code == 2
    applied = run_cli(["-C", str(project), "apply", "--yes", str(plan_file)])
    assert applied.exit_code == 1 and f"DUPLICATE {copy.id}" in applied.stderr, applied.output
    assert run_cli(["-C", str(project), "diff", "--prune", "--out", str(pruning)]).exit_code == 2
    assert run_cli(["-C", str(project), "apply", "--yes", str(pruning)]).exit_code == 0
    assert [a.id for a in assistants(sdk)] == [original.id]


def test_two_applies_of_a_spec_with_knowledge_leave_one_assistant_and_one_store(
    tmp_path: Path, served: EmulatorServer, sdk: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)

    def knowledge(root: Path) -> None:
        (root / "specs" / "knowledge").mkdir(parents=True, exist_ok=True)
        (root / "specs" / "knowledge" / "a.md").write_text("Some knowledge.\n")
        write_spec(root, "spec-00", tools=["file_search"], knowledge={"files": ["knowledge/*.md"]})

    with FailingProxy(served.root_url, ListBarrier(COLLECTION["assistants"])) as proxy:
        roots = [make_project(tmp_path / name, base_url=proxy.base_url) for name in ("a", "b")]
        for root in roots:
            knowledge(root)
        runs = [start_apply(root) for root in roots]
        results = [(run.wait(timeout=240), *run.communicate()) for run in runs]
        assert [code for code, _, _ in results] == [0, 0], results
        assert run_cli(["-C", str(roots[0]), "diff"]).exit_code == 0
    assert set(claims(sdk).values()) == {1}
    stores = [
        s for s in sdk.vector_stores.list() if (s.metadata or {}).get(OWNER_KEY) == "test-project/dev/spec-00"
    ]
    assert len(stores) == 1, [s.id for s in stores]
