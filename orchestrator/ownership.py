"""Ownership metadata: who a live object belongs to and the digest of what was last applied.

Two of the API's 16 metadata keys are reserved, as kubectl reserves its last-applied annotation:
  orchestrator.owner = "<project>/<environment>/<spec>"
  orchestrator.hash  = "<digest of the full desired essence>.<digest of its readable part>"
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

OWNER_KEY = "orchestrator.owner"
HASH_KEY = "orchestrator.hash"
RESERVED_KEYS = (OWNER_KEY, HASH_KEY)
DIGEST_LENGTH = 24


@dataclass(frozen=True, slots=True)
class Owner:
    project: str
    environment: str
    spec: str

    def label(self) -> str:
        return f"{self.project}/{self.environment}/{self.spec}"


@dataclass(frozen=True, slots=True)
class Digests:
    full: str  # every field the spec sets, write-only ones included
    readable: str  # the fields the API returns, to detect drift


def parse_owner(metadata: Mapping[str, Any] | None) -> Owner | None:
    value = (metadata or {}).get(OWNER_KEY)
    if not isinstance(value, str):
        return None
    parts = value.split("/")
    if len(parts) != 3 or not all(parts):
        return None
    return Owner(*parts)


def parse_digests(metadata: Mapping[str, Any] | None) -> Digests | None:
    value = (metadata or {}).get(HASH_KEY)
    if not isinstance(value, str) or "." not in value:
        return None
    full, readable = value.split(".", 1)
    return Digests(full, readable)


def digest(value: Any) -> str:
    """Stable digest of JSON-like data: key order and whitespace never matter."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_LENGTH]


def stamp(user_metadata: Mapping[str, str], owner: Owner, digests: Digests) -> dict[str, str]:
    """User metadata plus the two ownership keys."""
    result = {k: v for k, v in user_metadata.items() if k not in RESERVED_KEYS}
    result[OWNER_KEY] = owner.label()
    result[HASH_KEY] = f"{digests.full}.{digests.readable}"
    return result


def user_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (metadata or {}).items() if k not in RESERVED_KEYS}
