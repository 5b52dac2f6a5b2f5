"""Run the emulator: `EmulatorServer` in a background thread (tests, the `local` target) or
`serve_forever` in the foreground (`orchestrator serve`).

The listening socket is bound here before uvicorn starts, so port 0 yields a known ephemeral
port with no race, and a client may connect as soon as `start()` returns. Binding anything but
loopback needs an API key (or an explicit `insecure=True`): the emulator holds whatever it was sent.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from types import FrameType, TracebackType

import uvicorn

from orchestrator.emulator.app import EmulatorApp, quiet_dropped_responses
from orchestrator.emulator.bodies import BodyLimits
from orchestrator.emulator.context import Context
from orchestrator.emulator.faults import FaultInjector, FaultSettings, check_settings
from orchestrator.emulator.store import Store

START_TIMEOUT_S = 10.0


class QuietServer(uvicorn.Server):
    """A uvicorn server that stops on SIGINT/SIGTERM without re-raising the signal afterwards."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self.on_started = on_started

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.should_exit = True

    def stop_soon(self) -> None:
        """Ask the server to stop now, from any thread: its main loop wakes at once instead of at its next
        0.1 s poll (what made every `local` command wait about 0.175 s at exit)."""
        self.should_exit = True
        loop, wake = getattr(self, "_loop", None), getattr(self, "_wake", None)
        if loop is not None and wake is not None:
            with suppress(RuntimeError):  # the loop has already closed
                loop.call_soon_threadsafe(wake.set)

    async def main_loop(self) -> None:
        """uvicorn's loop (a tick a 0.1 s for the date header and exit checks), woken by stop_soon."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)
            should_exit = await self.on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's graceful shutdown, polling every 5 ms instead of 100 ms: stop accepting, ask every
        connection to close after its response, wait for them (at most timeout_graceful_shutdown), then
        cancel what is left."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        deadline = time.monotonic() + (self.config.timeout_graceful_shutdown or 0)
        while (
            (self.server_state.connections or self.server_state.tasks)
            and not self.force_exit
            and time.monotonic() < deadline
        ):
            await asyncio.sleep(0.005)
        for task in self.server_state.tasks:
            task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
        if not self.force_exit:
            await self.lifespan.shutdown()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.on_started is not None and not self.should_exit:
            self.on_started()


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, api_key: str | None, *, insecure: bool) -> None:
    """Refuse to serve other machines without a key, unless told it is meant."""
    if api_key is None and not insecure and not is_loopback(host):
        raise ValueError(
            f"refusing to serve on {host or 'every interface'} without an API key: anyone who can reach it "
            "could read and change everything it holds; set a key (--api-key-env NAME or "
            "$ORCHESTRATOR_EMULATOR_API_KEY), or pass --insecure if this is really meant"
        )


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only then (else +40 ms a reply).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def make_settings(
    latency_ms: int,
    fault_rate: float,
    seed: int | None,
    ingest_ms: int,
    attach_race_ms: int,
    model_stand_in: int | None = None,
) -> FaultSettings:
    settings = FaultSettings(latency_ms, fault_rate, seed, ingest_ms, attach_race_ms, model_stand_in)
    problems = check_settings(settings)
    if problems:
        raise ValueError("; ".join(problems))
    return settings


def make_config(app: EmulatorApp, *, log_requests: bool) -> uvicorn.Config:
    quiet_dropped_responses()
    return uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="off",
        loop="asyncio",
        http="h11",
        ws="none",
        timeout_keep_alive=30,
        timeout_graceful_shutdown=2,
        log_level="info" if log_requests else "warning",
    )


class EmulatorServer:
    """A local OpenAI-compatible server on its own thread; usable as a context manager."""

    def __init__(
        self,
        db_path: str | os.PathLike[str],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        latency_ms: int = 0,
        fault_rate: float = 0.0,
        seed: int | None = None,
        ingest_ms: int = 0,
        attach_race_ms: int = 0,
        log_requests: bool = False,
        limits: BodyLimits | None = None,
        max_db_bytes: int | None = None,
        insecure: bool = False,
        model_stand_in: int | None = None,
    ) -> None:
        check_exposure(host, api_key, insecure=insecure)
        self.db_path = db_path
        self.host = host
        self.api_key = api_key
        self.log_requests = log_requests
        self.limits = limits
        self.max_db_bytes = max_db_bytes
        self.settings = make_settings(latency_ms, fault_rate, seed, ingest_ms, attach_race_ms, model_stand_in)
        self._socket = bind_socket(host, port)
        self._port = int(self._socket.getsockname()[1])
        self._store: Store | None = None
        self._server: QuietServer | None = None
        self._thread: threading.Thread | None = None
        self.app: EmulatorApp | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def root_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._port}"

    @property
    def base_url(self) -> str:
        return self.root_url + "/v1"

    def start(self) -> EmulatorServer:
        """Start serving and return once the server accepts requests (StoreError: unusable database)."""
        if self._thread is not None:
            return self
        try:
            self._store = Store(self.db_path, max_bytes=self.max_db_bytes)
        except Exception:
            self._socket.close()
            raise
        context = Context(self._store, FaultInjector(self.settings))
        self.app = EmulatorApp(
            context,
            api_key=self.api_key,
            log_requests=self.log_requests,
            limits=self.limits,
            bound_host=self.host,
        )
        started = threading.Event()
        self._server = QuietServer(make_config(self.app, log_requests=self.log_requests), started.set)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"emulator-{self._port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not started.wait(0.005):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the emulator did not start on {self.root_url}")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop_soon()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._socket.close()
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve_forever(
    db_path: str | os.PathLike[str],
    host: str = "127.0.0.1",
    port: int = 8765,
    api_key: str | None = None,
    latency_ms: int = 0,
    fault_rate: float = 0.0,
    seed: int | None = None,
    ingest_ms: int = 0,
    attach_race_ms: int = 0,
    ready: Callable[[str], None] | None = None,
    *,
    log_requests: bool = False,
    max_db_bytes: int | None = None,
    insecure: bool = False,
    model_stand_in: int | None = None,
) -> None:
    """Serve in the foreground until SIGINT or SIGTERM; `ready` gets the base URL once listening.

    ValueError: bad settings or an exposed host without a key; StoreError: unusable database;
    OSError: the address cannot be bound.
    """
    check_exposure(host, api_key, insecure=insecure)
    settings = make_settings(latency_ms, fault_rate, seed, ingest_ms, attach_race_ms, model_stand_in)
    store = Store(db_path, max_bytes=max_db_bytes)
    try:
        sock = bind_socket(host, port)
    except OSError:
        store.close()
        raise
    bound_port = int(sock.getsockname()[1])
    shown_host = f"[{host}]" if ":" in host else host
    base_url = f"http://{shown_host}:{bound_port}/v1"
    try:
        app = EmulatorApp(
            Context(store, FaultInjector(settings)),
            api_key=api_key,
            log_requests=log_requests,
            bound_host=host,
        )
        server = QuietServer(
            make_config(app, log_requests=log_requests),
            (lambda: ready(base_url)) if ready is not None else None,
        )
        server.run(sockets=[sock])
    finally:
        sock.close()
        store.close()
