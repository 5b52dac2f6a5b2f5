"""Keep API keys out of every output: messages, logs, events and plan files."""

from __future__ import annotations

import os
import re

_KEY_LIKE = re.compile(r"\b(sk-[A-Za-z0-9_\-]{8,})")
_registered: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret read from the environment so that redact() can strip it."""
    if value and len(value) >= 4:
        _registered.add(value)


def redact(text: str) -> str:
    for secret in sorted(_registered, key=len, reverse=True):
        text = text.replace(secret, "***")
    for name, value in os.environ.items():
        if value and len(value) >= 8 and ("KEY" in name or "TOKEN" in name or "SECRET" in name):
            text = text.replace(value, "***")
    return _KEY_LIKE.sub("sk-***", text)
