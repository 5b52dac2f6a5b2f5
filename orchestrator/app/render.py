"""A spec's exact create payload, as `render` prints it and the MCP server's render tool answers it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orchestrator.diagnostics import Diagnostics
from orchestrator.errors import OrchestratorError

if TYPE_CHECKING:
    from orchestrator.engine.desired import DesiredState


def build_payload(state: DesiredState, name: str) -> tuple[dict[str, Any] | None, Diagnostics]:
    """Spec NAME's exact create payload and the diagnostics of its file; no payload when the file has errors.

    Raises OrchestratorError for a spec the project does not have.
    """
    from orchestrator.backends import mapping_for
    from orchestrator.engine.sync import desired_items

    if name not in state.specs:
        if any(d.file.endswith((f"/{name}.yaml", f"/{name}.yml")) for d in state.diagnostics.errors):
            return None, state.diagnostics
        raise OrchestratorError(state.unknown_spec(name))
    own = Diagnostics(d for d in state.diagnostics if d.file == state.specs[name].file)
    mapping = mapping_for(state.target.backend)
    item = desired_items(state, mapping)[name]
    return mapping.create_payload(item.essence, item.metadata), own
