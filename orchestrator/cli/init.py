"""`orchestrator init [DIR]`: scaffold a project that validates and applies on the first try."""

from __future__ import annotations

import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import click

from orchestrator.errors import OrchestratorError

GITIGNORE_LINE = ".orchestrator/"


@click.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path), default=None,
                metavar="[DIR]")
def init(folder: Path | None) -> int:
    """Create orchestrator.yaml, an example spec, its template, a shared partial, a function schema, a
    handler and a behaviour test in DIR (default: the current folder). Existing files are never overwritten.

    \b
    Examples:
      orchestrator init my-assistants && cd my-assistants && orchestrator apply --yes
      orchestrator init            # in an empty folder (or a repo without orchestrator.yaml)
    """
    base = _base_folder()
    target = (base / folder) if folder is not None else base
    if target.exists() and not target.is_dir():
        raise OrchestratorError(f"{folder}: exists and is not a folder")
    files = dict(_scaffold_files(resources.files("orchestrator").joinpath("scaffold")))
    present = sorted(name for name in files if (target / name).exists() or (target / name).is_symlink())
    if present:
        raise OrchestratorError(f"refusing to overwrite existing files in {target}: {', '.join(present)}; "
                                "init creates a new project only (remove them or choose another folder)")
    project = _project_name(target.resolve().name)
    for name, text in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("__PROJECT__", project), encoding="utf-8")
    ignored = _add_gitignore_line(target / ".gitignore")
    shown = _shown(target)
    click.echo(f"Created project {project} in {shown}:", err=True)
    for name in sorted(files):
        click.echo(f"  {name}", err=True)
    if ignored:
        click.echo(f"  .gitignore ({GITIGNORE_LINE})", err=True)
    prefix = f"cd {shown} && " if shown != "." else ""
    steps = [(f"{prefix}orchestrator validate", "check the specs offline"),
             ("orchestrator apply --yes", "deploy them to the embedded local target"),
             ("orchestrator test", "run the behaviour tests (specs/helpdesk-tests.yaml)")]
    width = max(len(command) for command, _ in steps)
    click.echo("Next:", err=True)
    for command, why in steps:
        click.echo(f"  {command:<{width}}   # {why}", err=True)
    return 0


def _base_folder() -> Path:
    """The folder DIR is relative to: -C DIR of the group when given (like git -C), else the current one."""
    ctx = click.get_current_context(silent=True)
    directory = (ctx.find_root().obj or {}).get("directory") if ctx is not None else None
    if directory is None:
        return Path.cwd()
    if not Path(directory).is_dir():
        raise OrchestratorError(f"-C {directory}: no such directory")
    return Path(directory)


def _scaffold_files(root: Traversable, prefix: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.startswith("__pycache__") or entry.name.endswith(".pyc"):
            continue
        if entry.is_dir():
            found.extend(_scaffold_files(entry, f"{prefix}{entry.name}/"))
        else:
            found.append((f"{prefix}{entry.name}", entry.read_text(encoding="utf-8")))
    return found


def _project_name(folder_name: str) -> str:
    """A project name the schema accepts, from the folder's name."""
    name = re.sub(r"[^a-z0-9]+", "-", folder_name.lower()).strip("-")[:64].strip("-")
    return name or "my-project"


def _add_gitignore_line(path: Path) -> bool:
    """Append the state folder to .gitignore unless it is there already; True when written."""
    existing = path.read_text(encoding="utf-8") if path.is_file() else ""
    if any(line.strip() in (GITIGNORE_LINE, GITIGNORE_LINE.rstrip("/")) for line in existing.splitlines()):
        return False
    separator = "" if not existing or existing.endswith("\n") else "\n"
    path.write_text(f"{existing}{separator}{GITIGNORE_LINE}\n", encoding="utf-8")
    return True


def _shown(target: Path) -> str:
    try:
        relative = target.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return str(target)
    return str(relative) if str(relative) != "." else "."
