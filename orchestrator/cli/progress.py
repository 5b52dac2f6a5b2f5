"""Say what a long wait waits for, on a terminal only: one status line on stderr, redrawn in place.

Quiet when stderr is not a terminal (CI logs, pipes) and for waits shorter than a moment, so fast
runs print exactly what they printed before. The openai SDK's own retries are shown on that line
("retry 2 of 3 in 0.8 s") by listening to the SDK's logger while the wait lasts.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import IO

from orchestrator.secrets import escape_line, shown

FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
SDK_LOGGER = "openai._base_client"


class Activity:
    """`with Activity("reading live state of target prod"):` shows a spinner and the elapsed time."""

    def __init__(
        self,
        message: str,
        *,
        stream: IO[str] | None = None,
        enabled: bool | None = None,
        delay: float = 0.4,
        interval: float = 0.1,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _is_terminal(self.stream) if enabled is None else enabled
        self.message = message
        self.detail = ""
        self.delay = delay
        self.interval = interval
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._shown = False
        self._started = 0.0
        self._handler: _RetryHandler | None = None
        self._level: int | None = None

    def __enter__(self) -> Activity:
        if not self.enabled:
            return self
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._spin, name="activity", daemon=True)
        self._thread.start()
        logger = logging.getLogger(SDK_LOGGER)
        self._handler = _RetryHandler(self)
        self._level = logger.level
        logger.addHandler(self._handler)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self.enabled:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        logger = logging.getLogger(SDK_LOGGER)
        if self._handler is not None:
            logger.removeHandler(self._handler)
        if self._level is not None:
            logger.setLevel(self._level)
        with self._lock:
            self._clear()

    def update(self, message: str) -> None:
        """Change what the line says (e.g. from another thread: 'waiting for ingestion of 3 files')."""
        with self._lock:
            self.message, self.detail = message, ""

    def note(self, detail: str) -> None:
        """A passing detail after the message, such as a retry."""
        with self._lock:
            self.detail = detail

    def say(self, text: str) -> None:
        """Print a whole line above the status line (the line is redrawn on the next tick)."""
        with self._lock:
            self._clear()
            self.stream.write(shown(text) + "\n")
            self.stream.flush()

    @contextmanager
    def cleared(self) -> Iterator[None]:
        """Write lines of your own (to any stream) while the status line is off the screen."""
        with self._lock:
            self._clear()
            yield

    def _spin(self) -> None:
        frame = 0
        while not self._stop.wait(self.interval):
            elapsed = time.monotonic() - self._started
            if elapsed < self.delay:
                continue
            with self._lock:
                detail = f"; {self.detail}" if self.detail else ""
                status = escape_line(shown(f"{self.message}{detail}"))  # the line's own codes only
                self.stream.write(f"\r\x1b[K{FRAMES[frame % len(FRAMES)]} {status} ({elapsed:.0f} s)")
                self.stream.flush()
                self._shown = True
            frame += 1

    def _clear(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False


class _RetryHandler(logging.Handler):
    """Turns the SDK's 'Retrying request in 0.8 seconds (retry 2 of 3)' into the status line's detail."""

    def __init__(self, activity: Activity) -> None:
        super().__init__(logging.INFO)
        self.activity = activity

    def emit(self, record: logging.LogRecord) -> None:
        if not str(record.msg).startswith("Retrying request"):
            return
        args = record.args if isinstance(record.args, tuple) else ()
        if len(args) >= 3:
            self.activity.note(f"retry {args[1]} of {args[2]} in {float(args[0]):.1f} s")
        else:
            self.activity.note("retrying")


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
