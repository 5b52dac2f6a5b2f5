"""`orchestrator schema [spec|project]`: print a JSON Schema for editors."""

from __future__ import annotations

import click


@click.command()
@click.argument("kind", type=click.Choice(["spec", "project"]), default="spec")
def schema(kind: str) -> int:
    """Print the JSON Schema of a spec (default) or of orchestrator.yaml.

    \b
    Examples:
      orchestrator schema > spec.schema.json   # for editors
      orchestrator schema project
    """
    from orchestrator.spec.schemas import schema_text

    click.echo(schema_text(kind), nl=False)
    return 0
