"""Command-line entry point: parse flags, call the core, pick a view, map to an exit code.

Subcommands live in their own modules and are imported only when invoked, so that
`orchestrator --help` and `validate` stay fast and never import the openai SDK.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Sequence

import click

from orchestrator import __version__

# name -> (module, attribute, one-line help shown by --help without importing the module)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("orchestrator.cli.init", "init", "Create a new project: orchestrator.yaml and an example spec."),
    "validate": ("orchestrator.cli.validate", "validate", "Load, schema-check, render and lint every spec."),
    "render": ("orchestrator.cli.render", "render", "Print the exact payload that would be sent for a spec."),
    "schema": ("orchestrator.cli.schema", "schema", "Print the JSON Schema of specs or of the project file."),
    "diff": ("orchestrator.cli.diff", "diff", "Compare the specs with the live objects."),
    "apply": ("orchestrator.cli.apply", "apply", "Make the live objects match the specs (or a saved plan)."),
    "show": ("orchestrator.cli.show", "show", "Print a saved plan (text, JSON or markdown)."),
    "comment": (
        "orchestrator.cli.comment",
        "comment",
        "Print one pull-request comment from saved plans, bounded.",
    ),
    "graph": ("orchestrator.cli.graph", "graph", "Print the resource graph of the plan (Mermaid or DOT)."),
    "paths": ("orchestrator.cli.paths", "paths", "Print the paths that can change what the project deploys."),
    "list": (
        "orchestrator.cli.listing",
        "list_command",
        "Show each spec's live id, status and git revision.",
    ),
    "history": (
        "orchestrator.cli.history",
        "history",
        "List the git revisions that changed what a spec deploys.",
    ),
    "rollback": (
        "orchestrator.cli.rollback",
        "rollback",
        "Apply, per spec, the revision before the live one.",
    ),
    "destroy": ("orchestrator.cli.destroy", "destroy", "Delete every object the project owns on a target."),
    "watch": ("orchestrator.cli.watch", "watch", "Reconcile now, then on every file change."),
    "import": ("orchestrator.cli.importing", "import_command", "Write specs for existing live objects."),
    "test": (
        "orchestrator.cli.test",
        "test",
        "Run the behaviour tests (kind: test) against short-lived copies.",
    ),
    "run": (
        "orchestrator.cli.run",
        "run",
        "Send one message to a live assistant, executing bound functions.",
    ),
    "chat": ("orchestrator.cli.run", "chat", "Talk to a live assistant interactively."),
    "serve": ("orchestrator.cli.serve", "serve", "Run the local OpenAI-compatible emulator."),
    "mcp": ("orchestrator.cli.mcp", "mcp_command", "Serve the project as MCP tools for AI clients."),
}


# commands that end by themselves, in seconds: in a process of their own (entry) they run without the cyclic
# garbage collector, whose passes over the heap of thousands of specs cost a diff of 5,000 specs 0.5 s of
# CPU and free next to nothing (peak memory is the same without it). watch, run, chat, serve and mcp keep it.
BOUNDED = frozenset(
    {
        "init",
        "validate",
        "render",
        "schema",
        "diff",
        "apply",
        "show",
        "comment",
        "graph",
        "paths",
        "list",
        "history",
        "rollback",
        "destroy",
        "import",
        "test",
    }
)


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    whole_process = False  # set by entry(): this run is the process (never when main() is called in-process)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if _available(name)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None or not _available(cmd_name):
            return None
        module_name, attribute, _ = entry
        if self.whole_process and cmd_name in BOUNDED:
            import gc

            gc.disable()
        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        return _examples_last(command)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _examples_last(command: click.Command) -> click.Command:
    """Show a docstring's "Examples:" block after the options, where --help readers look for it."""
    import re
    import textwrap

    parts = re.split(r"\n[ \t]*\x08\n(?=[ \t]*Examples:)", command.help or "", maxsplit=1)
    if len(parts) == 2 and not command.epilog:
        command.help = parts[0]
        command.epilog = "\b\n" + textwrap.dedent(parts[1]).strip("\n")
    return command


def _available(name: str) -> bool:
    module_name = COMMANDS[name][0]
    return importlib.util.find_spec(module_name) is not None


# No site is published yet: the docs are the Markdown pages under docs/ (readable on the forge as they are) and
# the MkDocs site built from them; put its URL here once there is one.
DOCS_EPILOG = (
    "\b\nDocumentation: docs/ in the repository (tutorial, how-to guides, concepts, reference);\n"
    "as a site: pip install -e '.[docs]' && mkdocs serve. Each command: docs/reference/commands/."
)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=DOCS_EPILOG)
@click.version_option(__version__, prog_name="orchestrator")
@click.option(
    "-C",
    "directory",
    type=click.Path(file_okay=False),
    default=None,
    metavar="DIR",
    help="Run as if started in DIR (like git -C).",
)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    envvar="ORCHESTRATOR_COLOR",
    show_envvar=True,
    help="Colour plans and diagnostics; auto honours NO_COLOR and FORCE_COLOR, else colours a terminal.",
)
@click.pass_context
def cli(ctx: click.Context, directory: str | None, color: str) -> None:
    """Keep OpenAI assistants and agents in git: validate, diff, apply, watch.

    Common flags also come from the environment: ORCHESTRATOR_ENV (-e), ORCHESTRATOR_TARGET (-t),
    ORCHESTRATOR_COLOR (--color); a flag on the command line wins.
    """
    ctx.obj = {"directory": directory, "color": color}
    if color == "always" or (color == "auto" and _force_color()):
        ctx.color = True  # click.echo keeps the escapes even when stdout is a pipe (CI logs)
    elif color == "never":
        ctx.color = False


def _force_color() -> bool:
    import os

    return not os.environ.get("NO_COLOR") and os.environ.get("FORCE_COLOR", "") not in ("", "0")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code (0 ok, 1 error, 2 changes for diff, 3 a session's spend limit for run,
    130 on Ctrl-C)."""
    from orchestrator.cli.errors import run_cli

    return run_cli(cli, list(argv) if argv is not None else sys.argv[1:])


def entry() -> None:
    """The process entry point (the `orchestrator` console script and `python -m orchestrator`): main(), then
    leave without the interpreter's teardown (about 0.2 s of freeing modules that the user would wait for).

    Only where that is safe: atexit handlers still run (chat history), stdout and stderr are flushed, and
    when any other non-daemon thread is still alive the ordinary exit waits for it as before. Never used
    in-process (tests call main()). A command that ends by itself runs without the cyclic garbage collector
    (BOUNDED).
    """
    cli.whole_process = True  # type: ignore[attr-defined]
    code = main()
    import threading

    if any(t is not threading.current_thread() and not t.daemon for t in threading.enumerate()):
        raise SystemExit(code)
    import atexit
    import os
    from contextlib import suppress

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # a closed pipe (`| head`): what could be written was written
            stream.flush()
    os._exit(code)
