"""A tiny HTTP proxy in front of a served emulator that fails chosen requests: deterministic write
failures (the emulator's own faults are random and hit reads too) and servers that echo the key."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.loopback import LoopbackServer

# (method, path, JSON body or None, headers) -> (status, JSON body) to answer instead, or None to forward;
# a bytes body is sent as it is (text/html), to play a server that does not answer JSON
Rule = Callable[[str, str, Any, dict[str, str]], tuple[int, Any] | None]
# (method, path, status, JSON body) of a forwarded response -> the JSON body to send instead
Rewrite = Callable[[str, str, int, Any], Any]
FORWARDED = ("authorization", "content-type", "openai-beta", "accept")


class FailingProxy(LoopbackServer):
    def __init__(self, upstream_root: str, rule: Rule, rewrite: Rewrite | None = None) -> None:
        self.upstream_root = upstream_root.rstrip("/")
        self.rule = rule
        self.rewrite = rewrite
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args: object) -> None:  # quiet
                return

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                headers = {k.lower(): v for k, v in self.headers.items()}
                answer = proxy.rule(self.command, self.path.split("?", 1)[0], body, headers)
                if answer is not None:
                    status, payload = answer
                    if isinstance(payload, bytes):
                        self._reply(status, payload, {"content-type": "text/html"})
                    else:
                        self._reply(
                            status, json.dumps(payload).encode(), {"content-type": "application/json"}
                        )
                    return
                request = urllib.request.Request(
                    proxy.upstream_root + self.path,
                    data=raw or None,
                    method=self.command,
                    headers={k: v for k, v in headers.items() if k in FORWARDED},
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        payload = response.read()
                        if proxy.rewrite is not None:
                            rewritten = proxy.rewrite(
                                self.command, self.path.split("?", 1)[0], response.status, json.loads(payload)
                            )
                            payload = json.dumps(rewritten).encode()
                        self._reply(response.status, payload, dict(response.headers))
                except urllib.error.HTTPError as error:
                    self._reply(error.code, error.read(), dict(error.headers))

            def _reply(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        if name.lower() in ("content-type", "retry-after", "retry-after-ms", "x-request-id"):
                            self.send_header(name, value)
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout under test)
                    return

            do_GET = do_POST = do_DELETE = _serve

        self._listen(Handler)

    def forward(self, method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        """Send one request upstream now (from inside a rule) and return its (status, JSON body)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.upstream_root + path,
            data=data,
            method=method,
            headers={k: v for k, v in headers.items() if k in FORWARDED},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())


def error_body(message: str, status_type: str = "invalid_request_error") -> dict[str, Any]:
    return {"error": {"message": message, "type": status_type, "param": None, "code": None}}
