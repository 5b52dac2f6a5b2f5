"""Injected faults (429, 5xx, dropped connections, lost responses): apply converges without duplicates;
a failure never stops the other changes; concurrent applies on a local target are serialised."""

from __future__ import annotations

import collections
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import openai
import pytest
from filelock import FileLock

from orchestrator.engine.ownership import OWNER_KEY
from tests.support.live import assistants, request_counts, reset_counts, set_faults, writes
from tests.support.projects import Result, make_project, run_cli, write_spec

SPECS = 30


def owners(sdk: openai.OpenAI) -> collections.Counter[str]:
    return collections.Counter((a.metadata or {}).get(OWNER_KEY, "") for a in assistants(sdk))


@pytest.mark.parametrize("seed", [1, 7, 42])
def test_apply_under_faults_converges_without_duplicates(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI, root_url: str, seed: int
) -> None:
    for index in range(SPECS):
        write_spec(project, f"spec-{index:02d}", temperature=0.5, tools=["code_interpreter"])
    set_faults(root_url, fault_rate=0.2, seed=seed)
    results: list[Result] = []
    for _ in range(4):
        results.append(cli("apply", "--yes"))
        if results[-1].exit_code == 0 and "No changes" in results[-1].stdout:
            break
    # a run that failed says which changes failed and why, and exits 1
    for result in results:
        if result.exit_code != 0:
            assert "FAILED" in result.stdout or "cannot read live state" in result.stderr, result.output
    assert results[-1].exit_code == 0, [r.output for r in results]
    for index in range(SPECS):  # an update under faults too
        write_spec(project, f"spec-{index:02d}", temperature=0.7, tools=["code_interpreter"])
    for _ in range(4):
        if cli("apply", "--yes").exit_code == 0:
            break
    set_faults(root_url, fault_rate=0.0)
    counts = owners(sdk)
    assert sorted(counts) == [f"test-project/dev/spec-{index:02d}" for index in range(SPECS)]
    assert set(counts.values()) == {1}, "duplicates: " + str({k: v for k, v in counts.items() if v > 1})
    reset_counts(root_url)
    again = cli("apply", "--yes")
    assert again.exit_code == 0 and "No changes" in again.stdout
    assert writes(request_counts(root_url)) == 0


def test_lost_create_response_is_adopted_not_duplicated(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI, root_url: str, tmp_path: Path
) -> None:
    """The emulator's lost_response fault: the create lands, then the connection drops."""
    write_spec(project, "helper")
    events = tmp_path / "events.jsonl"
    # request 1 (the list) passes, request 2 (the create) lands but its response is lost, then all is well
    set_faults(root_url, fault_rate=0.5, seed=find_seed(0.5, ["ok", "lost_response", "ok", "ok", "ok", "ok"]))
    reset_counts(root_url)
    result = cli("apply", "--yes", "--parallelism", "1", "--events", str(events))
    set_faults(root_url, fault_rate=0.0)
    assert result.exit_code == 0, result.output
    assert owners(sdk)["test-project/dev/helper"] == 1
    [live] = [a for a in assistants(sdk) if a.metadata.get(OWNER_KEY) == "test-project/dev/helper"]
    assert f"helper: created ({live.id})" in result.stdout
    [created] = [
        json.loads(line)
        for line in events.read_text().splitlines()
        if json.loads(line)["type"] == "assistant_created"
    ]
    assert created["id"] == live.id
    by_route = request_counts(root_url)["by_route"]
    assert by_route["POST /v1/assistants"] == 1  # adopted after one re-list, never created twice
    assert cli("diff").exit_code == 0


def find_seed(rate: float, wanted: list[str]) -> int:
    """A seed whose fault sequence at `rate` starts with `wanted` (mirrors FaultInjector.decide)."""
    import random

    from orchestrator.emulator.faults import FAULT_MIX

    for seed in range(1_000_000):
        rng = random.Random(seed)
        got = []
        for _ in wanted:
            draw, pick = rng.random(), rng.randrange(len(FAULT_MIX))
            got.append(FAULT_MIX[pick].value if draw < rate else "ok")
            if got[-1] != wanted[len(got) - 1]:
                break
        if got == wanted:
            return seed
    raise AssertionError("no such seed")


def test_sdk_retries_reads_and_honours_retry_after(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI, root_url: str
) -> None:
    write_spec(project, "helper")
    assert cli("apply", "--yes").exit_code == 0
    set_faults(root_url, fault_rate=0.5, seed=find_seed(0.5, ["429", "503", "ok"]))
    reset_counts(root_url)
    started = time.monotonic()
    result = cli("diff")
    elapsed = time.monotonic() - started
    set_faults(root_url, fault_rate=0.0)
    assert result.exit_code == 0, result.output
    assert elapsed < 1.0  # waited the servers' retry-after-ms (20 ms), not the SDK's backoff (over 1.1 s)
    assert request_counts(root_url)["by_route"] == {"GET /v1/assistants": 3}


def test_concurrent_applies_on_a_local_target_are_serialised(tmp_path: Path) -> None:
    root = make_project(tmp_path / "local-project")  # type: local, the embedded emulator
    for index in range(12):
        write_spec(root, f"spec-{index:02d}")
    env = {**os.environ, "NO_COLOR": "1"}
    command = [sys.executable, "-m", "orchestrator", "-C", str(root), "apply", "--yes"]
    # hold the apply lock while both start, so that they surely overlap, then let them race for it
    held = FileLock(str(root / ".orchestrator" / "apply-main.lock"))
    (root / ".orchestrator").mkdir(exist_ok=True)
    with held:
        runs = [
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            for _ in range(2)
        ]
        deadline = time.monotonic() + 30
        while not all(_waiting(run) for run in runs) and time.monotonic() < deadline:
            time.sleep(0.05)
    outputs = [run.communicate(timeout=120) for run in runs]
    assert all("Waiting for another apply" in err for _, err in outputs), outputs
    assert [run.returncode for run in runs] == [0, 0], outputs
    created = sum(out.count(": created (") for out, _ in outputs)
    assert created == 12, outputs
    listing = subprocess.run(
        [*command[:-2], "list", "--output", "json"], capture_output=True, text=True, env=env, timeout=60
    )
    rows = json.loads(listing.stdout)
    assert len(rows) == 12 and {r["status"] for r in rows} == {"in sync"}


def test_an_apply_reads_live_state_only_once_it_holds_the_lock(
    project: Path, sdk: openai.OpenAI, root_url: str
) -> None:
    """Live state is read on the side while the specs load, but never before the apply lock is held: a plan is
    made from a read taken after the other apply's writes (here: an object it made for one of the specs)."""
    for index in range(3):
        write_spec(project, f"spec-{index}")
    (project / ".orchestrator").mkdir(exist_ok=True)
    reset_counts(root_url)
    with FileLock(str(project / ".orchestrator" / "apply-main.lock")):
        run = subprocess.Popen(
            [sys.executable, "-m", "orchestrator", "-C", str(project), "apply", "--yes"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        deadline = time.monotonic() + 30
        while not _waiting(run) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert request_counts(root_url)["total"] == 0  # waiting for the lock: nothing read yet
        # the other apply: the same project from another folder (its own lock file), done meanwhile
        other = shutil.copytree(
            project, project.parent / "other-checkout", ignore=shutil.ignore_patterns(".orchestrator")
        )
        assert run_cli(["-C", str(other), "apply", "--yes"]).exit_code == 0
    out, err = run.communicate(timeout=120)
    assert "Waiting for another apply" in err and run.returncode == 0, (out, err)
    assert "No changes" in out  # planned from what the other apply left: no duplicate creates
    assert len(assistants(sdk)) == 3


@pytest.mark.parametrize(
    ("method", "route"), [("update", "POST /v1/assistants/{id}"), ("delete", "DELETE /v1/assistants/{id}")]
)
def test_updates_and_deletes_use_the_sdk_retries(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI, root_url: str, method: str, route: str
) -> None:
    """Idempotent writes are retried by the SDK, even when the first attempt landed and its reply was lost."""
    write_spec(project, "helper")
    assert cli("apply", "--yes").exit_code == 0
    if method == "update":
        write_spec(project, "helper", temperature=0.2)
    else:
        (project / "specs" / "helper.yaml").unlink()
    set_faults(root_url, fault_rate=0.5, seed=find_seed(0.5, ["ok", "lost_response", "503"] + ["ok"] * 10))
    reset_counts(root_url)
    result = cli("apply", "--yes", "--prune")
    set_faults(root_url, fault_rate=0.0)
    assert result.exit_code == 0, result.output
    assert request_counts(root_url)["by_route"][route] == 3
    assert cli("diff", "--prune").exit_code == 0


def _waiting(run: subprocess.Popen[str]) -> bool:
    """Whether the process has printed its first line to stderr (the lock notice), without consuming it."""
    import select

    assert run.stderr is not None
    ready, _, _ = select.select([run.stderr], [], [], 0)
    return bool(ready)


def test_hundreds_of_creates_under_faults_are_checked_for_duplicates_reading_ahead(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI, root_url: str
) -> None:
    """Past one page, the check for duplicates after the creates (and each re-list that adopts a lost create)
    reads its pages ahead, predicted from the listing before and what the run created since. Creates whose
    answer was lost are missing from that prediction and predicted pages meet faults too: the listing
    read is still the whole list, so no duplicate is left and nothing is created twice."""
    count = 260
    for index in range(count):
        write_spec(project, f"spec-{index:03d}")
    set_faults(root_url, fault_rate=0.08, seed=11)
    results = [cli("apply", "--yes")]
    while results[-1].exit_code != 0 and len(results) < 5:
        results.append(cli("apply", "--yes"))
    set_faults(root_url, fault_rate=0.0)
    assert results[-1].exit_code == 0, [r.output[-2000:] for r in results]
    counts = owners(sdk)
    assert len(counts) == count and set(counts.values()) == {1}, {k: v for k, v in counts.items() if v > 1}
    reset_counts(root_url)
    assert cli("diff").exit_code == 0
    assert request_counts(root_url)["by_route"]["GET /v1/assistants"] == 3  # a first listing: page after page
