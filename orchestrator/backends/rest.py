"""One API collection (`/assistants`, `/agents`) reached through the openai SDK's low-level client.

`client.get/post/delete` send exactly what `client.beta.<resource>.with_raw_response.<method>` sends
(the same path, query order, body key order, headers, retries and errors), byte for byte
(tests/unit/test_rest_requests.py compares the two on the wire), without touching `client.beta`: its first
access imports every beta resource and its pydantic types, about 0.45 s of a command's start-up. Answers are
the HTTP responses themselves; wire.py checks their shape before anything is read from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# the SDK's with_raw_response marks each request so; kept so what is sent stays the same
RAW_RESPONSE_HEADER = "X-Stainless-Raw-Response"
LIST_QUERY_ORDER = ("after", "before", "limit", "order")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A collection path, its `OpenAI-Beta` header and the body key order of its create/update methods."""

    path: str
    beta: str
    fields: Sequence[str]

    def list_page(self, sdk: Any, query: Mapping[str, Any]) -> Any:
        params = {key: query[key] for key in LIST_QUERY_ORDER if key in query}
        params.update((key, value) for key, value in query.items() if key not in params)
        return sdk.get(self.path, cast_to=object, options=self._options(params)).http_response

    def retrieve(self, sdk: Any, object_id: str) -> Any:
        return sdk.get(self._item(object_id), cast_to=object, options=self._options()).http_response

    def create(self, sdk: Any, payload: Mapping[str, Any]) -> Any:
        return sdk.post(
            self.path, cast_to=object, body=self._body(payload), options=self._options()
        ).http_response

    def update(self, sdk: Any, object_id: str, payload: Mapping[str, Any]) -> Any:
        return sdk.post(
            self._item(object_id), cast_to=object, body=self._body(payload), options=self._options()
        ).http_response

    def delete(self, sdk: Any, object_id: str) -> Any:
        return sdk.delete(self._item(object_id), cast_to=object, options=self._options()).http_response

    def _item(self, object_id: str) -> str:
        from openai._utils import path_template

        if not object_id:  # as the resource methods refuse it, before anything is sent
            raise ValueError(f"Expected a non-empty value for the id but received {object_id!r}")
        return path_template(self.path + "/{object_id}", object_id=object_id)

    def _options(self, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        options: dict[str, Any] = {
            "headers": {"OpenAI-Beta": self.beta, RAW_RESPONSE_HEADER: "true"},
            "security": {"bearer_auth": True},
        }
        if params is not None:
            options["params"] = dict(params)
        return options

    def _body(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The payload in the order the SDK method lays out its parameters (so the JSON is the same)."""
        body = {key: payload[key] for key in self.fields if key in payload}
        body.update((key, value) for key, value in payload.items() if key not in body)
        return body


ASSISTANTS = Endpoint(
    "/assistants",
    "assistants=v2",
    (
        "model",
        "description",
        "instructions",
        "metadata",
        "name",
        "reasoning_effort",
        "response_format",
        "temperature",
        "tool_resources",
        "tools",
        "top_p",
    ),
)
AGENTS = Endpoint(
    "/agents",
    "agents=v1",
    (
        "model",
        "service_tier",
        "compaction",
        "experimental",
        "instructions",
        "metadata",
        "multi_agent",
        "name",
        "reasoning",
        "text",
        "tools",
    ),
)
