"""Options and project loading shared by the commands."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from orchestrator.app.project import find_root
from orchestrator.cli.output import echo
from orchestrator.diagnostics import Diagnostics
from orchestrator.errors import OrchestratorError
from orchestrator.spec.project import Project, find_project_root, load_project

F = TypeVar("F", bound=Callable[..., Any])


def directory_option(func: F) -> F:
    return click.option(
        "-C",
        "directory",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Run as if started in DIR (like git -C).",
    )(func)


def environment_option(func: F) -> F:
    return click.option(
        "-e",
        "--env",
        "environment",
        default=None,
        metavar="ENV",
        envvar="ORCHESTRATOR_ENV",
        show_envvar=True,
        shell_complete=lambda ctx, param, incomplete: _complete(ctx, incomplete, "environments"),
        help="Environment from orchestrator.yaml (default: default_environment).",
    )(func)


def target_option(func: F) -> F:
    return click.option(
        "-t",
        "--target",
        "target",
        default=None,
        metavar="TARGET",
        envvar="ORCHESTRATOR_TARGET",
        show_envvar=True,
        shell_complete=lambda ctx, param, incomplete: _complete(ctx, incomplete, "targets"),
        help="Target to use instead of the environment's.",
    )(func)


def spec_argument(func: F) -> F:
    """NAME of a spec, completed by the shell from the project's spec files."""
    return click.argument("name", shell_complete=complete_spec_names)(func)


def only_option(func: F) -> F:
    return click.option(
        "--only",
        multiple=True,
        metavar="NAME",
        shell_complete=complete_spec_names,
        help="Limit to these specs (repeatable).",
    )(func)


def complete_spec_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    return _complete(ctx, incomplete, "specs")


def _complete(ctx: click.Context, incomplete: str, what: str) -> list[Any]:
    """Names for shell completion, read cheaply from the project files; nothing when they cannot be read."""
    from click.shell_completion import CompletionItem

    try:
        directory = ctx.params.get("directory") or ctx.find_root().params.get("directory")
        root = find_project_root(Path(directory) if directory else Path.cwd())
        if root is None:
            return []
        project, _ = load_project(root)
        if project is None:
            return []
        if what == "environments":
            names = list(project.environments)
        elif what == "targets":
            names = list(project.targets)
        else:
            names = _spec_names(project)
    except Exception:  # completion must never print a traceback into the user's shell
        return []
    return [CompletionItem(name) for name in sorted(names) if name.startswith(incomplete)]


def _spec_names(project: Project) -> list[str]:
    """Names of the spec files, read with the same bounded loader as validate (a hostile repo can't hang a shell)."""
    from orchestrator.engine.spec_discovery import discover_spec_files
    from orchestrator.spec.loading import LoadError, load_yaml_file

    names = []
    for path in discover_spec_files(project):
        try:
            data = load_yaml_file(path).data
        except LoadError:
            continue
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            names.append(data["name"])
    return names


def output_option(
    *choices: str, default: str = "text", help: str | None = "Output format."
) -> Callable[[F], F]:
    return click.option(
        "--output",
        "-o",
        "output",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help=help,
    )


def yes_option(func: F) -> F:
    return click.option(
        "--yes", "-y", is_flag=True, help="Do not ask for confirmation (needed without a terminal)."
    )(func)


def parallelism_option(
    *,
    default: int | None = 8,
    metavar: str | None = None,
    help: str | None = "Independent changes applied at once.",
) -> Callable[[F], F]:
    """--parallelism N (1 to 64): how many independent changes (or cases) run at once."""
    return click.option(
        "--parallelism",
        type=click.IntRange(1, 64),
        default=default,
        show_default=default is not None,
        metavar=metavar,
        help=help,
    )


def turn_timeout_option(help: str) -> Callable[[F], F]:
    """--timeout S: how long one conversation turn may take (run, chat, test)."""
    return click.option(
        "--timeout",
        "turn_timeout",
        type=click.FloatRange(min=0.1),
        default=300.0,
        show_default=True,
        metavar="S",
        help=help,
    )


def tool_timeout_option(help: str) -> Callable[[F], F]:
    """--tool-timeout S: how long one bound function handler may take (run, chat, test)."""
    return click.option(
        "--tool-timeout",
        type=click.FloatRange(min=0.01),
        default=30.0,
        show_default=True,
        metavar="S",
        help=help,
    )


def resolve_root(directory: Path | None) -> Path:
    """The project folder of this run: -C DIR of the command or of the group, else the current folder's."""
    if directory is None:
        ctx = click.get_current_context(silent=True)
        group_dir = (ctx.find_root().obj or {}).get("directory") if ctx is not None else None
        directory = Path(group_dir) if group_dir else None
    return find_root(directory if directory is not None else Path.cwd(), given=directory is not None)


def caller_directory() -> Path | None:
    """-C DIR of this command or of the group, whichever was given."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return None
    directory = ctx.params.get("directory") or (ctx.find_root().obj or {}).get("directory")
    return Path(directory) if directory else None


def caller_path(path: Path) -> Path:
    """A path typed on the command line, resolved as git does under -C: relative to DIR when given."""
    directory = caller_directory()
    return path if path.is_absolute() or directory is None else directory / path


def user_output(path: Path) -> Path:
    """A file the user named for the tool to write (`diff --out`, `--events`), resolved as caller_path does:
    anywhere the user says, but never through or onto a link inside the project (the write gate's rule)."""
    from orchestrator.spec.writing import user_output_path

    written = caller_path(path)
    try:
        root: Path | None = resolve_root(caller_directory()).resolve()
    except OrchestratorError:
        root = None
    return user_output_path(written, root)


def print_diagnostics(diagnostics: Diagnostics, *, summary: bool = True) -> None:
    from orchestrator.views.diagnostics_text import render_diagnostics

    text = render_diagnostics(diagnostics, color=stderr_color(), summary=summary)
    if text:
        echo(text, err=True, nl=False, styled=True)


def color_mode() -> str:
    """`--color` of this run (auto, always, never); auto when it was not given."""
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx is not None else None
    obj = root.obj if root is not None and isinstance(root.obj, dict) else {}
    return str(obj.get("color") or "auto")


def wants_color(stream: Any, mode: str | None = None) -> bool:
    """Whether to paint what goes to `stream`: --color always|never wins; in auto mode a non-empty
    NO_COLOR (no-color.org) turns it off, a FORCE_COLOR other than 0 turns it on (CI logs), else a terminal."""
    import os

    mode = mode or color_mode()
    if mode != "auto":
        return mode == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def stderr_color() -> bool:
    return wants_color(sys.stderr)


def stdout_color() -> bool:
    return wants_color(sys.stdout)
