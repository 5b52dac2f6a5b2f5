"""Hostile HTTP servers on loopback (issue 25, item 2): each plays one way a server can try to keep the CLI
reading forever, and counts what it sent, so tests assert on requests and bytes rather than on time.

    python -m tests.hostile.servers endless|huge|huge-declared|trickle|trickle-headers
serves one on 127.0.0.1 (its base_url is printed) until interrupted, to measure the CLI by hand.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.loopback import LoopbackServer

CHUNK = 1024 * 1024


def assistant(index: int) -> dict[str, Any]:
    return {
        "id": f"asst_{index:09d}",
        "object": "assistant",
        "created_at": 1_700_000_000,
        "name": None,
        "description": None,
        "model": "gpt-5.4",
        "instructions": "x" * 200,
        "tools": [],
        "metadata": {},
    }


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a client that hung up on a hostile answer is what the tests want, not an error to print


class HostileServer(LoopbackServer):
    """One behaviour for every request: `endless` (has_more: true forever, always new ids), `huge` (a body
    of `size` bytes, without Content-Length), `huge-declared` (the same, declared up front), `trickle`
    (headers at once, then the body a byte every `interval` s) or `trickle-headers` (the headers so); only
    requests of `methods` are counted and answered so."""

    def __init__(
        self,
        behaviour: str,
        *,
        size: int = 700 * CHUNK,
        interval: float = 0.2,
        per_page: int = 100,
        methods: tuple[str, ...] = ("GET", "POST", "DELETE"),
    ) -> None:
        self.per_page = per_page
        self.methods = methods  # requests of other methods are answered an empty list
        self.behaviour = behaviour
        self.size = size
        self.interval = interval
        self.requests = 0
        self.bytes_sent = 0
        self._ids = itertools.count()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return

            def do_GET(self) -> None:
                if self.command not in server.methods:
                    server._json(self, {"object": "list", "data": [], "has_more": False})
                    return
                with server._lock:
                    server.requests += 1
                try:
                    getattr(server, "_" + server.behaviour.replace("-", "_"))(self)
                except (BrokenPipeError, ConnectionResetError, TimeoutError):
                    self.close_connection = True  # the client gave up: what the test wants

            do_POST = do_DELETE = do_GET

        self._listen(Handler, _QuietServer)

    def _count(self, sent: int) -> None:
        with self._lock:
            self.bytes_sent += sent

    def _endless(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            first = next(self._ids) * self.per_page
        page = {
            "object": "list",
            "data": [assistant(first + i) for i in range(self.per_page)],
            "has_more": True,
        }
        self._json(handler, page)

    def _huge(self, handler: BaseHTTPRequestHandler, declared: bool = False) -> None:
        handler.send_response(200)
        handler.send_header("content-type", "application/json")
        if declared:
            handler.send_header("content-length", str(self.size))
        else:
            handler.send_header("connection", "close")  # the body ends when the connection does
            handler.close_connection = True
        handler.end_headers()
        handler.wfile.write(b'{"object": "list", "data": [], "padding": "')
        block = b"x" * CHUNK
        sent = 0
        while sent < self.size:
            handler.wfile.write(block)
            sent += len(block)
            self._count(len(block))

    def _huge_declared(self, handler: BaseHTTPRequestHandler) -> None:
        self._huge(handler, declared=True)

    def _trickle(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(10**6))
        handler.end_headers()
        handler.wfile.flush()
        while True:
            handler.wfile.write(b" ")
            handler.wfile.flush()
            self._count(1)
            time.sleep(self.interval)

    def _trickle_headers(self, handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        while True:
            handler.wfile.write(b"x-padding: .\r\n")
            handler.wfile.flush()
            self._count(1)
            time.sleep(self.interval)

    @staticmethod
    def _json(handler: BaseHTTPRequestHandler, body: Any) -> None:
        payload = json.dumps(body).encode()
        head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(payload)}\r\n\r\n"
        handler.wfile.write(head.encode() + payload)  # one write: no wait for a delayed ACK between the two


if __name__ == "__main__":
    import sys

    with HostileServer(sys.argv[1]) as hostile:
        print(hostile.base_url, flush=True)
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            print(f"{hostile.requests} requests, {hostile.bytes_sent:,} bytes sent")
