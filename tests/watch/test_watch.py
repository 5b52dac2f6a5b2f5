"""`orchestrator watch` as a real subprocess: files edited on disk, live objects observed through the SDK."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path
from typing import Any

import openai
import pytest

from orchestrator.emulator import EmulatorServer
from tests.conftest import TEST_KEY
from tests.support.projects import make_project, write, write_spec, write_yaml
from tests.watch.conftest import (
    free_port,
    instructions,
    live_by_spec,
    request_counts,
    reset_counts,
    save_atomically,
    set_faults,
    three_specs,
    wait_until,
)

pytestmark = pytest.mark.slow


def _started(watch: Any, specs: int) -> None:
    """The start cycle has run and reported `specs` objects created or in sync."""
    watch.wait_for_cycles(1)
    assert "cycle 1 (start)" in watch.cycles()[0], watch.output


def _watching_three(project: Path, start_watch: Any) -> Any:
    """The three specs of three_specs on disk and watch running on them (no resync), its start cycle done."""
    three_specs(project)
    watch = start_watch("--resync", "0")
    _started(watch, 3)
    return watch


def test_partial_edit_updates_every_spec_using_it_and_no_other(
    project: Path, sdk: openai.OpenAI, start_watch: Any, admin: Any
) -> None:
    watch = _watching_three(project, start_watch)
    assert set(live_by_spec(sdk)) == {"alpha", "beta", "gamma"}
    gamma_before = live_by_spec(sdk)["gamma"].model_dump()
    reset_counts(admin)

    write(project / "templates" / "_rules.md.j2", "Rules: be very kind.\n")

    watch.wait_for_cycles(2)  # counted before polling the SDK ourselves
    counts = request_counts(admin)
    assert counts.get("POST /v1/assistants/{id}") == 2, counts  # alpha and beta, not gamma
    assert counts.get("GET /v1/assistants/{id}") == 2, counts
    assert "GET /v1/assistants" not in counts, counts  # no full re-list
    assert instructions(sdk, "alpha") == "Rules: be very kind.\nAlpha for Acme.\n"
    assert instructions(sdk, "beta") == "Rules: be very kind.\nBeta.\n"
    assert live_by_spec(sdk)["gamma"].model_dump() == gamma_before
    assert watch.stop() == 0


def test_single_spec_template_edit_costs_one_read_and_one_write(
    project: Path, sdk: openai.OpenAI, start_watch: Any, admin: Any
) -> None:
    watch = _watching_three(project, start_watch)
    reset_counts(admin)

    save_atomically(project / "templates" / "gamma.md.j2", "Gamma, edited.\n")

    cycles = watch.wait_for_cycles(2)
    assert request_counts(admin) == {"GET /v1/assistants/{id}": 1, "POST /v1/assistants/{id}": 1}
    assert instructions(sdk, "gamma") == "Gamma, edited.\n"
    assert "templates/gamma.md.j2" in cycles[1] and "1 updated" in cycles[1]
    time.sleep(0.3)
    assert len(watch.cycles()) == 2, "an atomic save (write, rename, chmod) must trigger exactly one cycle"
    watch.stop()


def test_edit_that_renders_the_same_payload_sends_no_request(
    project: Path, sdk: openai.OpenAI, start_watch: Any, admin: Any
) -> None:
    watch = _watching_three(project, start_watch)
    reset_counts(admin)

    write(project / "templates" / "gamma.md.j2", "Gamma stands alone.\n")  # same text, new mtime

    cycles = watch.wait_for_cycles(2)
    assert "no changes" in cycles[1]
    assert request_counts(admin) == {}
    watch.stop()


def test_invalid_edit_leaves_live_untouched_until_the_files_are_valid_again(
    project: Path, sdk: openai.OpenAI, start_watch: Any, admin: Any
) -> None:
    watch = _watching_three(project, start_watch)
    reset_counts(admin)

    write(project / "templates" / "alpha.md.j2", "Alpha for {{ compnay }}.\n")
    cycles = watch.wait_for_cycles(2)
    assert "invalid, live state left untouched" in cycles[1]
    watch.wait_for_output("undefined variable `compnay`")
    assert "did you mean `company`?" in watch.output
    assert request_counts(admin) == {}
    assert watch.process.poll() is None, "watch keeps running on invalid files"

    write(project / "templates" / "alpha.md.j2", "Alpha for {{ company }}, fixed.\n")
    wait_until(
        lambda: instructions(sdk, "alpha") == "Alpha for Acme, fixed.\n", what="alpha applied once valid"
    )
    assert watch.stop() == 0


def test_spec_added_renamed_and_deleted_leaves_an_orphan_without_prune(
    project: Path, sdk: openai.OpenAI, start_watch: Any
) -> None:
    write_spec(project, "alpha")
    watch = start_watch("--resync", "0")
    _started(watch, 1)

    write_spec(project, "delta", instructions="Delta.")
    created = wait_until(lambda: live_by_spec(sdk).get("delta"), what="delta created")

    (project / "specs" / "delta.yaml").rename(project / "specs" / "renamed-delta.yaml")
    cycles = watch.wait_for_cycles(3)
    assert "specs/renamed-delta.yaml" in cycles[2]
    assert live_by_spec(sdk)["delta"].id == created.id, "a renamed file keeps its live object"

    (project / "specs" / "renamed-delta.yaml").unlink()
    watch.wait_for_output("orphan: assistant `delta`")
    assert "--prune" in watch.output
    assert live_by_spec(sdk)["delta"].id == created.id, "an orphan is deleted only with --prune"
    assert set(live_by_spec(sdk)) == {"alpha", "delta"}
    watch.stop()


def test_deleted_spec_is_removed_with_prune(project: Path, sdk: openai.OpenAI, start_watch: Any) -> None:
    write_spec(project, "alpha")
    write_spec(project, "beta")
    watch = start_watch("--resync", "0", "--prune")
    _started(watch, 2)
    assert set(live_by_spec(sdk)) == {"alpha", "beta"}

    (project / "specs" / "beta.yaml").unlink()

    wait_until(lambda: set(live_by_spec(sdk)) == {"alpha"}, what="beta deleted")
    watch.wait_for_cycles(2)
    assert "1 deleted" in watch.cycles()[1]
    watch.stop()


def test_drift_made_through_the_sdk_is_repaired_on_resync(
    project: Path, sdk: openai.OpenAI, start_watch: Any
) -> None:
    write_spec(project, "alpha", instructions="The original.")
    watch = start_watch("--resync", "1")
    _started(watch, 1)
    live = live_by_spec(sdk)["alpha"]

    sdk.beta.assistants.update(live.id, instructions="Edited by hand.")

    wait_until(lambda: instructions(sdk, "alpha") == "The original.", timeout=10, what="drift repaired")
    watch.wait_for_output("drift")
    assert live_by_spec(sdk)["alpha"].id == live.id
    watch.stop()


def test_target_down_at_start_is_retried_until_it_comes_up(
    tmp_path: Path, start_watch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    port = free_port()
    root = make_project(tmp_path / "down", base_url=f"http://127.0.0.1:{port}/v1")
    write_spec(root, "alpha", instructions="Hello.")
    watch = start_watch("--resync", "0", root=root)
    watch.wait_for_output("retrying in")
    assert "cannot read live state" in watch.output or "connection failed" in watch.output
    assert re.search(r"in \d+ ms; retrying in \d+\.\d s\n", watch.output), watch.output  # not "... s in N ms"

    with (
        EmulatorServer(tmp_path / "late.db", port=port) as server,
        openai.OpenAI(base_url=server.base_url, api_key=TEST_KEY, max_retries=0) as late_sdk,
    ):
        wait_until(
            lambda: instructions(late_sdk, "alpha") == "Hello.", timeout=20, what="alpha created once up"
        )
        assert watch.stop() == 0


def test_failing_api_is_retried_with_backoff_without_exiting(
    project: Path, sdk: openai.OpenAI, start_watch: Any, admin: Any
) -> None:
    watch = _watching_three(project, start_watch)
    set_faults(admin, fault_rate=1.0, seed=7)
    try:
        write(project / "templates" / "beta.md.j2", "Beta, during an outage.\n")
        watch.wait_for_output("retrying in")
        assert watch.process.poll() is None
    finally:
        set_faults(admin, fault_rate=0.0)
    wait_until(
        lambda: instructions(sdk, "beta") == "Beta, during an outage.\n",
        timeout=20,
        what="beta applied after the outage",
    )
    assert watch.stop() == 0


def test_changes_made_during_a_cycle_are_picked_up_by_the_next(
    project: Path, sdk: openai.OpenAI, start_watch: Any, admin: Any
) -> None:
    watch = _watching_three(project, start_watch)
    set_faults(admin, latency_ms=400)  # each request takes 400 ms: the cycle is still running below
    try:
        write(project / "templates" / "alpha.md.j2", "Alpha, first.\n")
        time.sleep(0.3)
        write(project / "templates" / "gamma.md.j2", "Gamma, while alpha is being written.\n")
        wait_until(
            lambda: (
                instructions(sdk, "alpha") == "Alpha, first.\n"
                and instructions(sdk, "gamma") == "Gamma, while alpha is being written.\n"
            ),
            what="both edits applied",
        )
    finally:
        set_faults(admin, latency_ms=0)
    watch.stop()


def test_project_file_change_rebuilds_every_spec(project: Path, sdk: openai.OpenAI, start_watch: Any) -> None:
    watch = _watching_three(project, start_watch)
    data = {**_project_data(project), "vars": {"company": "Globex"}}
    write_yaml(project / "orchestrator.yaml", data)

    wait_until(
        lambda: instructions(sdk, "alpha") == "Rules: be kind.\nAlpha for Globex.\n",
        what="alpha re-rendered with the new project vars",
    )
    watch.stop()


def test_one_save_of_the_project_file_is_one_cycle(
    project: Path, sdk: openai.OpenAI, start_watch: Any
) -> None:
    three_specs(project)
    watch = start_watch("--resync", "0", "--output", "json")
    wait_until(lambda: watch.json_cycles(), what="the first JSON cycle")
    data = {**_project_data(project), "vars": {"company": "Globex"}}
    write_yaml(project / "orchestrator.yaml.tmp", data)
    os.replace(project / "orchestrator.yaml.tmp", project / "orchestrator.yaml")  # an editor's atomic save
    wait_until(lambda: len(watch.json_cycles()) >= 2, what=f"the reload cycle:\n{watch.output}")
    time.sleep(1.5)  # a second cycle (a rescan) would show by now
    triggers = [cycle["trigger"] for cycle in watch.json_cycles()]
    assert triggers == ["start", "reload"], triggers
    watch.stop()


def test_json_output_prints_one_object_per_cycle(project: Path, sdk: openai.OpenAI, start_watch: Any) -> None:
    three_specs(project)
    watch = start_watch("--resync", "0", "--output", "json")
    wait_until(lambda: watch.json_cycles(), what="the first JSON cycle")
    write(project / "templates" / "beta.md.j2", "Beta, as JSON.\n")
    cycles = wait_until(
        lambda: watch.json_cycles() if len(watch.json_cycles()) >= 2 else None,
        what=f"two JSON cycles:\n{watch.output}",
    )

    first, second = cycles[:2]
    assert {"time", "trigger", "files", "changes", "errors", "duration_ms"} <= set(first)
    assert first["trigger"] == "start"
    assert sorted(c["name"] for c in first["changes"]) == ["alpha", "beta", "gamma"]
    assert {c["action"] for c in first["changes"]} == {"create"}
    assert second["trigger"] == "change" and second["files"] == ["templates/beta.md.j2"]
    assert second["changes"] == [
        {
            "kind": "assistant",
            "name": "beta",
            "action": "update",
            "id": live_by_spec(sdk)["beta"].id,
            "drift": False,
            "reason": "spec_changed",
            "status": "applied",
            "fields": ["instructions"],
        }
    ]
    assert second["errors"] == [] and isinstance(second["duration_ms"], int)
    assert all(line.startswith("{") for line in watch.stdout), "stdout holds only JSON lines"
    watch.stop()


def test_dry_run_prints_plans_and_applies_nothing(
    project: Path, sdk: openai.OpenAI, start_watch: Any, admin: Any
) -> None:
    three_specs(project)
    reset_counts(admin)
    watch = start_watch("--resync", "0", "--dry-run")
    cycles = watch.wait_for_cycles(1)
    assert "dry run: 3 to create" in cycles[0]
    assert "+ assistant alpha will be created" in watch.output
    write(project / "templates" / "beta.md.j2", "Beta, dry.\n")
    watch.wait_for_cycles(2)
    assert live_by_spec(sdk) == {}
    writes = {route: n for route, n in request_counts(admin).items() if not route.startswith("GET ")}
    assert writes == {}
    watch.stop()


def test_events_file_records_each_cycle(project: Path, start_watch: Any, tmp_path: Path) -> None:
    write_spec(project, "alpha")
    events = tmp_path / "events.jsonl"
    watch = start_watch("--resync", "0", "--events", str(events))
    _started(watch, 1)
    watch.stop()
    types = [json.loads(line)["type"] for line in events.read_text().splitlines()]
    assert types[0] == "watch_started" and types[-1] == "watch_stopped"
    assert "assistant_created" in types and "watch_cycle" in types


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 0)])
def test_signal_stops_watch_cleanly(project: Path, start_watch: Any, sig: int, code: int) -> None:
    write_spec(project, "alpha")
    watch = start_watch("--resync", "0")
    _started(watch, 1)
    assert watch.stop(sig) == code
    assert "Watch stopped." in watch.output
    assert "Traceback" not in watch.output


def _project_data(root: Path) -> dict[str, Any]:
    import yaml

    return yaml.safe_load((root / "orchestrator.yaml").read_text())


def test_stop_requested_during_a_write_lets_the_write_finish(
    project: Path, sdk: openai.OpenAI, start_watch: Any, admin: Any
) -> None:
    watch = _watching_three(project, start_watch)
    set_faults(admin, latency_ms=600)
    try:
        write(project / "templates" / "gamma.md.j2", "Gamma, written while stopping.\n")
        time.sleep(0.4)  # the retrieve is in flight; the update follows it
        assert watch.stop(signal.SIGTERM) == 0
    finally:
        set_faults(admin, latency_ms=0)
    assert instructions(sdk, "gamma") == "Gamma, written while stopping.\n"
    assert "cycle 2 (change: templates/gamma.md.j2): 0 created, 1 updated" in watch.output
