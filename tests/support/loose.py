"""A held-out third-party server: the emulator behind a proxy that speaks the protocol as loosely as the openai
SDK tolerates, the way geki-apipi 0.15 does (issue 24, item 4).

- every list envelope is only `{"data": [...]}` (no `object`, `has_more`, `first_id` or `last_id`);
- lists are paged by at most `page_cap` objects whatever `limit` asks (a short page is not the last one);
- every JSON object it answers carries keys the API does not document.

It counts the list requests it answered, by path, so tests see that listings end.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.loopback import LoopbackServer

FORWARDED = ("authorization", "content-type", "openai-beta", "accept", "openai-organization")
UNKNOWN = {"geki_shard": "eu-1", "geki_flags": {"beta": True}}


def loosen(body: Any) -> Any:
    """The body as the loose server writes it."""
    if isinstance(body, dict) and isinstance(body.get("data"), list) and body.get("object") == "list":
        return {"data": [loosen(item) for item in body["data"]]}
    if isinstance(body, dict) and "id" in body:
        return {**body, **UNKNOWN}
    return body


class LooseServer(LoopbackServer):
    def __init__(self, upstream_root: str, *, page_cap: int = 2) -> None:
        self.upstream_root = upstream_root.rstrip("/")
        self.page_cap = page_cap
        self.lists: Counter[str] = Counter()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args: object) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else None
                path = server._capped(self.path) if self.command == "GET" else self.path
                headers = {k: v for k, v in self.headers.items() if k.lower() in FORWARDED}
                request = urllib.request.Request(
                    server.upstream_root + path, data=raw, method=self.command, headers=headers
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        status, payload, kind = (
                            response.status,
                            response.read(),
                            response.headers.get("content-type"),
                        )
                except urllib.error.HTTPError as error:
                    status, payload, kind = error.code, error.read(), error.headers.get("content-type")
                if status == 200 and (kind or "").startswith("application/json"):
                    body = json.loads(payload)
                    if isinstance(body, dict) and body.get("object") == "list":
                        with server._lock:
                            server.lists[self.path.split("?", 1)[0]] += 1
                    payload = json.dumps(loosen(body)).encode()
                self.send_response(status)
                self.send_header("content-type", kind or "application/octet-stream")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = _serve

        self._listen(Handler)

    def _capped(self, path: str) -> str:
        """The request with `limit` cut to page_cap (a server that pages by fewer than asked)."""
        parts = urllib.parse.urlsplit(path)
        query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        if not any(key == "limit" for key, _ in query):
            return path
        query = [
            (key, str(min(int(value), self.page_cap)) if key == "limit" and value.isdigit() else value)
            for key, value in query
        ]
        return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
