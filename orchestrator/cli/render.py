"""`orchestrator render NAME`: the exact payload a create would send (no network)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from orchestrator.app.project import Invalid, today
from orchestrator.app.render import build_payload
from orchestrator.app.state import load_selection
from orchestrator.cli.common import (
    directory_option,
    environment_option,
    output_option,
    print_diagnostics,
    resolve_root,
    spec_argument,
    target_option,
)
from orchestrator.cli.output import echo
from orchestrator.cli.report import TERMINAL
from orchestrator.errors import OrchestratorError


@click.command()
@spec_argument
@directory_option
@environment_option
@target_option
@output_option("yaml", "json", default="yaml", help=None)
def render(
    name: str, directory: Path | None, environment: str | None, target: str | None, output: str
) -> int:
    """Print the exact API payload for spec NAME, on the environment's target backend.

    \b
    Examples:
      orchestrator render spanish-tutor
      orchestrator render spanish-tutor -e agents -o json
    """
    from orchestrator.cli.diff import warn_if_redacted
    from orchestrator.engine.building import build_desired
    from orchestrator.secrets import active

    try:
        selection = load_selection(resolve_root(directory), environment, target, reporter=TERMINAL)
    except Invalid:
        return 1
    state = build_desired(selection.project, selection.environment, selection.target, today=today())
    try:
        payload, shown = build_payload(state, name)
    except OrchestratorError:
        print_diagnostics(state.diagnostics)
        raise
    print_diagnostics(shown, summary=shown.has_errors)
    if payload is None:
        return 1
    warn_if_redacted(payload)
    payload = active().redact_data(payload)
    if output == "json":
        echo(active().redact(json.dumps(payload, indent=2, ensure_ascii=False)))
    else:
        echo(active().redact(dump_yaml(payload)), nl=False)
    return 0


def dump_yaml(data: object) -> str:
    """YAML with multi-line strings as literal blocks, so instructions read as they will be sent."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = (
            "|"
            if "\n" in value and not any(c in value for c in "\t\r") and value == value.rstrip(" ")
            else None
        )
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)
