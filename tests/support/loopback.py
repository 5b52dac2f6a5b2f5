"""An HTTP server on 127.0.0.1 (port 0) that serves from a daemon thread for the length of a `with` block.

The base of the test servers that stand in front of, or instead of, the emulator (tests/support/proxy.py,
tests/support/loose.py, tests/hostile/servers.py): each brings its request handler, this brings the
socket, the thread, base_url and a clean shutdown.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self


class LoopbackServer:
    _server: ThreadingHTTPServer
    _thread: threading.Thread

    def _listen(
        self,
        handler: type[BaseHTTPRequestHandler],
        server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer,
    ) -> None:
        """Bind a free loopback port now (base_url is known before the `with`); serve once entered."""
        self._server = server_class(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
