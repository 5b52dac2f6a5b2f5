"""`orchestrator render NAME`: the exact payload a create would send (no network)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from orchestrator.cli.common import directory_option, environment_option, target_option
from orchestrator.cli.engine import Invalid, load_selection
from orchestrator.errors import OrchestratorError


@click.command()
@click.argument("name")
@directory_option
@environment_option
@target_option
@click.option("--output", "-o", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
def render(name: str, directory: Path | None, environment: str | None, target: str | None, output: str) -> int:
    """Print the exact API payload for spec NAME, on the environment's target backend."""
    from orchestrator.backends.base import mapping_for
    from orchestrator.cli.common import print_diagnostics, today
    from orchestrator.cli.diff import warn_if_redacted
    from orchestrator.desired import build_desired
    from orchestrator.diagnostics import Diagnostics
    from orchestrator.secrets import current
    from orchestrator.sync import desired_items

    try:
        selection = load_selection(directory, environment, target)
    except Invalid:
        return 1
    state = build_desired(selection.project, selection.environment, selection.target, today=today())
    if name not in state.specs:
        print_diagnostics(state.diagnostics)
        if any(d.file.endswith((f"/{name}.yaml", f"/{name}.yml")) for d in state.diagnostics.errors):
            return 1
        raise OrchestratorError(f"unknown spec `{name}` (known: {', '.join(sorted(state.specs)) or 'none'})")
    own = Diagnostics(d for d in state.diagnostics if d.file == state.specs[name].file)
    print_diagnostics(own, summary=own.has_errors)
    mapping = mapping_for(state.target.backend)
    item = desired_items(state, mapping)[name]
    payload = mapping.create_payload(item.essence, item.metadata)
    shown = current().redact_data(payload)
    warn_if_redacted(payload)
    if output == "json":
        click.echo(current().redact(json.dumps(shown, indent=2, ensure_ascii=False)))
    else:
        click.echo(current().redact(dump_yaml(shown)), nl=False)
    return 0


def dump_yaml(data: object) -> str:
    """YAML with multi-line strings as literal blocks, so instructions read as they will be sent."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value and not any(c in value for c in "\t\r") and value == value.rstrip(" ") else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)
