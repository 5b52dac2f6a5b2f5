"""Spec discovery: which files under the specs folder are spec files, and why any other YAML file there is not.

Never silent: every YAML file not read as a spec is a diagnostic. Runs offline.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from orchestrator.diagnostics import Diagnostic, error, warning
from orchestrator.engine.desired import TEST_KIND, DesiredEnvironment, DesiredSpec
from orchestrator.kind_registry import spec_kinds
from orchestrator.spec.confinement import Refused, confine
from orchestrator.spec.project import Project

SPEC_SUFFIXES = (".yaml", ".yml")  # in any case: `.YAML` and `.Yml` are specs too
SKIPPED_FOLDERS = frozenset({"__pycache__", "node_modules"})  # never specs, beside hidden ones


@dataclass(frozen=True, slots=True)
class Discovery:
    """The spec files under the specs folder, and why any other YAML file there is not one."""

    files: tuple[Path, ...]
    diagnostics: tuple[Diagnostic, ...] = ()


def is_yaml_name(name: str) -> bool:
    return name.lower().endswith(SPEC_SUFFIXES)


def discover_specs(project: Project) -> Discovery:
    """Every `**/*.yaml` and `**/*.yml` (any case) below the specs folder, sorted.

    Never silent: a YAML file that is not taken (hidden, in a skipped folder, a dangling link, behind
    a link to a folder) is a warning; a link out of the project and an unreadable folder are errors.
    """
    top = project.specs_dir
    if not top.is_dir():
        return Discovery(())
    files: list[Path] = []
    found: list[Diagnostic] = []

    def unreadable(exc: OSError) -> None:
        shown = _shown(project, Path(exc.filename)) if exc.filename else project.display(top)
        found.append(
            error(
                shown,
                f"cannot read folder: {exc.strerror or exc}",
                hint="specs in it would be missed (and pruned); fix its permissions",
            )
        )

    for directory, subdirs, names in os.walk(top, onerror=unreadable, followlinks=False):
        here = Path(directory)
        kept: list[str] = []
        for sub in sorted(subdirs):
            path = here / sub
            if path.is_symlink():
                found.append(
                    warning(
                        _shown(project, path),
                        "is a link to a folder; spec discovery does not "
                        "follow folder links, so any spec behind it is not read",
                        hint="move the files into the specs folder, or link each file",
                    )
                )
            elif sub.startswith(".") or sub in SKIPPED_FOLDERS:
                skipped = _yaml_below(path)
                if skipped:
                    reason = "hidden" if sub.startswith(".") else "never holds specs"
                    found.append(
                        warning(
                            _shown(project, path),
                            f"folder skipped ({reason}): {skipped} YAML "
                            + ("file in it is" if skipped == 1 else "files in it are")
                            + " not read as specs",
                            hint="rename the folder to read them",
                        )
                    )
            else:
                kept.append(sub)
        subdirs[:] = kept
        for name in sorted(names):
            if not is_yaml_name(name):
                continue
            path = here / name
            shown = _shown(project, path)
            if name.startswith("."):
                found.append(
                    warning(shown, "hidden file skipped; files starting with `.` are not read as specs")
                )
                continue
            if path.is_symlink():
                if not path.exists():
                    found.append(
                        warning(shown, f"is a link to `{os.readlink(path)}`, which does not exist; skipped")
                    )
                    continue
                try:
                    confine(path, project.root)
                except Refused as exc:
                    found.append(error(shown, f"spec file {exc.reason}", hint=exc.hint))
                    continue
                if path.is_dir():
                    continue
            files.append(path)
    return Discovery(tuple(sorted(files)), tuple(found))


def discover_spec_files(project: Project) -> list[Path]:
    return list(discover_specs(project).files)


def _shown(project: Project, path: Path) -> str:
    """A path as written under the project (links not followed), for messages."""
    try:
        return path.relative_to(project.root).as_posix()
    except ValueError:
        return str(path)


def _yaml_below(folder: Path) -> int:
    count = 0
    for _, _, names in os.walk(folder, followlinks=False):
        count += sum(1 for name in names if is_yaml_name(name))
    return count


def data_files(specs: Mapping[str, DesiredSpec] | list[DesiredSpec]) -> set[Path]:
    """Files specs read as knowledge or code files: data, so never specs, even with a YAML name."""
    values = specs.values() if isinstance(specs, Mapping) else specs
    found: set[Path] = set()
    for spec in values:
        if getattr(spec, "kind", None) in spec_kinds():  # what it reads beside its spec file is data: a
            found.update(path for path in spec.dependencies if path != spec.path.resolve())  # skill's folder
            continue
        if getattr(spec, "kind", None) == TEST_KIND:
            continue
        local = (
            spec.local_files
            if isinstance(spec, DesiredEnvironment)
            else (*spec.knowledge_files, *spec.code_files)
        )
        found.update(f.absolute for f in local)
    return found
