"""The text, JSON and markdown views of one fixed plan, compared byte for byte with tests/golden/.

Regenerate with UPDATE_GOLDEN=1 after an intended change, and review the diff like code.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestrator.engine.planfile import plan_from_json, plan_to_json
from orchestrator.engine.planning import Action, Change, FieldChange, Plan, Reason
from orchestrator.views.plan_markdown import render_plan_markdown
from orchestrator.views.plan_text import render_plan_text

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
ESSENCE = {
    "name": "Spanish Tutor",
    "model": "gpt-4.1",
    "instructions": "Teach Spanish.\nBe kind.\n",
    "temperature": 0.7,
    "metadata": {"domain": "education"},
    "reasoning_effort": "medium",
}
STAMP = {
    "domain": "education",
    "orchestrator.owner": "language-platform/dev/spanish-tutor",
    "orchestrator.hash": "0123456789abcdef01234567.76543210fedcba9876543210",
}


def fixed_plan() -> Plan:
    """Every kind of change the views draw, with stable ids."""
    return Plan(
        project="language-platform",
        environment="dev",
        target="local",
        backend="assistants",
        changes=(
            Change(
                "assistant",
                "french-tutor",
                Action.CREATE,
                Reason.NEW,
                fields=tuple(FieldChange(k, None, v) for k, v in sorted(ESSENCE.items())),
                essence=ESSENCE,
                metadata=STAMP,
                changed_keys=tuple(sorted(ESSENCE)),
            ),
            Change(
                "assistant",
                "old-helper",
                Action.DELETE,
                Reason.ORPHAN,
                id="asst_orphan0000000000000001",
                fingerprint="f1",
            ),
            Change(
                "assistant",
                "spanish-tutor",
                Action.UPDATE,
                Reason.SPEC_CHANGED_AND_DRIFT,
                id="asst_spanish00000000000000001",
                drift=True,
                fields=(
                    FieldChange(
                        "functions.generate_exercise.parameters",
                        {"type": "object", "properties": {"level": {"type": "string"}}},
                        {
                            "type": "object",
                            "properties": {"level": {"type": "string", "enum": ["a1", "a2", "b1"]}},
                            "required": ["level"],
                        },
                    ),
                    FieldChange("instructions", "Teach Spanish.\nBe strict.\n", "Teach Spanish.\nBe kind.\n"),
                    FieldChange("metadata.domain", None, "education"),
                    FieldChange("metadata.owner", "someone", None),
                    FieldChange("reasoning_effort", None, "medium", before_known=False),
                    FieldChange("response_format", "auto", {"type": "json_object"}),
                    FieldChange("temperature", 1.0, 0.7),
                    FieldChange("tools.code_interpreter", {}, None),
                ),
                essence=ESSENCE,
                metadata=STAMP,
                changed_keys=(
                    "instructions",
                    "metadata",
                    "reasoning_effort",
                    "response_format",
                    "temperature",
                    "tools",
                ),
                fingerprint="f2",
            ),
            Change(
                "assistant",
                "spanish-tutor",
                Action.DELETE,
                Reason.DUPLICATE,
                id="asst_spanish00000000000000002",
                fingerprint="f3",
            ),
            Change(
                "assistant",
                "writer",
                Action.NOOP,
                Reason.IN_SYNC,
                id="asst_writer000000000000000001",
                fingerprint="f4",
            ),
        ),
        warnings=(
            "duplicate: assistant `reader` is claimed by asst_reader2 as well as by asst_reader1 "
            "(the oldest is kept); run with --prune to delete the newer ones",
        ),
    )


VIEWS = {
    "plan.txt": lambda plan: render_plan_text(plan, color=False),
    "plan-color.txt": lambda plan: render_plan_text(plan, color=True),
    "plan.json": plan_to_json,
    "plan.md": render_plan_markdown,
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_view_matches_its_golden_file(name: str) -> None:
    rendered = VIEWS[name](fixed_plan())
    assert rendered == VIEWS[name](fixed_plan())  # byte-stable between runs
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rendered.encode("utf-8"))
    assert path.exists(), f"{path} is missing; run with UPDATE_GOLDEN=1 to create it"
    assert rendered.encode("utf-8") == path.read_bytes()


def test_saved_plan_round_trips_exactly() -> None:
    plan = fixed_plan()
    again = plan_from_json(plan_to_json(plan), "plan.json")
    assert again.actionable == plan.actionable  # what apply needs; noops keep only what the views show
    assert plan_to_json(again) == plan_to_json(plan)


def test_no_changes_views() -> None:
    plan = Plan(
        "p", "dev", "local", "assistants", (Change("assistant", "a", Action.NOOP, Reason.IN_SYNC, id="x"),)
    )
    assert render_plan_text(plan).endswith("No changes. 1 object in sync.\n")
    assert "**No changes.**" in render_plan_markdown(plan)
