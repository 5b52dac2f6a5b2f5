"""--events FILE gets one JSON object per line; the API key appears in no output, file or message."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml

from orchestrator.emulator import EmulatorServer
from tests.conftest import TEST_KEY
from tests.support.live import owned_by
from tests.support.projects import Result, make_project, run_cli, write_spec, write_yaml
from tests.support.proxy import FailingProxy, error_body


def read_events(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_events_file_gets_created_updated_deleted_and_failed(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI, tmp_path: Path, root_url: str
) -> None:
    events = tmp_path / "events.jsonl"
    write_spec(project, "one")
    write_spec(project, "two")
    assert cli("apply", "--yes", "--events", str(events)).exit_code == 0
    created = [e for e in read_events(events) if e["type"] == "assistant_created"]
    ids = {a.id for name in ("one", "two") for a in owned_by(sdk, f"test-project/dev/{name}")}
    assert {e["id"] for e in created} == ids and {e["name"] for e in created} == {"one", "two"}
    for event in read_events(events):
        assert isinstance(event["time"], str) and event["time"].endswith("Z")

    write_spec(project, "one", temperature=0.3)
    (project / "specs" / "two.yaml").unlink()
    events.unlink()
    assert cli("apply", "--yes", "--prune", "--events", str(events)).exit_code == 0
    by_type = {e["type"]: e for e in read_events(events)}
    [one] = owned_by(sdk, "test-project/dev/one")
    assert by_type["assistant_updated"]["id"] == one.id and by_type["assistant_updated"]["name"] == "one"
    assert by_type["assistant_deleted"]["name"] == "two" and by_type["assistant_deleted"]["id"] in ids

    events.unlink()
    write_spec(project, "one", temperature=0.4)
    write_spec(project, "three")
    write_spec(project, "four")

    def refuse(method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any] | None:
        if method == "POST" and (path.endswith(one.id) or (body or {}).get("name") == "three"):
            return 400, error_body("refused by the test proxy")
        return None

    with FailingProxy(root_url, refuse) as proxy:
        make_project(project, base_url=proxy.base_url)
        failed = cli("apply", "--yes", "--events", str(events))
    assert failed.exit_code == 1
    assert "FAILED to update: HTTP 400: refused by the test proxy" in failed.stdout
    assert "three: FAILED to create" in failed.stdout
    assert "1 created, 0 updated, 0 deleted, 2 failed" in failed.stdout
    failures = [e for e in read_events(events) if e["type"] == "apply_failed"]
    assert {(e["name"], e["id"], e["action"]) for e in failures} == {
        ("one", one.id, "update"),
        ("three", None, "create"),
    }
    assert all("refused by the test proxy" in str(e["error"]) for e in failures)
    assert [e["name"] for e in read_events(events) if e["type"] == "assistant_created"] == ["four"]


def secret_free(*texts: str) -> None:
    for text in texts:
        assert TEST_KEY not in text
        assert TEST_KEY[8:] not in text  # no partial leak either (e.g. "sk-...SENTINEL")
        assert "SENTINEL" not in text


def echo_key(method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
    token = headers.get("authorization", "").partition(" ")[2]
    return 401, error_body(f"Incorrect API key provided: {token}. You can find your API key at ...")


def set_target_options(root: Path, **options: object) -> None:
    data = yaml.safe_load((root / "orchestrator.yaml").read_text(encoding="utf-8"))
    data["targets"]["main"].update(options)
    write_yaml(root / "orchestrator.yaml", data)


@pytest.mark.parametrize("server", ["rejects", "echoes", "fails", "unreachable"])
def test_api_key_never_appears_in_any_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: str
) -> None:
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    settings = {"rejects": {"api_key": "sk-the-right-key"}, "fails": {"fault_rate": 1.0, "seed": 3}}
    with (
        EmulatorServer(tmp_path / "db.sqlite", **settings.get(server, {})) as emulator,
        FailingProxy(emulator.root_url, echo_key) as echoing,
    ):
        base_url = {"unreachable": "http://127.0.0.1:9/v1", "echoes": echoing.base_url}.get(
            server, emulator.base_url
        )
        root = make_project(tmp_path / "project", base_url=base_url)
        set_target_options(root, max_retries=0)  # the SDK's retries are tested elsewhere; keep this quick
        write_spec(root, "helper")
        events = tmp_path / "events.jsonl"
        plan_file = tmp_path / "plan.json"
        outputs = [
            run_cli(["-C", str(root), *args])
            for args in (
                ["diff"],
                ["diff", "--output", "json"],
                ["diff", "--output", "markdown"],
                ["list"],
                ["diff", "--out", str(plan_file)],
                ["apply", "--yes", "--events", str(events)],
                ["destroy", "--yes", "--events", str(events)],
            )
        ]
    for result in outputs:
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        assert "error" in result.stderr
        secret_free(result.stdout, result.stderr)
    for path in (events, plan_file):
        if path.exists():
            secret_free(path.read_text(encoding="utf-8"))


def test_api_key_never_appears_when_apply_fails_midway(
    project: Path, cli: Callable[..., Result], tmp_path: Path, root_url: str
) -> None:
    """Reads work, every write is refused with a message that quotes the key."""
    events = tmp_path / "events.jsonl"
    plan_file = tmp_path / "plan.json"
    for index in range(4):
        write_spec(project, f"spec-{index}")

    def refuse_writes(method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any] | None:
        if method == "GET":
            return None
        return 403, error_body(f"key {headers.get('authorization')} may not write")

    with FailingProxy(root_url, refuse_writes) as proxy:
        make_project(project, base_url=proxy.base_url)
        assert cli("diff", "--out", str(plan_file)).exit_code == 2
        applied = cli("apply", str(plan_file), "--yes", "--events", str(events))
        direct = cli("apply", "--yes", "--events", str(events))
    assert applied.exit_code == 1 and direct.exit_code == 1
    assert "may not write" in applied.stdout
    assert len([e for e in read_events(events) if e["type"] == "apply_failed"]) == 8
    secret_free(applied.output, direct.output, events.read_text(), plan_file.read_text())


def test_unset_key_variable_is_a_clear_error(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_ORCHESTRATOR_KEY")
    write_spec(project, "helper")
    for args in (["diff"], ["apply", "--yes"], ["list"], ["destroy", "--yes"]):
        result = run_cli(["-C", str(project), *args])
        assert result.exit_code == 1
        assert "TEST_ORCHESTRATOR_KEY" in result.stderr
        assert "Traceback" not in result.output
