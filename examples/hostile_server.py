"""A server that answers as the OpenAI API never does, for the docs' examples of the request budget.

    python examples/hostile_server.py envelope|endless|huge|trickle

serves one misbehaviour on 127.0.0.1 (a free port) to every request, prints its base_url
(`http://127.0.0.1:PORT/v1`) on stdout and runs until stopped (SIGTERM or Ctrl-C):

- `envelope`: a JSON object that is no list envelope (`{"items": []}`);
- `endless`: listing pages that say `has_more: true` forever, each with 100 new assistants;
- `huge`: a body of 40 MiB, more than the 32 MiB bound, sent without a Content-Length;
- `trickle`: the headers at once, then the body a byte every 0.5 s.

Standard library only. tests/hostile/ serves the same behaviours to the tests, measuring requests and bytes.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("envelope", "endless", "huge", "trickle")
CHUNK = 1024 * 1024
ids = itertools.count()


def assistant(index: int) -> dict:
    return {
        "id": f"asst_{index:09d}",
        "object": "assistant",
        "created_at": 1_700_000_000,
        "name": None,
        "description": None,
        "model": "gpt-5.4",
        "instructions": "x",
        "tools": [],
        "metadata": {},
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    mode = "envelope"

    def log_message(self, *args: object) -> None:
        return

    def do_GET(self) -> None:
        if self.mode == "envelope":
            self.send_json({"items": []})
        elif self.mode == "endless":
            page = [assistant(next(ids)) for _ in range(100)]
            self.send_json({"object": "list", "data": page, "has_more": True, "last_id": page[-1]["id"]})
        elif self.mode == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b'{"object": "list", "data": [], "padding": "')
            for _ in range(40):
                self.wfile.write(b"x" * CHUNK)
        else:
            body = json.dumps({"object": "list", "data": [], "has_more": False}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.5)

    do_POST = do_DELETE = do_GET

    def send_json(self, value: object) -> None:
        body = json.dumps(value).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        return  # a client that hung up on a hostile answer is the point, not an error to print


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in MODES:
        sys.stderr.write(__doc__ or "")
        return 2
    Handler.mode = argv[0]
    server = QuietServer(("127.0.0.1", 0), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.stdout.write(f"http://127.0.0.1:{server.server_address[1]}/v1\n")
    sys.stdout.flush()
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C stops it quietly
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
