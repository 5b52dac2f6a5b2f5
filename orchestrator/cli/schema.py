"""`orchestrator schema [KIND]`: print a JSON Schema for editors."""

from __future__ import annotations

import click

from orchestrator.cli.output import echo
from orchestrator.kind_registry import spec_kinds

# every kind of file the tool reads, in the order --help lists them; `assistant` is `spec`'s other name;
# the kinds read by their definition (vault, skill, automation, ...) come from the kind registry
KINDS = ("spec", "assistant", "environment", *spec_kinds(), "test", "project", "plan")
DEFINED = ", ".join(f"`{kind}`" for kind in spec_kinds())


@click.command()
@click.argument("kind", type=click.Choice(KINDS), default="spec")
def schema(kind: str) -> int:
    """Print the JSON Schema of a spec kind, of orchestrator.yaml or of a saved plan.

    KIND is `spec` (default; an assistant, also named `assistant`), `environment`, DEFINED,
    `test` (a behaviour test), `project` (orchestrator.yaml) or `plan` (`diff --out` and `diff --output json`).

    \b
    Examples:
      orchestrator schema > spec.schema.json   # for editors
      orchestrator schema vault
      orchestrator schema project
    """
    from orchestrator.spec.schemas import schema_text

    echo(schema_text("spec" if kind == "assistant" else kind), nl=False)
    return 0


schema.help = (schema.help or "").replace("DEFINED", DEFINED)
