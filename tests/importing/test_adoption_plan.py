"""Planning an adoption: an update with reason adopt that stamps ownership and never resets unreadable fields."""

from __future__ import annotations

from pathlib import Path

from orchestrator.backends.assistants import AssistantsMapping
from orchestrator.engine.building import build_desired
from orchestrator.engine.live import LiveObject
from orchestrator.engine.planning import Action, Reason, plan
from orchestrator.engine.sync import desired_items, live_items
from orchestrator.spec.project import load_project
from tests.importing.roundtrip import TODAY
from tests.support.projects import make_project, write_spec

RAW = {
    "id": "asst_1",
    "object": "assistant",
    "created_at": 1,
    "name": "tutor",
    "description": None,
    "model": "gpt-5.4",
    "instructions": "You are tutor.",
    "tools": [],
    "tool_resources": {},
    "metadata": {},
    "temperature": 1.0,
    "top_p": 1.0,
    "response_format": "auto",
}


def adoption(tmp_path: Path, **fields: object):  # type: ignore[no-untyped-def]
    root = make_project(tmp_path / "project")
    write_spec(root, "tutor", adopt_id="asst_1", **fields)
    project, _ = load_project(root)
    assert project is not None
    environment = project.environment(None)
    state = build_desired(project, environment, project.target(environment.target), today=TODAY)
    mapping = AssistantsMapping()
    result = plan(
        desired_items(state, mapping),
        live_items([LiveObject.from_raw(RAW)], mapping),
        project=project.name,
        environment="dev",
        target="main",
        backend="assistants",
        kind="assistant",
        write_only=mapping.write_only,
    )
    [change] = result.changes
    return change


def test_an_exact_adoption_only_adds_the_owner_stamp(tmp_path: Path) -> None:
    change = adoption(tmp_path)
    assert (change.action, change.reason, change.drift, change.id) == (
        Action.UPDATE,
        Reason.ADOPT,
        False,
        "asst_1",
    )
    assert [(f.path, f.before, f.after) for f in change.fields] == [
        ("metadata.orchestrator.owner", None, "test-project/dev/tutor")
    ]


def test_adopting_never_resets_a_write_only_field_the_spec_leaves_unset(tmp_path: Path) -> None:
    change = adoption(tmp_path)
    payload = AssistantsMapping().update_payload(change.essence, change.changed_keys, change.metadata)
    assert "reasoning_effort" not in payload
    assert payload["metadata"]["orchestrator.owner"] == "test-project/dev/tutor"


def test_adopting_sends_a_write_only_field_the_spec_sets(tmp_path: Path) -> None:
    change = adoption(tmp_path, reasoning_effort="high")
    payload = AssistantsMapping().update_payload(change.essence, change.changed_keys, change.metadata)
    assert payload["reasoning_effort"] == "high"
    assert any(f.path == "reasoning_effort" and not f.before_known for f in change.fields)
