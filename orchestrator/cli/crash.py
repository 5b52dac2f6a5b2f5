"""Unexpected errors: a short message on stderr, the traceback in a log file for a bug report."""

from __future__ import annotations

import os
import tempfile
import traceback

from orchestrator.cli.output import echo


def report_crash(error: BaseException) -> int:
    text = "".join(traceback.format_exception(error))
    text = redact_secrets(text)
    fd, path = tempfile.mkstemp(prefix="orchestrator-crash-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    message = redact_secrets(str(error))
    echo(f"error: unexpected {type(error).__name__}: {message}", err=True)
    echo(f"This is a bug in orchestrator; details were written to {path}", err=True)
    return 1


def redact_secrets(text: str) -> str:
    """Remove every API key found in the environment from text before it leaves the process."""
    from orchestrator.secrets import redact

    return redact(text)
