"""Ownership metadata: who a live object belongs to and the digest of what was last applied.

Two of the API's 16 metadata keys are reserved, as kubectl reserves its last-applied annotation:
  orchestrator.owner = "<project>/<environment>/<spec>"
  orchestrator.hash  = "<digest of the full desired essence>.<digest of its readable part>[;claim=<token>][;rev=<commit>[+dirty]][;at=<unix seconds>]"

The claim token (optional, written by the create that made the object) names the apply run that
created it, so a later listing tells the object this run made from one another run made at the
same time. The revision (optional) is the git commit the applied payload was built from, `+dirty`
when the working tree differed from it for the spec's files. Both live inside the hash value: no
third metadata slot; neither is part of the digests, so a new commit with the same content is no
change; and an older orchestrator that does not know them reads a drift (and re-stamps), never a
foreign owner. The apply time (optional, written by `apply --preview` only) dates a preview's last
write, so the preview sweeper never removes one that is still being updated.
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
REVISION_MARK = ";rev="
DIRTY_SUFFIX = "+dirty"
REVISION_PATTERN = re.compile(r"^[0-9a-f]{7,64}(\+dirty)?$")  # a SHA-1 or SHA-256 commit id
APPLIED_AT_PATTERN = re.compile(r"^[0-9]{1,12}$")
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


def _hash_parts(metadata: Mapping[str, Any] | None) -> tuple[str, dict[str, str]] | None:
    """The hash value split into its digests part and its `;key=value` parts (claim, rev)."""
    value = (metadata or {}).get(HASH_KEY)
    if not isinstance(value, str):
        return None
    base, *rest = value.split(";")
    parts: dict[str, str] = {}
    for part in rest:
        key, _, found = part.partition("=")
        parts.setdefault(key, found)
    return base, parts


def _join_parts(base: str, parts: Mapping[str, str]) -> str:
    value = base + "".join(f";{key}={parts[key]}" for key in ("claim", "rev", "at") if parts.get(key))
    if len(value) > MAX_VALUE_LENGTH:  # pragma: no cover - digests, claim and revision take at most 160
        raise ValueError(
            "the ownership hash with its claim and revision exceeds the 512-character metadata limit"
        )
    return value


def parse_digests(metadata: Mapping[str, Any] | None) -> Digests | None:
    split = _hash_parts(metadata)
    if split is None or "." not in split[0]:
        return None
    full, readable = split[0].split(".", 1)
    return Digests(full, readable)


def parse_claim(metadata: Mapping[str, Any] | None) -> str | None:
    """The claim token of the apply run that created the object, if it wrote one."""
    split = _hash_parts(metadata)
    token = split[1].get("claim") if split else None
    return token if token and CLAIM_PATTERN.match(token) else None


def parse_revision(metadata: Mapping[str, Any] | None) -> str | None:
    """The git revision the live payload was applied from (`<commit>` or `<commit>+dirty`), if recorded."""
    split = _hash_parts(metadata)
    label = split[1].get("rev") if split else None
    return label if label and REVISION_PATTERN.match(label) else None


def parse_applied_at(metadata: Mapping[str, Any] | None) -> int | None:
    """The unix time of the last write that recorded one (`apply --preview`), if any."""
    split = _hash_parts(metadata)
    value = split[1].get("at") if split else None
    return int(value) if value and APPLIED_AT_PATTERN.match(value) else None


def with_applied_at(metadata: Mapping[str, str], moment: int) -> dict[str, str]:
    """The ownership stamp with the time of this write in the hash value."""
    return _with_part(metadata, "at", str(int(moment)))


def new_claim() -> str:
    """A fresh claim token for one apply run (64 random bits: two runs never share one)."""
    return secrets.token_hex(8)


def with_claim(metadata: Mapping[str, str], claim: str) -> dict[str, str]:
    """The metadata a create sends: the ownership stamp with this run's claim token in the hash value."""
    if not CLAIM_PATTERN.match(claim):
        raise ValueError(f"not a claim token: {claim!r}")
    return _with_part(metadata, "claim", claim)


def with_revision(metadata: Mapping[str, str], revision: str | None) -> dict[str, str]:
    """The ownership stamp with the git revision it was built from in the hash value (None: unknown, none)."""
    if revision is not None and not REVISION_PATTERN.match(revision):
        raise ValueError(f"not a revision: {revision!r}")
    return _with_part(metadata, "rev", revision)


def _with_part(metadata: Mapping[str, str], key: str, value: str | None) -> dict[str, str]:
    result = dict(metadata)
    split = _hash_parts(result) or ("", {})
    parts = dict(split[1])
    parts[key] = value or ""
    result[HASH_KEY] = _join_parts(split[0], parts)
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


PREVIEW_MARK = (
    "~preview-"  # <environment>~preview-<name>: the owner environment of a preview (app/previews.py)
)
PREVIEW_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")  # at most 32 characters


def split_preview(environment: str) -> tuple[str, str] | None:
    """(environment, preview name) when an owner's environment is a preview's; None for any other."""
    base, mark, name = environment.partition(PREVIEW_MARK)
    if not mark or not base or not PREVIEW_NAME.match(name):
        return None
    return base, name


def apply_hint(environment: str) -> str:
    """The command that deploys an owner environment: `orchestrator apply -e ENV [--preview NAME]`."""
    split = split_preview(environment)
    return (
        f"orchestrator apply -e {split[0]} --preview {split[1]}"
        if split
        else f"orchestrator apply -e {environment}"
    )


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
