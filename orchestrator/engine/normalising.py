"""Pure helpers to canonicalise API values so that equivalent forms compare equal."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def canonical(value: Any) -> Any:
    """Plain JSON data: mappings become dicts, tuples lists, integral floats stay numbers."""
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return float(value)
    return value


def number(value: Any) -> Any:
    """1 and 1.0 compare equal; keep floats as floats so JSON output is stable."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return round(float(value), 10)
    return value
