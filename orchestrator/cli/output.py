"""The one way the CLI writes to a terminal, a pipe or a log: every text passes the run's redactor and has
its control characters escaped (secrets.shown) before it is written. Data goes to stdout, diagnostics and
progress to stderr. `click.echo` and `print` are banned elsewhere (ruff TID251, T201 in pyproject.toml)."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import click

from orchestrator.secrets import shown

LINE_LIMIT = 64 * 1024


def echo(message: str = "", *, err: bool = False, nl: bool = True, styled: bool = False) -> None:
    """Write message (redacted and escaped); styled keeps the views' colour codes, nothing else."""
    click.echo(shown(message, styled=styled), err=err, nl=nl)  # noqa: TID251  (the one output path)


@contextmanager
def redacted_descriptor(fd: int = 2) -> Iterator[None]:
    """Route every byte written to descriptor fd (by anyone: a handler's thread, a C library, `os.write`)
    through a pipe whose reader redacts and escapes it line by line before the real descriptor gets it.
    For `orchestrator mcp` on stdio, whose SDK diverts fd 1 to fd 2: its stderr is the client's log."""
    real = os.dup(fd)
    reader, writer = os.pipe()
    os.dup2(writer, fd)
    os.close(writer)
    pump = threading.Thread(target=_pump, args=(reader, real), name=f"redact-fd{fd}", daemon=True)
    pump.start()
    try:
        yield
    finally:
        with suppress(Exception):
            sys.stderr.flush()
        os.dup2(real, fd)  # closes the pipe's last write end here: the pump reads to its end and stops
        pump.join(timeout=2)
        os.close(real)


def _pump(reader: int, real: int) -> None:
    pending = b""
    with os.fdopen(reader, "rb", buffering=0) as source:
        while chunk := source.read(LINE_LIMIT):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if len(pending) >= LINE_LIMIT:  # a line without end: shown in parts
                lines.append(pending)
                pending = b""
            for line in lines:
                _write_all(real, shown(line.decode("utf-8", "replace")).encode("utf-8") + b"\n")
    if pending:
        _write_all(real, shown(pending.decode("utf-8", "replace")).encode("utf-8") + b"\n")


def _write_all(fd: int, data: bytes) -> None:
    with suppress(OSError):
        while data:
            data = data[os.write(fd, data) :]
