"""Ownership metadata: who a live object belongs to and the digest of what was last applied.

Two of the API's 16 metadata keys are reserved, as kubectl reserves its last-applied annotation:
  orchestrator.owner = "<project>/<environment>/<spec>"
  orchestrator.hash  = "<digest of the full desired essence>.<digest of its readable part>;claim=<token>"

The claim token (optional, written by the create that made the object) names the apply run that
created it, so a later listing tells the object this run made from one another run made at the
same time. It lives inside the hash value: no third metadata slot, and an older orchestrator that
does not know it reads a drift (and re-stamps), never a foreign owner.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

OWNER_KEY = "orchestrator.owner"
HASH_KEY = "orchestrator.hash"
RESERVED_KEYS = (OWNER_KEY, HASH_KEY)
DIGEST_LENGTH = 24
CLAIM_MARK = ";claim="
CLAIM_PATTERN = re.compile(r"^[0-9a-f]{8,64}$")
MAX_VALUE_LENGTH = 512  # the API's limit for one metadata value


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
    if not isinstance(value, str):
        return None
    value = value.split(CLAIM_MARK, 1)[0]
    if "." not in value:
        return None
    full, readable = value.split(".", 1)
    return Digests(full, readable)


def parse_claim(metadata: Mapping[str, Any] | None) -> str | None:
    """The claim token of the apply run that created the object, if it wrote one."""
    value = (metadata or {}).get(HASH_KEY)
    if not isinstance(value, str) or CLAIM_MARK not in value:
        return None
    token = value.split(CLAIM_MARK, 1)[1]
    return token if CLAIM_PATTERN.match(token) else None


def new_claim() -> str:
    """A fresh claim token for one apply run (64 random bits: two runs never share one)."""
    return secrets.token_hex(8)


def with_claim(metadata: Mapping[str, str], claim: str) -> dict[str, str]:
    """The metadata a create sends: the ownership stamp with this run's claim token in the hash value."""
    if not CLAIM_PATTERN.match(claim):
        raise ValueError(f"not a claim token: {claim!r}")
    result = dict(metadata)
    base = result.get(HASH_KEY, "").split(CLAIM_MARK, 1)[0]
    value = f"{base}{CLAIM_MARK}{claim}"
    if len(value) > MAX_VALUE_LENGTH:  # pragma: no cover - digests are 49 characters
        raise ValueError("the ownership hash with its claim exceeds the 512-character metadata limit")
    result[HASH_KEY] = value
    return result


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


NAME_MARK = "#"


def name_stamp(metadata: Mapping[str, str]) -> str:
    """The ownership stamp as one string, for kinds without metadata (environment templates keep it in `name`)."""
    return f"{metadata.get(OWNER_KEY, '')}{NAME_MARK}{metadata.get(HASH_KEY, '')}"


def parse_name_stamp(name: Any) -> dict[str, str]:
    """The ownership metadata a name written by name_stamp carries; {} for any other name."""
    if not isinstance(name, str) or NAME_MARK not in name:
        return {}
    owner, hashed = name.split(NAME_MARK, 1)
    if parse_owner({OWNER_KEY: owner}) is None:
        return {}
    return {OWNER_KEY: owner, HASH_KEY: hashed}
