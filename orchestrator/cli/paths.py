"""`orchestrator paths`: every path of the repository that can change what the project deploys or does.

Workflows and hooks filter on it (`on.pull_request.paths`, pre-commit `files:`), so a filter written by
hand drifts from the project: a skill under `skills/` or a root `knowledge/` folder was skipped. This reads
the project file and builds every environment offline (as validate does), and prints, relative to the
project: the project file, the specs, templates and schemas folders, the handler folders of `python_path`,
the folder of every data file a spec reads (knowledge, code and environment files, skill folders: a new
file there can match a glob) and every other file a spec is built from.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from orchestrator.app.project import select, today
from orchestrator.cli.common import directory_option, output_option, print_diagnostics, resolve_root
from orchestrator.cli.output import echo
from orchestrator.diagnostics import Diagnostics
from orchestrator.spec.project import PROJECT_FILE


@click.command()
@directory_option
@output_option("lines", "regex", "json", default="lines")
def paths(directory: Path | None, output: str) -> int:
    """Print the paths that can change what the project deploys: globs (lines), one regex, or JSON.

    Every environment is built offline, as `validate --all-environments` does; nothing is read live.

    \b
    Examples:
      orchestrator paths                          # specs/**, templates/**, skills/grammar/**, ...
      orchestrator paths -o regex                 # for a pre-commit `files:` pattern
      git diff --name-only origin/main... | grep -E "$(orchestrator paths -o regex)"
    """
    patterns = project_paths(directory)
    if patterns is None:
        return 1
    if output == "json":
        echo(json.dumps(patterns, indent=2))
    elif output == "regex":
        echo(to_regex(patterns))
    else:
        echo("\n".join(patterns))
    return 0


def project_paths(directory: Path | None) -> list[str] | None:
    """The sorted globs (`folder/**` or a file) of the project; None when the project file is invalid."""
    from orchestrator.engine.building import build_desired

    first = select(resolve_root(directory), None, None)
    if isinstance(first, Diagnostics):
        print_diagnostics(first)
        return None
    project = first.project
    root = project.root.resolve()
    folders: set[Path] = {project.specs_dir, project.templates_dir, root / "schemas", *project.python_path}
    files: set[Path] = {root / PROJECT_FILE}
    for name in project.environments:
        selection = select(resolve_root(directory), name, None)
        assert not isinstance(selection, Diagnostics)
        state = build_desired(project, selection.environment, selection.target, today=today())
        for spec in [
            *state.specs.values(),
            *(r for group in state.resources.values() for r in group.values()),
        ]:
            files.update(getattr(spec, "dependencies", ()) or ())
            for local in (*getattr(spec, "knowledge_files", ()), *getattr(spec, "code_files", ())):
                folders.add(local.absolute.parent)
            local_files = getattr(spec, "local_files", None)
            for local in local_files if isinstance(local_files, tuple) else ():
                folders.add(local.absolute.parent)
            folder = getattr(spec, "folder", None)
            if isinstance(folder, Path):
                folders.add(folder.resolve())
    shown_folders = sorted({_relative(f, root) for f in folders if _inside(f, root)} - {None})  # type: ignore[arg-type]
    shown_folders = [
        f for f in shown_folders if not any(f != g and f.startswith(g + "/") for g in shown_folders)
    ]
    patterns = [f"{f}/**" if f else "**" for f in shown_folders]
    for path in sorted(files):
        shown = _relative(path, root)
        if (
            shown is not None
            and _inside(path, root)
            and not any(shown.startswith(f + "/") for f in shown_folders)
        ):
            patterns.append(shown)
    return sorted(set(patterns))


def to_regex(patterns: list[str]) -> str:
    """One anchored regular expression matching what the globs match (paths relative to the project)."""
    parts = [re.escape(p[:-3]) + "/.*" if p.endswith("/**") else re.escape(p) for p in patterns]
    return "^(" + "|".join(parts) + ")$"


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root)


def _relative(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return None
