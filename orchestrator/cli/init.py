"""`orchestrator init [DIR]`: scaffold a project that validates and applies on the first try."""

from __future__ import annotations

import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import click

from orchestrator.cli.output import echo
from orchestrator.errors import OrchestratorError
from orchestrator.spec.confinement import Refused, read_confined
from orchestrator.spec.writing import WriteRefused, append_file, check_writable, create_file

GITIGNORE_LINE = ".orchestrator/"


@click.command()
@click.argument(
    "folder", required=False, type=click.Path(file_okay=False, path_type=Path), default=None, metavar="[DIR]"
)
@click.option(
    "--agents",
    is_flag=True,
    help="Deploy to the Agents API: the embedded target speaks it (protocol: agents). Either way the "
    "scaffold validates on both backends.",
)
def init(folder: Path | None, agents: bool) -> int:
    """Create orchestrator.yaml, an example spec, its template, a shared partial, a function schema, a
    handler and a behaviour test in DIR (default: the current folder). Existing files are never overwritten.

    The project validates on both backends: moving an environment to an Agents API target (or starting
    there with --agents) is the change of its target line and nothing else.

    \b
    Examples:
      orchestrator init my-assistants && cd my-assistants && orchestrator apply --yes
      orchestrator init --agents my-agents    # the embedded target speaks the Agents API
      orchestrator init            # in an empty folder (or a repo without orchestrator.yaml)
    """
    base = _base_folder()
    target = (base / folder) if folder is not None else base
    if target.exists() and not target.is_dir():
        raise OrchestratorError(f"{folder}: exists and is not a folder")
    files = dict(_scaffold_files(resources.files("orchestrator").joinpath("scaffold")))
    present = sorted(name for name in files if (target / name).exists() or (target / name).is_symlink())
    if present:
        raise OrchestratorError(
            f"refusing to overwrite existing files in {target}: {', '.join(present)}; "
            "init creates a new project only (remove them or choose another folder)"
        )
    target.mkdir(parents=True, exist_ok=True)  # DIR itself is the user's choice, a link or not
    root = target.resolve()
    for name in (*files, ".gitignore"):  # every path checked before the first write: nothing half-made
        try:
            check_writable(root, name, new=name != ".gitignore")
        except WriteRefused as exc:
            raise OrchestratorError(f"refusing to write {name} in {target}: {exc}") from None
        except FileExistsError:
            raise OrchestratorError(
                f"refusing to overwrite {name} in {target}, which appeared meanwhile"
            ) from None
    project = _project_name(root.name)
    for name, text in files.items():
        try:
            if agents and name == "orchestrator.yaml":
                text = text.replace(
                    "  local: {type: local}          # the embedded emulator",
                    "  local: {type: local, protocol: agents}   # the embedded emulator, Agents API",
                )
            create_file(root, name, text.replace("__PROJECT__", project).encode("utf-8"))
        except FileExistsError:
            raise OrchestratorError(
                f"refusing to overwrite {name} in {target}, which appeared meanwhile"
            ) from None
    ignored = _add_gitignore_line(root)
    shown = _shown(target)
    echo(f"Created project {project} in {shown}:", err=True)
    for name in sorted(files):
        echo(f"  {name}", err=True)
    if ignored:
        echo(f"  .gitignore ({GITIGNORE_LINE})", err=True)
    prefix = f"cd {shown} && " if shown != "." else ""
    steps = [
        (f"{prefix}orchestrator validate", "check the specs offline"),
        ("orchestrator apply --yes", "deploy them to the embedded local target"),
        ("orchestrator test", "run the behaviour tests (specs/helpdesk-tests.yaml)"),
    ]
    width = max(len(command) for command, _ in steps)
    echo("Next:", err=True)
    for command, why in steps:
        echo(f"  {command:<{width}}   # {why}", err=True)
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


MAX_GITIGNORE_BYTES = 1024 * 1024


def _add_gitignore_line(root: Path) -> bool:
    """Append the state folder to root's .gitignore unless it is there already; True when written. Read and
    appended through the gates: a .gitignore that is a link is never followed."""
    path = root / ".gitignore"
    try:
        existing = read_confined(path, root, limit=MAX_GITIGNORE_BYTES, what="a .gitignore").decode(
            "utf-8", "replace"
        )
    except FileNotFoundError:
        existing = ""
    except (OSError, Refused) as exc:
        raise OrchestratorError(f"cannot read {path}: {getattr(exc, 'reason', None) or exc}") from None
    if any(line.strip() in (GITIGNORE_LINE, GITIGNORE_LINE.rstrip("/")) for line in existing.splitlines()):
        return False
    separator = "" if not existing or existing.endswith("\n") else "\n"
    append_file(root, ".gitignore", f"{separator}{GITIGNORE_LINE}\n".encode())
    return True


def _shown(target: Path) -> str:
    try:
        relative = target.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return str(target)
    return str(relative) if str(relative) != "." else "."
