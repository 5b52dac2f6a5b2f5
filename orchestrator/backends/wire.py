"""What a well-formed API response looks like, checked before anything is read from it.

A server that answers JSON 200 without the list envelope must not read as "no live objects" (every
spec would be planned for creation), and a server that omits `has_more` or ignores the `after`
cursor must not make a listing loop forever. Lists are read as tolerantly as the SDK reads them
(`object` and `has_more` may be missing; `data` must be a list) and no listing reads past the
budget's pages and objects (budget.py). Every error names the URL (never the key) and says what was
expected.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from orchestrator.backends.budget import MAX_ITEMS, MAX_PAGES
from orchestrator.errors import OrchestratorError

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
    object_optional: bool = False  # a body without `object` is read as this kind (compatible servers omit it)


ASSISTANT = Shape("assistant", "asst_")
AGENT = Shape("agent", object_optional=True)  # the Agents API documents no id prefix
VECTOR_STORE = Shape("vector_store", "vs_")
FILE = Shape("file", "file-")
VECTOR_STORE_FILE = Shape("vector_store.file", "file-")
ENVIRONMENT_TEMPLATE = Shape("agent.environment.template")

# query (limit, after, ...) -> the HTTP response (an httpx response: .url, .json())
Fetch = Callable[[dict[str, Any]], Any]


def read_list(
    fetch: Fetch,
    shape: Shape,
    *,
    page_size: int,
    on_page: Callable[[list[dict[str, Any]]], None] | None = None,
    hint: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Every object of a cursor-paged list, oldest first as the server orders them; on_page sees each page's
    new objects once they passed the checks.

    Stops on `has_more: false` or on an empty page (a page that only repeats the `after` id it was asked
    for, as an inclusive cursor answers, is empty); without `has_more` it follows `after` (the last id)
    until an empty page, as the SDK's cursor page does. Fails (never loops) when a page repeats another
    id already read, when `has_more: true` comes with no objects, or past MAX_PAGES pages or MAX_ITEMS
    objects.

    hint: the ids the list is expected to hold, in order (what this client listed before, with what it
    created and deleted since). The pages they predict are asked for at once (Ahead), and the list is then
    read exactly as above, page after page, each page's answer taken from those when one was asked for
    that very cursor and answered: a right hint costs the same requests in about one round trip, a wrong
    one (objects made or deleted by others) costs the predicted pages that were not followed.
    """
    ahead = Ahead(fetch, hint, page_size) if len(hint) > page_size else None
    try:
        return _read_pages(fetch, shape, page_size, on_page, ahead)
    finally:
        if ahead is not None:
            ahead.close()


class Ahead:
    """The pages a hint predicts, asked for at once (AHEAD_THREADS at a time): the first page and the page
    after every page_size-th id of the hint."""

    def __init__(self, fetch: Fetch, hint: Sequence[str], page_size: int) -> None:
        import contextvars
        from concurrent.futures import ThreadPoolExecutor

        # a list of exactly k pages ends on its k-th page (has_more: false): no page after its last id
        cursors: list[str | None] = [None, *(hint[i] for i in range(page_size - 1, len(hint) - 1, page_size))]
        self._pool = ThreadPoolExecutor(
            max_workers=min(AHEAD_THREADS, len(cursors)), thread_name_prefix="page"
        )
        context = contextvars.copy_context()
        self._pages = {
            cursor: self._pool.submit(context.copy().run, fetch, {} if cursor is None else {"after": cursor})
            for cursor in cursors
        }

    def take(self, cursor: str | None) -> Any:
        """The answer to the page after cursor, when it was asked for and came (None: ask for it now; a
        predicted page that failed is asked for again, as reading page after page would)."""
        future = self._pages.pop(cursor, None)
        if future is None:
            return None
        try:
            return future.result()
        except OrchestratorError:
            raise  # the request budget refused it: asking again would cost the bound again
        except Exception:
            return None

    def close(self) -> None:
        """Predicted pages not followed are dropped (those not yet sent are never sent)."""
        self._pool.shutdown(wait=False, cancel_futures=True)


AHEAD_THREADS = 8  # predicted pages in flight at once (as many as the kinds' listings read at once)


class Known:
    """The ids a client expects its next listing to hold, in the server's order: its last listing, then what
    it created since (a create lands after every object listed before it; among themselves by `created_at`,
    then in the order their answers came), less what it deleted. The hint of read_list; thread-safe (an
    apply writes from many threads)."""

    def __init__(self) -> None:
        import threading

        self._listed: dict[str, None] | None = None
        self._created: dict[str, int] = {}
        self._lock = threading.Lock()

    def hint(self) -> list[str]:
        with self._lock:
            if self._listed is None:
                return []
            return [*self._listed, *sorted(self._created, key=self._created.__getitem__)]

    def listed(self, items: Sequence[Mapping[str, Any]]) -> None:
        with self._lock:
            self._listed = dict.fromkeys(str(item["id"]) for item in items)
            self._created = {}

    def created(self, object_id: str, created_at: int) -> None:
        with self._lock:
            if self._listed is not None:
                self._created[object_id] = created_at

    def deleted(self, object_id: str) -> None:
        with self._lock:
            if self._listed is not None:
                self._listed.pop(object_id, None)
                self._created.pop(object_id, None)


def _read_pages(
    fetch: Fetch,
    shape: Shape,
    page_size: int,
    on_page: Callable[[list[dict[str, Any]]], None] | None,
    ahead: Ahead | None,
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    query: dict[str, Any] = {}
    url = ""
    for _ in range(MAX_PAGES):
        response = ahead.take(query.get("after")) if ahead is not None else None
        if response is None:
            response = fetch(dict(query))
        url = public_url(response)
        body = decode_json(response, url)
        raw = check_envelope(body, url)
        if len(found) + len(raw) > MAX_ITEMS:
            raise UnexpectedResponse(
                f"GET {url} listed more than {MAX_ITEMS:,} {shape.object} objects (the bound of one listing); "
                "stopped instead of reading without end"
            )
        page = [settle_times(item) for item in raw]
        for index, item in enumerate(page):
            check_object(item, shape, url, where=f"data[{index}]")
        items = page
        if items and "after" in query and items[0]["id"] == query["after"]:
            items = items[1:]  # an inclusive cursor: the page starts with the id it was asked to follow
        for item in items:
            if item["id"] in seen:
                raise UnexpectedResponse(
                    f"GET {url} listed {shape.object} {item['id']} again (already read on an earlier page or "
                    "earlier on this one): the server does not honour the `after` cursor, so the listing "
                    "cannot be trusted; stopped instead of reading the same objects forever"
                )
            seen.add(item["id"])
        found.extend(items)
        if on_page is not None and items:
            on_page(items)
        has_more = body.get("has_more")
        if has_more is not None and not isinstance(has_more, bool):
            raise UnexpectedResponse(
                f"GET {url} answered `has_more: {_kind(has_more)}`; expected true or false"
            )
        if has_more is False:
            return found
        if not items:
            if has_more:
                raise UnexpectedResponse(
                    f"GET {url} answered `has_more: true` with no objects: the rest of the list cannot be read"
                )
            return found
        query["after"] = items[-1]["id"]  # no `has_more`: the list ends on an empty page
    raise UnexpectedResponse(
        f"GET {url} still had more {shape.object} objects after {MAX_PAGES:,} pages (the bound of one listing); "
        "stopped instead of reading without end"
    )


def read_object(response: Any, shape: Shape) -> dict[str, Any]:
    """The object of a create, retrieve or update response, checked."""
    url = public_url(response)
    body = settle_times(decode_json(response, url))
    check_object(body, shape, url)
    return body


def settle_times(item: Any) -> Any:
    """An object with an ISO-8601 `created_at` (as some compatible servers write it) read as unix seconds."""
    created = item.get("created_at") if isinstance(item, Mapping) else None
    if not isinstance(created, str):
        return item
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(created)
    except ValueError:
        return item  # check_object names it
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return {**item, "created_at": int(moment.timestamp())}


def check_deleted(response: Any, shape: Shape, object_id: str) -> None:
    """A delete must answer `{id, object: "<kind>.deleted", deleted: true}`; anything else did not delete."""
    url = public_url(response)
    body = decode_json(response, url)
    if not isinstance(body, Mapping) or body.get("deleted") is not True or body.get("id") != object_id:
        raise UnexpectedResponse(
            f'DELETE {url} answered {_describe(body)}; expected {{"id": "{object_id}", '
            f'"object": "{shape.object}.deleted", "deleted": true}}: the {shape.object} may not be deleted'
        )


def check_envelope(body: Any, url: str) -> list[Any]:
    """The page's objects: `data` must be a list; `object`, when there, must say `list` (compatible servers
    leave it out, and `has_more` too, as the SDK allows); other keys are ignored."""
    if (
        not isinstance(body, Mapping)
        or body.get("object", "list") != "list"
        or not isinstance(body.get("data"), list)
    ):
        raise UnexpectedResponse(
            f"GET {url} answered {_describe(body)} instead of a list envelope "
            '({"data": [...]}, with "object": "list" and "has_more" when given); is the target\'s '
            "base_url an OpenAI-compatible API?"
        )
    return list(body["data"])


def check_object(item: Any, shape: Shape, url: str, *, where: str = "the response") -> None:
    if not isinstance(item, Mapping):
        raise UnexpectedResponse(
            f"{url}: {where} is {_describe(item)}; expected an object of type `{shape.object}`"
        )
    if item.get("object", shape.object if shape.object_optional else None) != shape.object:
        raise UnexpectedResponse(
            f"{url}: {where} has `object: {_kind(item.get('object'))}`; expected `{shape.object}`"
        )
    object_id = item.get("id")
    if (
        not isinstance(object_id, str)
        or not object_id.startswith(shape.prefix)
        or len(object_id) <= len(shape.prefix)
        or any(c.isspace() or c in "/?#" for c in object_id)
        or len(object_id) > 256
    ):
        expected = f"a string starting with `{shape.prefix}`" if shape.prefix else "a non-empty string"
        raise UnexpectedResponse(f"{url}: {where} has the id {_kind(object_id)}; expected {expected}")
    created = item.get("created_at")
    if created is not None and (isinstance(created, bool) or not isinstance(created, int)):
        raise UnexpectedResponse(
            f"{url}: {where} ({object_id}) has `created_at: {_kind(created)}`; expected unix seconds"
        )
    name = item.get("name")
    if name is not None and not isinstance(name, str):  # import makes file names of it: text only
        raise UnexpectedResponse(f"{url}: {where} ({object_id}) has `name: {_kind(name)}`; expected a string")
    tools = item.get("tools")
    for tool in tools if isinstance(tools, list) else ():
        if isinstance(tool, Mapping) and tool.get("type") == "function":
            function = tool.get("function") if isinstance(tool.get("function"), Mapping) else tool
            if not isinstance(function.get("name"), str):
                raise UnexpectedResponse(
                    f"{url}: {where} ({object_id}) has a function tool named "
                    f"{_kind(function.get('name'))}; expected a string"
                )
    metadata = item.get("metadata")
    if metadata is not None and (
        not isinstance(metadata, Mapping) or not all(isinstance(v, str) for v in metadata.values())
    ):
        raise UnexpectedResponse(f"{url}: {where} ({object_id}) has metadata that is not a map of strings")


def decode_json(response: Any, url: str) -> Any:
    try:
        return response.json()
    except ValueError:
        kind = (getattr(response, "headers", {}) or {}).get("content-type") or "no content type"
        raise UnexpectedResponse(
            f"{url} answered HTTP {getattr(response, 'status_code', '?')} with a body that is "
            f"not JSON ({kind})"
        ) from None


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
