"""Every file a project reads resolves, after links, inside the project folder (kustomize's load restrictor).

One gate for every reader: the project file, spec files, templates and partials, schema files,
knowledge and code files. `diff` runs on untrusted pull requests, and a pull request can add a
symlink: none may reach /proc/self/environ, $HOME or the CI's git credentials. Reads are bounded
in size, and only regular files are read (a FIFO would block for ever).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# Inside the project, yet never readable by a spec: git's own files (a CI checkout keeps its token
# in .git/config) and the tool's state (the local target's database).
PRIVATE_FOLDERS = frozenset({".git", ".orchestrator"})
MAX_GLOB_ENTRIES = 100_000  # directory entries one glob may visit
_HINT = "copy it into the project instead of linking to it"


class Refused(Exception):
    """A path that may not be read: outside the project, private, not a regular file, or too big."""

    def __init__(self, reason: str, hint: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint

    def message(self, shown: str) -> str:
        """The reason, about the file as the user wrote or sees it."""
        return f"`{shown}` {self.reason}"


_FOLDERS: ContextVar[dict[str, Path] | None] = ContextVar("resolved_folders", default=None)


@contextmanager
def resolving_once() -> Iterator[None]:
    """Within it, resolved() finds each folder's real path once: one build of the desired state asks for
    the real path of every spec file three or four times, a `realpath` walk of every component each time.
    Folders are taken not to move during one build; whether the file itself is a link is asked every time."""
    token, memo = _FOLDERS.set({}), _BUILD_MEMO.set({})
    try:
        yield
    finally:
        _FOLDERS.reset(token)
        _BUILD_MEMO.reset(memo)


_BUILD_MEMO: ContextVar[dict[Any, Any] | None] = ContextVar("build_memo", default=None)


def once_per_build(key: Any, compute: Callable[[], T]) -> T:
    """compute() once for key within one resolving_once() (one build: the checks of a template 5,000 specs
    name are made once), every time outside it."""
    memo = _BUILD_MEMO.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]  # type: ignore[no-any-return]


def resolved(path: Path) -> Path:
    """path.resolve(), the same result; inside resolving_once() the folder part is resolved once."""
    folders = _FOLDERS.get()
    if folders is None:
        return path.resolve()
    text = os.fspath(path)
    head, tail = os.path.split(text)
    if not os.path.isabs(text) or tail in ("", ".", ".."):
        return path.resolve()
    try:
        if stat.S_ISLNK(os.lstat(text).st_mode):
            return path.resolve()
    except OSError:
        pass  # a missing file resolves to its name, as realpath leaves it
    folder = folders.get(head)
    if folder is None:
        folder = folders[head] = Path(head).resolve()
    return folder / tail


def confine(path: Path, root: Path) -> Path:
    """path with every link followed, when it stays inside root (an absolute, resolved folder)."""
    try:
        real = resolved(path)
    except (RuntimeError, OSError) as exc:  # a link loop: RuntimeError up to Python 3.12, OSError after
        raise Refused(
            "cannot be resolved: it is a loop of links", "replace the link with the file or folder itself"
        ) from exc
    text, base = str(real), str(root).rstrip("/") + "/"
    if text.startswith(base):
        parts: Any = text[len(base) :].split("/")  # what relative_to gives, without building paths
    elif not real.is_relative_to(root):
        linked = real != Path(os.path.abspath(path))
        reason = (
            f"is a link to `{real}`, outside the project folder"
            if linked
            else "is outside the project folder"
        )
        raise Refused(reason + "; files a project reads must be inside it", _HINT if linked else None)
    else:
        parts = real.relative_to(root).parts
    private = next((part for part in parts if part in PRIVATE_FOLDERS), None)
    if private is not None:
        raise Refused(
            f"resolves into `{private}/`, which a project may not read",
            "keep the files a spec uses outside `.git/` and `.orchestrator/`",
        )
    return real


def read_confined(path: Path, root: Path, *, limit: int, what: str) -> bytes:
    """The bytes of a regular file inside root, at most limit of them (Refused beyond that).

    FileNotFoundError, IsADirectoryError and other OSErrors pass through for the caller to word.
    """
    data = _read_plain_file(path, root, limit)
    if data is not None:
        return data
    return read_bounded(confine(path, root), limit=limit, what=what)


_OPEN_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
)


def _read_plain_file(path: Path, root: Path, limit: int) -> bytes | None:
    """The common case at a tenth of the cost (Linux): a regular file, itself no link, opened at once and its
    real path (every link of its folders followed) read back from /proc/self/fd. None whenever that does not
    settle it: a link, not a regular file, too big, outside root, a private folder, no /proc; then the
    general path (confine, read_bounded) decides, and words the refusal."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
        return None
    try:
        handle = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        try:
            real = os.readlink(f"/proc/self/fd/{handle}")
        except OSError:
            return None
        base = str(root).rstrip("/") + "/"
        if not real.startswith(base) or any(part in PRIVATE_FOLDERS for part in real[len(base) :].split("/")):
            return None
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        chunks = []
        left = limit + 1
        while left > 0:
            chunk = os.read(handle, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        return data if len(data) <= limit else None
    finally:
        os.close(handle)


def read_bounded(real: Path, *, limit: int, what: str) -> bytes:
    """At most limit bytes of a regular file (a file already confined, or one the user named)."""
    info = real.stat()
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(str(real))
    if not stat.S_ISREG(info.st_mode):
        raise Refused("is not a regular file (a device, socket or pipe); only files can be read")
    if info.st_size > limit:
        raise Refused(f"is {info.st_size:,} bytes; the limit for {what} is {limit:,}")
    with real.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise Refused(f"is larger than {limit:,} bytes, the limit for {what}")
    return data


def glob_confined(folder: Path, pattern: str, root: Path) -> list[Path]:
    """Files matching a glob relative to folder (`**` is any depth), sorted, without following folder links.

    Python's glob follows links to folders, so two links to `.` make `**` walk for ever; this walk
    visits each folder once and at most MAX_GLOB_ENTRIES entries (Refused beyond). Matches are not
    confined yet: the caller confines each one, to name the file that escapes.
    """
    parts = [p for p in pattern.replace("\\", "/").split("/") if p not in ("", ".")]
    literal: list[str] = []
    while parts and not _magic(parts[0]) and len(parts) > 1:
        literal.append(parts.pop(0))
    base = Path(os.path.normpath(folder.joinpath(*literal))) if literal else folder
    if not parts:
        return []
    if not _magic(parts[-1]) and all(not _magic(p) for p in parts):
        single = base.joinpath(*parts)
        return [single] if single.is_file() else []
    matcher = re.compile(_translate(parts))
    found: list[Path] = []
    visited = 0
    for directory, subdirs, files in _walk(base):
        visited += len(subdirs) + len(files)
        if visited > MAX_GLOB_ENTRIES:
            raise Refused(
                f"visits more than {MAX_GLOB_ENTRIES:,} files and folders",
                "narrow the pattern (`**` searches every folder below)",
            )
        relative = Path(directory).relative_to(base).as_posix()
        prefix = "" if relative == "." else relative + "/"
        for name in files:
            if matcher.fullmatch(prefix + name):
                candidate = Path(directory) / name
                if candidate.is_file():  # a link to a file counts; a dangling link does not
                    found.append(candidate)
    return sorted(found)


def _walk(base: Path) -> Iterator[tuple[str, list[str], list[str]]]:
    if not base.is_dir():
        return
    for directory, subdirs, files in os.walk(base, followlinks=False):
        links = [d for d in subdirs if os.path.islink(os.path.join(directory, d))]
        files.extend(links)  # a link is listed (a link to a file matches), never walked into
        subdirs[:] = sorted(d for d in subdirs if d not in links)
        yield directory, subdirs, files


def _magic(part: str) -> bool:
    return any(ch in part for ch in "*?[")


def glob_regex(parts: list[str]) -> str:
    """The regex glob_confined matches paths below a pattern's fixed folder with (parts: the rest of the pattern)."""
    return _translate(parts)


def _translate(parts: list[str]) -> str:
    """A regex for glob parts: `*` and `?` stay within a folder, `**` spans folders, hidden names need a dot."""
    pieces: list[str] = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            pieces.append(r"(?:[^/.][^/]*/)*" + (r"[^/.][^/]*" if last else ""))
            continue
        pieces.append(
            ("" if part.startswith(".") or not _magic(part[:1]) else r"(?!\.)")
            + _translate_part(part)
            + ("" if last else "/")
        )
    return "".join(pieces)


def _translate_part(part: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(part):
        ch = part[i]
        if ch == "*":
            out.append(r"[^/]*")
        elif ch == "?":
            out.append(r"[^/]")
        elif ch == "[":
            end = part.find("]", i + 2 if part[i + 1 : i + 2] in ("!", "]") else i + 1)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = part[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)
