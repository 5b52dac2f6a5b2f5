"""Shortcuts taken for speed at scale (issue 17) give what the general path gives: redaction's check
and folder resolution once per build."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from orchestrator.secrets import Redactor
from orchestrator.spec.confinement import resolved, resolving_once

SECRET = "sk-test-0123456789abcdefSENTINEL"


@dataclass(frozen=True)
class Holder:
    name: str
    data: Any


@pytest.mark.parametrize("value", [
    {"instructions": "plain text", "tools": ["code_interpreter"], "n": 3, "ok": True, "none": None},
    Holder("a", ({"k": "v"}, ["x", 1.5])),
    {"key": f"the key is {SECRET}"},
    Holder("a", ({"nested": [f"x{SECRET}y"]},)),
    {f"{SECRET}": "as a mapping key"},
    {"url": "https://user:hunter2-password@example.test/v1"},
    {"key-shaped": "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"},
    {"only the words": "sk- and :// apart, nothing to mask"},
    {"anchor": "0123456789abcdefSENTINEL without its prefix"},
])
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
    paths = [root / "real" / "deep" / "a.yaml", root / "linked" / "deep" / "a.yaml", root / "real" / "b.yaml",
             root / "real" / "missing.yaml", root / "linked" / "deep" / ".." / "b.yaml", root / "real" / "..",
             root / "linked" / "deep" / "a.yaml"]
    expected = [p.resolve() for p in paths]
    with resolving_once():
        assert [resolved(p) for p in paths] == expected
        with pytest.raises((RuntimeError, OSError)):
            resolved(root / "loop")
