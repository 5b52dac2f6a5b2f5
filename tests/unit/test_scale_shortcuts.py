"""Shortcuts taken for speed at scale (issue 17) give what the general path gives: redaction's check,
folder resolution once per build, the plan views' redaction of what they show, live items made while the
pages arrive."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from orchestrator.backends.assistants import AssistantsMapping
from orchestrator.engine.live import LiveObject, LiveState
from orchestrator.engine.planning import Action, Change, FieldChange, Plan, Reason
from orchestrator.engine.sync import PreparedItems, live_items
from orchestrator.secrets import Redactor
from orchestrator.spec.confinement import resolved, resolving_once
from orchestrator.views.plan_markdown import render_plan_markdown
from orchestrator.views.plan_text import render_plan_text

SECRET = "sk-test-0123456789abcdefSENTINEL"


@dataclass(frozen=True)
class Holder:
    name: str
    data: Any


@pytest.mark.parametrize(
    "value",
    [
        {"instructions": "plain text", "tools": ["code_interpreter"], "n": 3, "ok": True, "none": None},
        Holder("a", ({"k": "v"}, ["x", 1.5])),
        {"key": f"the key is {SECRET}"},
        Holder("a", ({"nested": [f"x{SECRET}y"]},)),
        {f"{SECRET}": "as a mapping key"},
        {"url": "https://user:hunter2-password@example.test/v1"},
        {"key-shaped": "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"},
        {"only the words": "sk- and :// apart, nothing to mask"},
        {"anchor": "0123456789abcdefSENTINEL without its prefix"},
    ],
)
def test_would_redact_is_whether_redact_data_changes_the_value(value: Any) -> None:
    redactor = Redactor().with_secrets([SECRET])
    assert redactor.would_redact(value) == (redactor.redact_data(value) != value)


def test_resolved_within_one_build_is_path_resolve(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    (root / "real" / "deep").mkdir(parents=True)
    (root / "real" / "deep" / "a.yaml").write_text("a: 1\n")
    os.symlink(root / "real", root / "linked")
    os.symlink(root / "real" / "deep" / "a.yaml", root / "real" / "b.yaml")
    os.symlink(root / "loop", root / "loop")
    paths = [
        root / "real" / "deep" / "a.yaml",
        root / "linked" / "deep" / "a.yaml",
        root / "real" / "b.yaml",
        root / "real" / "missing.yaml",
        root / "linked" / "deep" / ".." / "b.yaml",
        root / "real" / "..",
        root / "linked" / "deep" / "a.yaml",
    ]
    expected = [p.resolve() for p in paths]
    with resolving_once():
        assert [resolved(p) for p in paths] == expected
        with pytest.raises((RuntimeError, OSError)):
            resolved(root / "loop")


def _plan(secret_in_noop: bool, secret_in_change: bool) -> Plan:
    hidden = f"in sync, with {SECRET}" if secret_in_noop else "in sync"
    shown = f"now {SECRET}" if secret_in_change else "now"
    return Plan(
        "p",
        "dev",
        "local",
        "assistants",
        (
            Change("vector_store", "kb", Action.NOOP, Reason.IN_SYNC, id="vs_1", essence={"name": hidden}),
            Change(
                "assistant",
                "a",
                Action.UPDATE,
                Reason.SPEC_CHANGED,
                id="asst_1",
                fields=(FieldChange("instructions", "before", shown),),
                essence={"instructions": shown},
                uses=(("vector_store", "kb"),),
            ),
            Change(
                "assistant", "b", Action.NOOP, Reason.IN_SYNC, id="asst_2", essence={"instructions": hidden}
            ),
        ),
    )


@pytest.mark.parametrize(
    ("in_noop", "in_change"), [(False, False), (True, False), (False, True), (True, True)]
)
def test_the_plan_views_show_what_redacting_the_whole_plan_first_shows(
    in_noop: bool, in_change: bool
) -> None:
    """The views settle redaction on the part they show (in-sync changes are only counted): the text is the
    same as when every change was redacted before formatting."""
    redactor = Redactor().with_secrets([SECRET])
    plan = _plan(in_noop, in_change)
    whole = redactor.redact_data(plan)
    for render in (
        lambda p: render_plan_text(p, redactor=redactor),
        lambda p: render_plan_markdown(p, redactor=redactor),
    ):
        text = render(plan)
        assert text == render(whole)
        assert SECRET not in text and ("***" in text) == in_change
    assert redactor.would_redact(plan.shown()) == in_change
    assert redactor.would_redact(plan) == (in_noop or in_change)


def test_live_items_made_page_by_page_are_the_ones_made_after_the_read() -> None:
    mapping = AssistantsMapping()
    raw = [
        {
            "id": f"asst_{n}",
            "object": "assistant",
            "created_at": n,
            "model": "gpt-5.4",
            "name": f"n{n}",
            "instructions": "x",
            "tools": [{"type": "code_interpreter"}],
            "metadata": {"team": "t"},
        }
        for n in range(5)
    ]
    objects = [LiveObject.from_raw(item) for item in raw]
    prepared = PreparedItems(mapping)

    def read() -> None:
        try:
            for obj in objects:
                prepared.add([obj])
                time.sleep(0.01)
        finally:
            prepared.finish()

    reader = threading.Thread(target=read)
    reader.start()  # the pages come while the waiting thread makes their items
    prepared.make_all()
    reader.join()
    prepared.make_all()  # again: at once
    assert all(prepared.get(obj) is not None for obj in objects)
    assert live_items(objects, mapping, prepared) == live_items(objects, mapping)
    # an object read again (another LiveObject of the same id) is made afresh, never taken from the pages
    again = [LiveObject.from_raw({**raw[0], "name": "renamed"}), *objects[1:]]
    assert live_items(again, mapping, prepared) == live_items(again, mapping)
    assert prepared.get(again[0]) is None and prepared.get(objects[0]) is not None

    # a knowledge view changes essence and fingerprint: the prepared items are not used then
    class View:
        def live_knowledge(self, raw: Any, owner: Any) -> Any:
            return {"files": ["a.md"]}

        def live_code_files(self, raw: Any) -> Any:
            return None

        def fingerprint_part(self, owner: Any) -> Any:
            return {"store": "vs_1"}

    class Refusing(PreparedItems):
        def get(self, obj: LiveObject) -> Any:
            raise AssertionError("read with a view, the items are made again")

    viewed = live_items(LiveState(tuple(objects), View()), mapping, Refusing(mapping))
    assert viewed == live_items(LiveState(tuple(objects), View()), mapping)
    assert viewed != live_items(objects, mapping)


def test_a_template_named_by_many_specs_is_checked_once_per_build_and_each_spec_is_told(
    tmp_path: Path,
) -> None:
    """The template checks are made once per build (5,000 specs naming one template: one check), yet every
    spec naming a missing or escaping template still gets its own diagnostic, and a template made between
    two builds is found by the second."""
    from tests.support.projects import make_project, run_cli, write, write_spec

    root = make_project(tmp_path / "project")
    for name in ("one", "two"):
        write_spec(root, name, instructions={"template": "shared.md.j2"})
    write_spec(root, "three", instructions={"template": "../escape.md.j2"})
    first = run_cli(["-C", str(root), "validate"])
    assert first.exit_code == 1
    for name in ("one", "two"):
        assert f"specs/{name}.yaml" in first.output and "template `shared.md.j2` not found" in first.output
    assert first.output.count("template `shared.md.j2` not found") == 2
    assert "outside the templates folder" in first.output
    write(root / "templates" / "shared.md.j2", "Shared instructions.\n")
    (root / "specs" / "three.yaml").unlink()
    assert run_cli(["-C", str(root), "validate"]).exit_code == 0
