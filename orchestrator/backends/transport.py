"""The HTTP client every openai SDK client of a run is built on, holding each request to the budget.

The SDK reads a whole response body into memory and restarts its read timeout at every byte, so a
hostile server could answer with gigabytes or trickle an answer forever. Here each request (of every
client made from Connection: assistants, agents, files, vector stores, the runtime's conversations,
and their `with_options` copies, which share this client) is bounded:

- its response body is counted as it streams in and refused past MAX_RESPONSE_BYTES (a declared
  `Content-Length` past it is refused before any of the body is read);
- the whole exchange (connect, send, headers, body) must end within a deadline: the target's timeout,
  plus UPLOAD_SECONDS_PER_MIB per MiB of request body. Every socket read and write waits at most
  what is left of it, so a server that trickles its headers or body is cut at the deadline.

Crossing a bound is a BudgetExceeded naming the method, URL and bound. A body too large is an
openai.OpenAIError, which the SDK passes on as it is rather than retrying (the same server would answer
the same way). A deadline passed is also the HTTP library's own timeout (`late`), so it is what a read
timeout always was: the SDK retries it up to the target's `max_retries` and then raises APITimeoutError
from it (describe_error shows this message), and apply treats the request as one that may have landed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import openai

from orchestrator.backends.budget import MAX_RESPONSE_BYTES, UPLOAD_SECONDS_PER_MIB
from orchestrator.errors import OrchestratorError

_current = threading.local()  # .deadline: the monotonic time the request on this thread must end by


class BudgetExceeded(OrchestratorError, openai.OpenAIError):
    """A response crossed the request budget (too large, or not done by the deadline)."""

    def __init__(self, message: str) -> None:
        from orchestrator.secrets import redact

        super().__init__(redact(message))


def budgeted_http_client(*, timeout: float, max_response_bytes: int = MAX_RESPONSE_BYTES) -> Any:
    """The SDK's own default HTTP client (its connection limits, proxies and TLS settings), every transport
    of it (the direct one and any proxy's from the environment) held to the budget."""
    client = openai.DefaultHttpxClient()
    client._transport = Budgeted(client._transport, timeout, max_response_bytes)
    client._mounts = {
        pattern: None if inner is None else Budgeted(inner, timeout, max_response_bytes)
        for pattern, inner in client._mounts.items()
    }
    return client


class Budgeted:
    """An httpx transport that holds each request to the deadline and the response size bound."""

    def __init__(self, inner: Any, timeout: float, max_response_bytes: int) -> None:
        self._inner = inner
        self._timeout = timeout
        self._max_bytes = max_response_bytes
        self._httpx = _module_of(inner)
        self._stream = _bounded_stream_class(self._httpx)
        _cap_network_backend(inner)

    def handle_request(self, request: Any) -> Any:
        upload = int(request.headers.get("content-length") or 0)
        allowed = self._timeout + UPLOAD_SECONDS_PER_MIB * upload / 1024**2
        deadline = time.monotonic() + allowed
        where = _Where(request, upload > 0)
        with _Deadline(deadline):
            try:
                response = self._inner.handle_request(request)
            except self._httpx.TimeoutException:
                if time.monotonic() >= deadline:
                    raise _late(where, allowed) from None
                raise
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self._max_bytes:
            response.close()
            raise _too_large(where, self._max_bytes, f"declared {int(declared):,} bytes")
        response.stream = self._stream(
            response.stream, where, deadline, allowed, self._max_bytes, self._httpx
        )
        return response

    def close(self) -> None:
        self._inner.close()

    def __enter__(self) -> Budgeted:
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._inner.__exit__(*exc)


def _bounded_stream_class(httpx: Any) -> Any:
    """A response body stream (of httpx or httpx2) that stops at the size bound and at the deadline."""

    class BoundedStream(httpx.SyncByteStream):  # type: ignore[misc]
        def __init__(
            self, inner: Any, where: _Where, deadline: float, allowed: float, max_bytes: int, module: Any
        ) -> None:
            self._inner, self._where, self._deadline, self._allowed = inner, where, deadline, allowed
            self._max_bytes, self._timeout_error = max_bytes, module.TimeoutException

        def __iter__(self) -> Iterator[bytes]:
            read = 0
            chunks = iter(self._inner)
            while True:
                with _Deadline(self._deadline):
                    try:
                        chunk = next(chunks)
                    except StopIteration:
                        return
                    except self._timeout_error:
                        if time.monotonic() >= self._deadline:
                            raise _late(self._where, self._allowed) from None
                        raise
                read += len(chunk)
                if read > self._max_bytes:
                    raise _too_large(self._where, self._max_bytes, "more was sent")
                if time.monotonic() >= self._deadline:
                    raise _late(self._where, self._allowed)
                yield chunk

        def close(self) -> None:
            self._inner.close()

    return BoundedStream


class _Deadline:
    """The deadline of the request this thread works on, while it works on it."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def __enter__(self) -> None:
        self.outer = getattr(_current, "deadline", None)
        _current.deadline = self.deadline

    def __exit__(self, *exc: Any) -> None:
        _current.deadline = self.outer


def _left(timeout: float | None) -> float | None:
    """A socket operation's timeout, cut to what is left of the current request's deadline."""
    deadline = getattr(_current, "deadline", None)
    if deadline is None:
        return timeout
    left = max(deadline - time.monotonic(), 0.001)  # 0 would make the socket non-blocking, not time out
    return left if timeout is None else min(timeout, left)


class _DeadlineStream:
    """A connection whose every read and write waits at most what is left of the request's deadline."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> Any:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _left(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend:
    """The network backend of a connection pool, its connections held to the request deadline."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> Any:
        return _DeadlineStream(
            self._inner.connect_tcp(host, port, _left(timeout), local_address, socket_options)
        )

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> Any:
        return _DeadlineStream(self._inner.connect_unix_socket(path, _left(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _cap_network_backend(transport: Any) -> None:
    """Socket reads and writes of the transport's pool wait at most what is left of the deadline. Without a
    pool to reach (another transport), the deadline is still checked between the body's chunks."""
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is not None and not isinstance(backend, _DeadlineBackend):
        pool._network_backend = _DeadlineBackend(backend)


def _module_of(transport: Any) -> Any:
    """httpx or httpx2, whichever the SDK's client is built on."""
    import importlib

    return importlib.import_module(type(transport).__module__.partition(".")[0])


class _Where:
    """`METHOD URL` of a request, written out only when an error names it (not on every request)."""

    def __init__(self, request: Any, uploads: bool) -> None:
        self.request = request
        self.uploads = uploads

    def __str__(self) -> str:
        return f"{self.request.method} {_public_url(self.request.url)}"


def _public_url(url: Any) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(str(url))
    return urlunsplit((parts.scheme, parts.netloc.rsplit("@", 1)[-1], parts.path, parts.query, ""))


def _too_large(where: _Where, bound: int, detail: str) -> BudgetExceeded:
    return BudgetExceeded(
        f"{where} answered with a body over the bound of {bound:,} bytes ({detail}); stopped reading it"
    )


def _late(where: _Where, allowed: float) -> BudgetExceeded:
    uploaded = f", plus {UPLOAD_SECONDS_PER_MIB:g} s per MiB it uploads" if where.uploads else ""
    seconds = f"{allowed:,.0f}" if allowed >= 10 else f"{allowed:.2g}"
    message = (
        f"{where} was not answered in full within its deadline of {seconds} s (the target's "
        f"`timeout`, for the whole request{uploaded}); stopped waiting for it"
    )
    return _deadline_class(_module_of_request(where.request))(message, request=where.request)


_DEADLINE_CLASSES: dict[str, type] = {}


def _deadline_class(httpx: Any) -> type:
    """DeadlineExceeded for one HTTP library: a BudgetExceeded that is also its ReadTimeout (retried by the SDK)."""
    found = _DEADLINE_CLASSES.get(httpx.__name__)
    if found is None:

        class DeadlineExceeded(httpx.ReadTimeout, BudgetExceeded):  # type: ignore[misc, name-defined]
            def __init__(self, message: str, *, request: Any = None) -> None:
                from orchestrator.secrets import redact

                httpx.ReadTimeout.__init__(self, redact(message), request=request)

        found = _DEADLINE_CLASSES[httpx.__name__] = DeadlineExceeded
    return found


def _module_of_request(request: Any) -> Any:
    import importlib

    return importlib.import_module(type(request).__module__.partition(".")[0])
