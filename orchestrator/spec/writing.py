"""Every file the tool writes goes through this gate, the write side of confinement's read gate.

A write names a root the tool trusts and a path relative to it: the project folder (import's specs,
templates, schemas and skill folders; init's scaffold and its .gitignore line), the project's
`.orchestrator/` state folder (the local target's database, locks, chat history) or a private temp
folder (import's round-trip scratch copy). No part of that path steps out, holds a control character or
is not UTF-8 (name_problem); every folder on the way is opened without following a link (dir_fd with O_NOFOLLOW), so a link a pull
request committed (`templates/imported -> /outside`) is refused, never written through; the file itself
is never a link and is created exclusively (O_EXCL) unless its caller owns it. Names that come from a
server reach a path only made portable (portable_name), or checked part by part (name_problem: also no
Windows device name, no leading dot, no trailing dot or space, bounded length).

Paths the user types (`diff --out PLAN`, `--events FILE`) are the user's own choice and may point
anywhere, but never through a link inside the project (user_output_path).
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from orchestrator.constants import STATE_DIR
from orchestrator.errors import OrchestratorError

MAX_NAME_BYTES = 200  # one part of a path; file systems stop at 255 bytes, and a suffix may be added
WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", "clock$", "conin$", "conout$"}
    | {f"{device}{n}" for device in ("com", "lpt") for n in (*"123456789", "¹", "²", "³")}
)
WINDOWS_FORBIDDEN = frozenset('<>:"|?*')
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})  # controls, format, unpaired, ...
_DIR_FLAGS = (
    os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
)
_FILE_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_DIR_FD = os.open in os.supports_dir_fd and os.mkdir in os.supports_dir_fd
_LINK_HINT = (
    "a path the tool writes may not pass through a link; replace the link with a real folder or remove it"
)


class WriteRefused(OrchestratorError):
    """A write the gate refuses: outside its root, through a link, onto a link, or an unportable name."""

    def __init__(self, reason: str, hint: str | None = None) -> None:
        super().__init__(reason + (f" ({hint})" if hint else ""))
        self.reason = reason
        self.hint = hint


# -- names -------------------------------------------------------------------------------------------


def name_problem(part: str, *, portable: bool = True) -> str | None:
    """Why part cannot be one part of a path the tool writes (None when it can): no step out of the folder,
    printable, UTF-8; portable (a name from a server): also fit for Windows and macOS, and not hidden."""
    if part in ("", ".", ".."):
        return "is empty or a step out of the folder" if part else "is empty"
    if "/" in part or "\\" in part:
        return "holds a path separator"
    try:
        encoded = part.encode("utf-8")
    except UnicodeEncodeError:
        return "is not UTF-8"
    for char in part:
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            return f"holds the control, invisible or unassigned character U+{ord(char):04X}"
    if not portable:
        return None
    forbidden = sorted(WINDOWS_FORBIDDEN.intersection(part))
    if forbidden:
        return f"holds `{forbidden[0]}`, which Windows forbids in file names"
    if part.startswith("."):
        return "starts with a dot (a hidden file)"
    if part.endswith((".", " ")):
        return "ends with a dot or a space (Windows drops them)"
    if part.split(".", 1)[0].rstrip(" ").lower() in WINDOWS_RESERVED:
        return f"is `{part.split('.', 1)[0]}`, a reserved device name on Windows"
    if len(encoded) > MAX_NAME_BYTES:
        return f"is longer than {MAX_NAME_BYTES} bytes"
    return None


def is_reserved(name: str) -> bool:
    """A Windows device name (con, aux, nul, com1, ...), whatever its extension."""
    return name.split(".", 1)[0].rstrip(" ").lower() in WINDOWS_RESERVED


def portable_name(text: str, *, fallback: str, limit: int = 64) -> str:
    """A file name (without suffix) made from text a server sent: ASCII letters, digits, `-` and `_`,
    no reserved device name, at most limit characters; fallback when nothing usable is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_text).strip("-_")[:limit].rstrip("-_")
    if not name:
        name = fallback
    if is_reserved(name):
        name = f"{name}-{fallback}" if not is_reserved(fallback) else f"{name}-file"
    return name


def relative_parts(relative: str) -> tuple[str, ...]:
    """The parts of a relative path (forward slashes): none a step out, none with a control character or
    undecodable bytes; WriteRefused otherwise. (Names from a server were made portable before.)"""
    if not relative or relative.startswith("/"):
        raise WriteRefused(f"`{_shown(relative)}` is not a relative path inside the folder written to")
    parts = tuple(relative.split("/"))
    for part in parts:
        problem = name_problem(part, portable=False)
        if problem is not None:
            raise WriteRefused(
                f"`{_shown(relative)}`: the name `{_shown(part)}` {problem}; nothing is written "
                "under such a name"
            )
    return parts


def _shown(text: str) -> str:
    """text with control characters and undecodable bytes escaped, fit for one line of a message."""
    return shown_name(text)


def shown_name(text: str) -> str:
    """A name fit for one line of a message: undecodable bytes as `\\xe9`, control characters escaped."""
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that no byte decoded to (a server's `\ud800`)
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    from orchestrator.secrets import escape_line  # the one escaper of what is shown (`\\u001b`, `\\n`)

    return escape_line(text)


# -- writes under a root -----------------------------------------------------------------------------


def create_file(root: Path, relative: str, data: bytes, *, exclusive: bool = True, mode: int = 0o644) -> Path:
    """Write data to root/relative, making its folders; exclusive: the file must not exist yet
    (FileExistsError for the caller to word), else an existing regular file is replaced (the caller owns it)."""
    parts = relative_parts(relative)
    with _opened_folder(root, parts[:-1], create=True) as folder:
        flags = _FILE_FLAGS | (os.O_EXCL if exclusive else os.O_TRUNC)
        handle = _open_file(folder, root, parts, flags, mode)
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    return root.joinpath(*parts)


def append_file(root: Path, relative: str, data: bytes) -> Path:
    """Append data to root/relative (created when missing), never through or onto a link."""
    parts = relative_parts(relative)
    with _opened_folder(root, parts[:-1], create=True) as folder:
        handle = _open_file(folder, root, parts, _FILE_FLAGS | os.O_APPEND, 0o644)
    with os.fdopen(handle, "ab") as out:
        out.write(data)
    return root.joinpath(*parts)


def check_writable(root: Path, relative: str, *, new: bool = True) -> None:
    """Refuse now what create_file would refuse later (a link on the way, a name, an existing file when new),
    so a command checks every file before it writes the first one."""
    parts = relative_parts(relative)
    current = root
    for index, part in enumerate(parts):
        current = current / part
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            return
        shown = "/".join(parts[: index + 1])
        if stat.S_ISLNK(info.st_mode):
            raise _link_refusal(root, shown, current)
        last = index == len(parts) - 1
        if not last and not stat.S_ISDIR(info.st_mode):
            raise WriteRefused(f"`{shown}` is not a folder, so `{relative}` cannot be written")
        if last and new:
            raise FileExistsError(str(current))
        if last and not stat.S_ISREG(info.st_mode):
            raise WriteRefused(f"`{shown}` is not a regular file; it is never written")


def state_folder(root: Path) -> Path:
    """The project's `.orchestrator/` state folder, created when missing; refused when it is a link."""
    with _opened_folder(root, (STATE_DIR,), create=True):
        pass
    return root / STATE_DIR


def check_state_file(root: Path, path: Path) -> Path:
    """path, a file in the project's state folder that a library opens by name (SQLite, a lock, readline's
    history): the state folder is made, and no part of path below root is a link; WriteRefused otherwise."""
    state_folder(root)
    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        raise WriteRefused(f"`{path}` is outside the project folder `{root}`") from None
    check_writable(root, relative, new=False)
    return path


def user_output_path(path: Path, root: Path | None) -> Path:
    """A file the user named on the command line (`--out`, `--events`): anywhere the user says, except through
    or onto a link that lies in the project (a pull request can commit `plans -> /home/ci/.ssh`). root: the
    project's resolved folder (None outside a project). Links elsewhere are the user's own, and followed."""
    absolute = Path(os.path.abspath(path))
    if root is None:
        return absolute
    current = Path(absolute.anchor)
    for part in absolute.parts[1:]:
        current = current / part
        try:
            info = os.lstat(current)
        except OSError:
            break
        if stat.S_ISLNK(info.st_mode) and Path(os.path.realpath(current.parent)).is_relative_to(root):
            shown = Path(os.path.realpath(current.parent), part).relative_to(root).as_posix()
            raise _link_refusal(
                root, shown, current, hint="name a path outside the project, or one inside it without links"
            )
    return absolute


# -- the walk ----------------------------------------------------------------------------------------


@contextmanager
def _opened_folder(root: Path, parts: tuple[str, ...], *, create: bool) -> Iterator[int]:
    """A descriptor of root/parts, each folder opened below the last without following a link (made when
    missing and create). root itself is trusted: the project folder the user chose, or a private temp folder."""
    if not _DIR_FD:  # no dir_fd (Windows): the same checks by name, then the folders made by name
        current = root
        for index, part in enumerate(parts):
            current = current / part
            if current.is_symlink():
                raise _link_refusal(root, "/".join(parts[: index + 1]), current)
            if create and not current.exists():
                current.mkdir()
        yield -1
        return
    folder = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        for index, part in enumerate(parts):
            try:
                inner = os.open(part, _DIR_FLAGS, dir_fd=folder)
            except FileNotFoundError:
                if not create:
                    raise
                with suppress(FileExistsError):  # made meanwhile: opened, and checked, below
                    os.mkdir(part, 0o777, dir_fd=folder)
                inner = _open_inner(folder, root, parts, index)
            except OSError:
                inner = _open_inner(folder, root, parts, index)
            os.close(folder)
            folder = inner
        yield folder
    finally:
        os.close(folder)


def _open_inner(folder: int, root: Path, parts: tuple[str, ...], index: int) -> int:
    try:
        return os.open(parts[index], _DIR_FLAGS, dir_fd=folder)
    except OSError as exc:
        shown = "/".join(parts[: index + 1])
        try:
            info = os.lstat(parts[index], dir_fd=folder)
        except OSError:
            raise WriteRefused(f"cannot open the folder `{shown}`: {exc.strerror or exc}") from None
        if stat.S_ISLNK(info.st_mode):
            raise _link_refusal(root, shown, root.joinpath(*parts[: index + 1])) from None
        raise WriteRefused(f"`{shown}` is not a folder, so nothing can be written below it") from None


def _open_file(folder: int, root: Path, parts: tuple[str, ...], flags: int, mode: int) -> int:
    shown = "/".join(parts)
    path = root.joinpath(*parts)
    try:
        handle = (
            os.open(parts[-1], flags, mode, dir_fd=folder)
            if folder >= 0
            else _open_by_name(path, flags, mode)
        )
    except FileExistsError:
        raise
    except OSError as exc:
        try:
            info = os.lstat(parts[-1], dir_fd=folder) if folder >= 0 else os.lstat(path)
        except OSError:
            info = None
        if info is not None and stat.S_ISLNK(info.st_mode):
            raise _link_refusal(root, shown, path) from None
        if info is not None and not stat.S_ISREG(info.st_mode):
            raise WriteRefused(f"`{shown}` is not a regular file; it is never written") from None
        raise WriteRefused(f"cannot write `{shown}`: {exc.strerror or exc}") from None
    info = os.fstat(handle)
    if not stat.S_ISREG(info.st_mode):
        os.close(handle)
        raise WriteRefused(f"`{shown}` is not a regular file; it is never written")
    if flags & os.O_NONBLOCK:
        os.set_blocking(handle, True)
    return handle


def _open_by_name(path: Path, flags: int, mode: int) -> int:
    if path.is_symlink():
        raise OSError(40, "is a link")
    return os.open(path, flags, mode)


def _link_refusal(root: Path, shown: str, path: Path, *, hint: str = _LINK_HINT) -> WriteRefused:
    try:
        where = f" to `{os.readlink(path)}`"
    except OSError:
        where = ""
    return WriteRefused(f"`{shown}` in `{root}` is a link{where}; nothing is written through it", hint)
