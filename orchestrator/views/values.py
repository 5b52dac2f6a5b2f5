"""Formatting of field values shared by the human views (not by JSON, which writes values as they are)."""

from __future__ import annotations

import difflib
import json
from typing import Any

MAX_INLINE = 100


def inline(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MAX_INLINE else text[: MAX_INLINE - 3] + "..."


def is_multiline(value: Any) -> bool:
    return isinstance(value, str) and "\n" in value.strip("\n")


def unified(before: Any, after: Any, labels: tuple[str, str] = ("live", "desired")) -> list[str]:
    """A unified diff of two texts (or of two JSON values, pretty-printed)."""
    a = _lines(before)
    b = _lines(after)
    return [line.rstrip("\n") for line in difflib.unified_diff(a, b, *labels, n=2, lineterm="")]


def _lines(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.splitlines()
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


def wants_diff(before: Any, after: Any) -> bool:
    if is_multiline(before) or is_multiline(after):
        return True
    return (isinstance(before, dict | list) or isinstance(after, dict | list)) and len(inline(before)) + len(
        inline(after)
    ) > MAX_INLINE


FILE_FIELDS = {"knowledge.files.": "knowledge file", "code_files.": "code file"}


def describe_file_change(path: str, before: Any, after: Any) -> tuple[str, str] | None:
    """("+"|"~"|"-", text) for a knowledge or code file change, else None."""
    for prefix, label in FILE_FIELDS.items():
        if not path.startswith(prefix):
            continue
        name = path[len(prefix) :]
        if before is None:
            return "+", f"{label} {name} ({file_size(after)}, new)"
        if after is None:
            return "-", f"{label} {name} ({file_size(before)}, removed)"
        return "~", f"{label} {name} ({file_size(before)} -> {file_size(after)}, content changed)"
    return None


def file_size(meta: Any) -> str:
    size = meta.get("bytes") if isinstance(meta, dict) else None
    return f"{size:,} bytes" if isinstance(size, int) else "size unknown"
