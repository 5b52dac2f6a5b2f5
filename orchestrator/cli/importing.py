"""`orchestrator import`: write specs for existing live objects; the next apply adopts them, keeping their ids.

Nothing live is touched. Every spec written is checked before it is written (app/importing.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from orchestrator.app.importing import (
    SCHEMA_FILE,
    ImportedSpec,
    import_result,
    prepare_import,
    write_imports,
)
from orchestrator.app.project import Invalid, Selection
from orchestrator.app.state import load_selection
from orchestrator.cli.common import (
    directory_option,
    environment_option,
    output_option,
    resolve_root,
    target_option,
)
from orchestrator.cli.output import echo
from orchestrator.cli.report import TERMINAL
from orchestrator.errors import OrchestratorError
from orchestrator.secrets import escape_line
from orchestrator.spec.writing import shown_name


@click.command("import")
@click.argument("ids", nargs=-1, metavar="[ID]...")
@directory_option
@environment_option
@target_option
@click.option("--all-unmanaged", is_flag=True, help="Import every live object no project manages.")
@click.option(
    "--name-from",
    type=click.Choice(["display", "id"]),
    default="display",
    show_default=True,
    help="Derive spec names from the object's display name or from its id.",
)
@click.option("--dry-run", is_flag=True, help="Print the files that would be written; write nothing.")
@output_option("text", "json")
def import_command(
    ids: tuple[str, ...],
    directory: Path | None,
    environment: str | None,
    target: str | None,
    all_unmanaged: bool,
    name_from: str,
    dry_run: bool,
    output: str,
) -> int:
    """Write specs for existing live objects; the next apply adopts them, keeping their ids.

    \b
    Examples:
      orchestrator import asst_abc123 --dry-run   # show the files it would write
      orchestrator import --all-unmanaged -e prod
      orchestrator import --all-unmanaged --dry-run -o json   # what it would write, as the MCP tool answers
    """
    if not ids and not all_unmanaged:
        raise OrchestratorError("name the ids to import, or pass --all-unmanaged")
    try:
        selection = load_selection(resolve_root(directory), environment, target, reporter=TERMINAL)
    except Invalid:
        return 1
    found = prepare_import(
        selection, ids, all_unmanaged=all_unmanaged, name_from=name_from, reporter=TERMINAL
    )
    if found.errors:
        for message in found.errors:
            echo(f"error: {escape_line(message)}", err=True)
        echo("Nothing was written.", err=True)
        return 1
    if output == "json":
        import json

        if not dry_run:
            write_imports(selection.project.root, found.imports)
        echo(json.dumps(import_result(found, selection, dry_run=dry_run), indent=2, ensure_ascii=False))
        return 0
    if dry_run:
        for item in found.imports:
            for planned in item.files:
                if planned.write:
                    echo(f"--- {escape_line(planned.path)} (new file)")
                    echo(planned.text, nl=not planned.text.endswith("\n"))
        if found.imports:
            echo("")
    else:
        write_imports(selection.project.root, found.imports)
    summary = _summary(
        found.imports,
        found.raws,
        found.notes,
        found.skipped,
        selection,
        found.kind,
        dry_run=dry_run,
        environment=environment,
        target=target,
    )
    echo(summary, nl=False)
    return 0


def _summary(
    imports: Sequence[ImportedSpec],
    raws: Sequence[Mapping[str, Any]],
    notes: Mapping[str, list[str]],
    skipped: Sequence[str],
    selection: Selection,
    kind: str,
    *,
    dry_run: bool,
    environment: str | None = None,
    target: str | None = None,
) -> str:
    where = (
        f"target {selection.target.name} (project {selection.project.name}, "
        f"environment {selection.environment.name})"
    )
    lines: list[str] = []
    if imports:
        verb = "Would import" if dry_run else "Imported"
        kinds = {item.kind or kind for item in imports}
        noun = kinds.pop() if len(kinds) == 1 else "object"
        lines.append(f"{verb} {len(imports)} {noun}{'s' if len(imports) != 1 else ''} from {where}:")
        for item, raw in zip(imports, raws, strict=True):
            label = (
                f' "{shown_name(str(raw["name"]))}"' if raw.get("name") else ""
            )  # a server's text: no escapes
            lines.append(f"  + {item.object_id}{label} -> {item.spec_path}")
            for planned in item.files[1:]:
                lines.append(
                    f"      {'+' if planned.write else '='} {planned.path}"
                    + ("" if planned.write else " (already there, identical)")
                )
            for warning in (*item.warnings, *notes.get(item.object_id, [])):
                lines.append(f"      warning: {warning}")
    else:
        lines.append(f"Nothing to import from {where}.")
    if skipped:
        lines.append(f"Skipped {len(skipped)}:")
        lines.extend(f"  = {message}" for message in skipped)
    if imports:
        if dry_run:
            lines.append("Dry run: nothing was written.")
        else:
            flags = "".join(
                f" {flag} {value}" for flag, value in (("-e", environment), ("-t", target)) if value
            )
            lines.append(
                f"Next: run `orchestrator diff{flags}` to review the adoption (only the ownership stamp is added), "
                f"then `orchestrator apply{flags}` to adopt, keeping the ids."
            )
        if not (selection.project.root / SCHEMA_FILE).is_file():
            lines.append(
                f"Tip: for editor completion, `orchestrator schema spec > {SCHEMA_FILE}` "
                "(the specs' yaml-language-server line points there)."
            )
    return "\n".join(escape_line(line) for line in lines) + "\n"  # one line each: names are foreign text
