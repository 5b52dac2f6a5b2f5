"""Build what the importer planned, as `validate` and `diff` would, to compare it with the live object."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from orchestrator.backends import mapping_for
from orchestrator.diagnostics import Diagnostic
from orchestrator.engine.building import Builder
from orchestrator.engine.desired import DesiredSpec
from orchestrator.engine.importing import ImportedSpec
from orchestrator.spec.project import load_project

TODAY = date(2026, 11, 15)


def write_planned(root: Path, imported: ImportedSpec) -> None:
    for planned in imported.files:
        if planned.write:
            path = root / planned.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(planned.text.encode("utf-8"))


def build_spec(root: Path, imported: ImportedSpec) -> tuple[DesiredSpec | None, list[Diagnostic]]:
    project, diagnostics = load_project(root)
    assert project is not None, diagnostics
    environment = project.environment(None)
    builder = Builder(project, environment, project.target(environment.target), today=TODAY)
    return builder.build_one(root / imported.spec_path)


def essences(root: Path, imported: ImportedSpec, raw: Mapping[str, Any], backend: str) -> tuple[dict, dict]:
    """(desired essence of the written spec, live essence of raw), write-only fields left out."""
    write_planned(root, imported)
    spec, diagnostics = build_spec(root, imported)
    assert spec is not None, [d.message for d in diagnostics]
    assert not [d for d in diagnostics if d.severity == "error"], diagnostics
    mapping = mapping_for(backend)
    hidden = mapping.write_only
    want = {k: v for k, v in mapping.desired_essence(spec).items() if k not in hidden}
    have = {k: v for k, v in mapping.live_essence(raw).items() if k not in hidden}
    return want, have
