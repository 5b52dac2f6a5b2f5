"""Look at a served emulator from the outside: its assistants (through the SDK), request counts, faults."""

from __future__ import annotations

import json
import urllib.request
import warnings
from typing import Any

import openai

from orchestrator.constants import ADMIN_FAULTS_PATH, ADMIN_REQUESTS_PATH
from orchestrator.engine.ownership import OWNER_KEY


def assistants(sdk: openai.OpenAI) -> list[Any]:
    """Every assistant on the server, oldest first."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return list(sdk.beta.assistants.list(limit=100, order="asc"))


def owned_by(sdk: openai.OpenAI, owner: str) -> list[Any]:
    """Assistants whose ownership key is `project/environment/spec`."""
    return [a for a in assistants(sdk) if (a.metadata or {}).get(OWNER_KEY) == owner]


def snapshot(sdk: openai.OpenAI) -> list[dict[str, Any]]:
    """Every assistant as JSON, to check that nothing changed."""
    return [a.model_dump(mode="json") for a in assistants(sdk)]


def _admin(root_url: str, path: str, method: str = "GET", body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        root_url + path, data=data, method=method, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def request_counts(root_url: str) -> dict[str, Any]:
    return _admin(root_url, ADMIN_REQUESTS_PATH)


def reset_counts(root_url: str) -> None:
    _admin(root_url, ADMIN_REQUESTS_PATH, "DELETE")


def writes(counts: dict[str, Any]) -> int:
    """How many counted requests could have changed something (any method but GET)."""
    return sum(n for route, n in counts["by_route"].items() if not route.startswith("GET "))


def set_faults(root_url: str, **settings: Any) -> dict[str, Any]:
    return _admin(root_url, ADMIN_FAULTS_PATH, "POST", settings)
