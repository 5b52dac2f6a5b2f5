"""Request bodies: size limits checked while streaming, JSON parsing, multipart forms.

A body is refused with 413 as soon as its declared `Content-Length` or the bytes received so
far pass the endpoint's limit, so an oversized body is never held in memory. Uploads to
`/v1/files` may be as large as the API's file limit (512 MB); JSON bodies far less. A file part
stays where the form parser spooled it (disk past 1 MB) and is read in chunks.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import IO, Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from orchestrator.emulator.errors import ApiError

# python-multipart before 0.0.19 warns "Skipping data after last boundary" on bodies the SDK sends (a
# trailing CRLF): with no logging configured, Python prints that on the stderr of whatever embeds the
# emulator (the `local` target runs it in-process), so every upload showed it. Its real errors raise.
logging.getLogger("python_multipart").setLevel(logging.ERROR)
logging.getLogger("multipart").setLevel(logging.ERROR)

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]

MIB = 1024 * 1024
FILE_LIMIT_BYTES = 512 * MIB  # "Size limits: 512 MB per file" (the Files API)
# Above the largest valid request with room to spare: an inline agent's tools may take 8 MiB of compact
# UTF-8 JSON (openai 3.63), sent with instructions and the rest of the session; a client that escapes
# non-ASCII text as \uXXXX may need up to twice that for the same tools.
JSON_LIMIT_BYTES = 32 * MIB
FORM_ALLOWANCE_BYTES = MIB  # multipart boundaries, part headers and the small fields beside the file
MAX_JSON_DEPTH = 100
INVALID_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
    "HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)"
)


@dataclass(frozen=True, slots=True)
class BodyLimits:
    json_bytes: int = JSON_LIMIT_BYTES
    file_bytes: int = FILE_LIMIT_BYTES

    @property
    def upload_bytes(self) -> int:
        return self.file_bytes + FORM_ALLOWANCE_BYTES


@dataclass(frozen=True, slots=True)
class Upload:
    """One file part of a multipart form, open for reading until the request is answered."""

    filename: str
    size: int
    file: IO[bytes]


def too_large(limit: int, what: str = "Request body") -> ApiError:
    return ApiError(
        413,
        f"{what} too large: the limit for this endpoint is {limit} bytes ({limit / MIB:g} MiB).",
        code="request_too_large",
    )


def declared_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, "Invalid Content-Length header.") from None


def limit_receive(receive: Receive, limit: int) -> Receive:
    """`receive` that raises 413 once more than `limit` body bytes have arrived (chunked bodies too)."""
    seen = 0

    async def limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise too_large(limit)
        return message

    return limited


def limited_request(request: Request, receive: Receive, limit: int) -> Request:
    """The same request, read through a size limit; a declared length over it is refused unread."""
    length = declared_length(request)
    if length is not None and length > limit:
        raise too_large(limit)
    return Request(request.scope, limit_receive(receive, limit))


async def read_body(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
    return bytes(body)


def reject_constant(name: str) -> Any:
    raise ValueError(name)


def deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels (walked level by level, no recursion)."""
    level = [value] if isinstance(value, dict | list) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        below: list[Any] = []
        for item in level:
            children = item.values() if isinstance(item, dict) else item
            below += [child for child in children if isinstance(child, dict | list)]
        level = below
    return False


def parse_json(raw: bytes) -> Any:
    """The JSON body; None when there is none (handlers that need one answer 400).

    A literal `null` is not "no body": it is a body of the wrong type.
    """
    if not raw.strip():
        return None
    too_deep = ApiError(
        400,
        f"Invalid body: JSON nested more than {MAX_JSON_DEPTH} levels deep.",
        code="invalid_json",
    )
    try:
        value = json.loads(raw, parse_constant=reject_constant)
    except RecursionError:
        raise too_deep from None
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, INVALID_JSON) from None
    if value is None:
        raise ApiError(400, "Invalid type for body: expected an object, but got null instead.")
    if deeper_than(value, MAX_JSON_DEPTH):
        raise too_deep
    if LONE_SURROGATE_ESCAPE.search(raw) and holds_lone_surrogate(value):
        # `"\ud800"` parses, but is no Unicode text: stored, it could never be answered again as UTF-8
        raise ApiError(
            400,
            "Invalid body: a string holds an unpaired UTF-16 surrogate (\\ud800-\\udfff).",
            code="invalid_json",
        )
    return value


LONE_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def holds_lone_surrogate(value: Any) -> bool:
    """Whether any key or string below value holds a surrogate code point (walked without recursion)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if any("\ud800" <= char <= "\udfff" for char in item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


@contextlib.asynccontextmanager
async def open_form(request: Request, limits: BodyLimits) -> AsyncIterator[dict[str, Any]]:
    """The multipart fields, files as `Upload`s of at most the file limit, closed on exit."""
    try:
        parsed = await request.form(max_files=10, max_fields=100)
    except ApiError:
        raise
    except Exception:
        raise ApiError(400, "Could not parse the multipart form body.") from None
    try:
        form: dict[str, Any] = {}
        for key, value in parsed.multi_items():
            if isinstance(value, UploadFile):
                size = value.size or 0
                if size > limits.file_bytes:
                    raise too_large(limits.file_bytes, "File")
                await value.seek(0)
                form[key] = Upload(value.filename or "upload", size, value.file)
            else:
                form[key] = value
        yield form
    finally:
        await parsed.close()
