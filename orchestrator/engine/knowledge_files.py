"""Local files a spec uploads (knowledge, code and environment files), identified by project-relative
path and SHA-256 of their bytes; the files of an environment template (EnvironmentFile)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MAX_ENVIRONMENT_FILES = 100  # files in one environment template (the API's limit)


@dataclass(frozen=True, slots=True)
class LocalFile:
    """A file the spec wants uploaded, identified by its project-relative path and content hash."""

    path: str  # relative to the project root, with forward slashes
    absolute: Path
    sha256: str
    size: int


@lru_cache(maxsize=4096)
def _digest(path: Path, size: int, mtime_ns: int) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def describe_local_file(path: Path, root: Path) -> LocalFile:
    stat = path.stat()
    return LocalFile(
        path=path.relative_to(root).as_posix(),
        absolute=path,
        sha256=_digest(path, stat.st_size, stat.st_mtime_ns),
        size=stat.st_size,
    )


@dataclass(frozen=True, slots=True)
class EnvironmentFile:
    """One file of an environment template: a project file (uploaded by content hash) or inline text."""

    to: str  # absolute path under /workspace
    local: LocalFile | None = None
    inline: str | None = None
