"""What a well-formed API response looks like, checked before anything is read from it.

A server that answers JSON 200 without the list envelope must not read as "no live objects" (every
spec would be planned for creation), and a server that omits `has_more` or ignores the `after`
cursor must not make a listing loop forever. Every error names the URL (never the key) and says
what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from orchestrator.errors import OrchestratorError

MAX_PAGES = 10_000  # 1,000,000 objects at 100 a page: far past any project, short of forever
KEYS_SHOWN = 8
SAFE_WORD = re.compile(r"[a-z][a-z_.]{0,39}")  # an object type name is shown; other server text never


class UnexpectedResponse(OrchestratorError):
    """The server answered with something that is not what the API documents."""

    def __init__(self, message: str) -> None:
        from orchestrator.secrets import redact

        super().__init__(redact(message))


@dataclass(frozen=True, slots=True)
class Shape:
    """The `object` value and id prefix of one kind of API object ("" where the API fixes no prefix)."""

    object: str
    prefix: str = ""


ASSISTANT = Shape("assistant", "asst_")
AGENT = Shape("agent")  # the Agents API documents no id prefix
VECTOR_STORE = Shape("vector_store", "vs_")
FILE = Shape("file", "file-")
VECTOR_STORE_FILE = Shape("vector_store.file", "file-")
ENVIRONMENT_TEMPLATE = Shape("agent.environment.template")

# query (limit, after, ...) -> the HTTP response (an httpx response: .url, .json())
Fetch = Callable[[dict[str, Any]], Any]


def read_list(fetch: Fetch, shape: Shape, *, page_size: int) -> list[dict[str, Any]]:
    """Every object of a cursor-paged list, oldest first as the server orders them.

    Stops on `has_more: false`, on a short page when `has_more` is missing, or on an empty page; fails
    (never loops) when a page repeats an id already read, when `has_more: true` comes with no
    objects, or after MAX_PAGES pages.
    """
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    query: dict[str, Any] = {}
    for _ in range(MAX_PAGES):
        response = fetch(dict(query))
        url = public_url(response)
        body = decode_json(response, url)
        items = check_envelope(body, url)
        for index, item in enumerate(items):
            check_object(item, shape, url, where=f"data[{index}]")
            if item["id"] in seen:
                raise UnexpectedResponse(
                    f"GET {url} listed {shape.object} {item['id']} again (already read on an earlier page or "
                    "earlier on this one): the server does not honour the `after` cursor, so the listing "
                    "cannot be trusted; stopped instead of reading the same objects forever")
            seen.add(item["id"])
        found.extend(items)
        has_more = body.get("has_more")
        if has_more is not None and not isinstance(has_more, bool):
            raise UnexpectedResponse(f"GET {url} answered `has_more: {_kind(has_more)}`; expected true or false")
        if has_more is False:
            return found
        if not items:
            if has_more:
                raise UnexpectedResponse(
                    f"GET {url} answered `has_more: true` with no objects: the rest of the list cannot be read")
            return found
        if has_more is None and len(items) < page_size:
            return found  # no `has_more`: a short page is the last one
        query["after"] = items[-1]["id"]
    raise UnexpectedResponse(f"the listing of {shape.object} objects did not end after {MAX_PAGES} pages; stopped")


def read_object(response: Any, shape: Shape) -> dict[str, Any]:
    """The object of a create, retrieve or update response, checked."""
    url = public_url(response)
    body = decode_json(response, url)
    check_object(body, shape, url)
    return body


def check_deleted(response: Any, shape: Shape, object_id: str) -> None:
    """A delete must answer `{id, object: "<kind>.deleted", deleted: true}`; anything else did not delete."""
    url = public_url(response)
    body = decode_json(response, url)
    if not isinstance(body, Mapping) or body.get("deleted") is not True or body.get("id") != object_id:
        raise UnexpectedResponse(
            f"DELETE {url} answered {_describe(body)}; expected {{\"id\": \"{object_id}\", "
            f"\"object\": \"{shape.object}.deleted\", \"deleted\": true}}: the {shape.object} may not be deleted")


def check_envelope(body: Any, url: str) -> list[Any]:
    if not isinstance(body, Mapping) or body.get("object") != "list" or not isinstance(body.get("data"), list):
        raise UnexpectedResponse(
            f"GET {url} answered {_describe(body)} instead of a list envelope "
            "({\"object\": \"list\", \"data\": [...], \"has_more\": ...}); is the target's base_url an "
            "OpenAI-compatible API?")
    return list(body["data"])


def check_object(item: Any, shape: Shape, url: str, *, where: str = "the response") -> None:
    if not isinstance(item, Mapping):
        raise UnexpectedResponse(f"{url}: {where} is {_describe(item)}; expected an object of type `{shape.object}`")
    if item.get("object") != shape.object:
        raise UnexpectedResponse(
            f"{url}: {where} has `object: {_kind(item.get('object'))}`; expected `{shape.object}`")
    object_id = item.get("id")
    if not isinstance(object_id, str) or not object_id.startswith(shape.prefix) or len(object_id) <= len(shape.prefix) \
            or any(c.isspace() or c in "/?#" for c in object_id) or len(object_id) > 256:
        expected = f"a string starting with `{shape.prefix}`" if shape.prefix else "a non-empty string"
        raise UnexpectedResponse(f"{url}: {where} has the id {_kind(object_id)}; expected {expected}")
    created = item.get("created_at")
    if created is not None and (isinstance(created, bool) or not isinstance(created, int)):
        raise UnexpectedResponse(f"{url}: {where} ({object_id}) has `created_at: {_kind(created)}`; "
                                 "expected unix seconds")
    metadata = item.get("metadata")
    if metadata is not None and (not isinstance(metadata, Mapping)
                                 or not all(isinstance(v, str) for v in metadata.values())):
        raise UnexpectedResponse(f"{url}: {where} ({object_id}) has metadata that is not a map of strings")


def decode_json(response: Any, url: str) -> Any:
    try:
        return response.json()
    except ValueError:
        kind = (getattr(response, "headers", {}) or {}).get("content-type") or "no content type"
        raise UnexpectedResponse(f"{url} answered HTTP {getattr(response, 'status_code', '?')} with a body that is "
                                 f"not JSON ({kind})") from None


def public_url(response: Any) -> str:
    """The request's URL without any user:password part, and through the redactor."""
    from orchestrator.secrets import redact

    parts = urlsplit(str(getattr(response, "url", "") or ""))
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return redact(urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")))


def _describe(value: Any) -> str:
    if isinstance(value, Mapping):
        keys = sorted(str(k) if SAFE_WORD.fullmatch(str(k)) else "..." for k in value)
        shown = ", ".join(keys[:KEYS_SHOWN]) + (", ..." if len(keys) > KEYS_SHOWN else "")
        return f"a JSON object with keys [{shown}]" if keys else "an empty JSON object"
    return f"JSON {_kind(value)}"


def _kind(value: Any) -> str:
    """A short, content-free name of a JSON value (the server's text is never echoed)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"' if SAFE_WORD.fullmatch(value) else "a string"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
