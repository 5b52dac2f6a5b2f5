"""A skill folder zipped deterministically: the same files give the same bytes, so no spurious versions.

Entries are sorted by path, every entry gets the same timestamp (1980-01-01, the zip epoch) and
permissions (0644, files only; no directory entries), and one compression level. Files are read
through the project's confinement gate (a link out of the project is refused). The archive's
digest and the per-file digests let a plan say which files of a skill changed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from orchestrator.spec.confinement import PRIVATE_FOLDERS, confine, read_bounded
from orchestrator.spec.writing import name_problem, shown_name

EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644 << 16
MAX_FILES = 1000
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
MANIFEST = ".orchestrator/owner.json"  # inside the archive: skills have no metadata, so ownership rides here
SKIPPED = frozenset({".DS_Store", "__pycache__"}) | PRIVATE_FOLDERS


@dataclass(frozen=True, slots=True)
class SkillArchive:
    data: bytes
    files: Mapping[str, str]  # path inside the folder -> sha256 of its content

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


class ArchiveProblem(Exception):
    pass


def read_folder(folder: Path, root: Path) -> dict[str, bytes]:
    """Every regular file under folder (paths with `/`), confined to root; ArchiveProblem if unfit."""
    try:
        real = confine(folder, root)
    except Exception as exc:
        raise ArchiveProblem(str(getattr(exc, "reason", exc))) from None
    if not real.is_dir():
        raise ArchiveProblem("is not a folder")
    found: dict[str, bytes] = {}
    total = 0
    for base, dirs, names in os.walk(real, followlinks=False):
        for name in sorted(dirs):
            if name not in SKIPPED and os.path.islink(os.path.join(base, name)):
                relative = (Path(base) / name).relative_to(real).as_posix()
                raise ArchiveProblem(
                    f"holds `{shown_name(relative)}`, a link to a folder: a skill's folders are "
                    "read only as real folders (copy the folder in instead of linking to it)"
                )
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED)
        for name in sorted((*names, *dirs)):
            relative = (Path(base) / name).relative_to(real).as_posix()
            problem = name_problem(name, portable=False)
            if problem is not None:
                raise ArchiveProblem(
                    f"holds `{shown_name(relative)}`, whose name {problem}; rename it (such a name "
                    "cannot be uploaded, shown or checked out everywhere)"
                )
        for name in sorted(names):
            if name in SKIPPED:
                continue
            path = Path(base) / name
            relative = path.relative_to(real).as_posix()
            try:
                data = read_bounded(confine(path, root), limit=MAX_FILE_BYTES, what="skill file")
            except Exception as exc:
                raise ArchiveProblem(f"`{relative}` {getattr(exc, 'reason', exc)}") from None
            total += len(data)
            found[relative] = data
            if len(found) > MAX_FILES or total > MAX_TOTAL_BYTES:
                raise ArchiveProblem(f"holds more than {MAX_FILES} files or {MAX_TOTAL_BYTES} bytes")
    if "SKILL.md" not in found:
        raise ArchiveProblem("has no SKILL.md at its top")
    return found


def build(files: Mapping[str, bytes], top: str, manifest: Mapping[str, str] | None = None) -> SkillArchive:
    """The deterministic zip of files under a top folder named top (plus the ownership manifest:
    `{"owner": ..., "hash": ...}`, the ownership metadata a skill cannot carry itself)."""
    entries = dict(files)
    if manifest:
        entries[MANIFEST] = json.dumps(dict(manifest), sort_keys=True).encode() + b"\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(entries):
            info = zipfile.ZipInfo(f"{top}/{path}", date_time=EPOCH)
            info.external_attr = FILE_MODE
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, whatever the host
            archive.writestr(info, entries[path], compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    digests = {path: hashlib.sha256(data).hexdigest() for path, data in sorted(files.items())}
    return SkillArchive(buffer.getvalue(), digests)


def file_digests(files: Mapping[str, bytes]) -> dict[str, str]:
    """The sha256 of each file, by path (what a skill's essence compares; no zip is built)."""
    return {path: hashlib.sha256(data).hexdigest() for path, data in sorted(files.items())}


def content_digest(digests: Mapping[str, str]) -> str:
    """One short digest of a skill's content (its per-file digests): how an environment pins "this content"."""
    text = json.dumps(dict(sorted(digests.items())), separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _entries(archive: zipfile.ZipFile) -> list[tuple[str, zipfile.ZipInfo]]:
    """(path inside the skill, entry) for each file: below the one top folder, or at the root of the zip."""
    entries = [info for info in archive.infolist()[: MAX_FILES + 1] if not info.is_dir()]
    tops = {info.filename.split("/", 1)[0] for info in entries if "/" in info.filename}
    nested = len(tops) == 1 and all("/" in info.filename for info in entries)
    return [(info.filename.split("/", 1)[1] if nested else info.filename, info) for info in entries]


def read_archive(data: bytes) -> tuple[dict[str, str], dict[str, str]]:
    """The per-file digests of a live skill's zip and its manifest (owner, hash; empty if none)."""
    files: dict[str, str] = {}
    owner: dict[str, str] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for path, info in _entries(archive):
                if not path or info.file_size > MAX_FILE_BYTES:
                    continue
                content = archive.read(info)
                if path == MANIFEST:
                    try:
                        value = json.loads(content)
                    except ValueError:
                        value = None
                    if isinstance(value, dict):
                        owner = {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}
                else:
                    files[path] = hashlib.sha256(content).hexdigest()
    except (zipfile.BadZipFile, ValueError, OSError):
        return {}, {}
    return dict(sorted(files.items())), owner


def unpack(data: bytes) -> dict[str, bytes]:
    """The files of a live skill's zip (the manifest left out), bounded as reads are."""
    files: dict[str, bytes] = {}
    total = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for path, info in _entries(archive):
                if not path or path == MANIFEST or info.file_size > MAX_FILE_BYTES:
                    continue
                total += info.file_size
                if total > MAX_TOTAL_BYTES:
                    break
                files[path] = archive.read(info)
    except (zipfile.BadZipFile, ValueError, OSError):
        return {}
    return dict(sorted(files.items()))


def changed_files(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, list[str]]:
    """Which files a new version adds, changes and removes, for the plan."""
    return {
        "added": sorted(set(after) - set(before)),
        "changed": sorted(p for p in set(after) & set(before) if after[p] != before[p]),
        "removed": sorted(set(before) - set(after)),
    }
