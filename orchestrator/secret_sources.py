"""Secret values named by a spec (`from_env: NAME`, `from_file: PATH`), read only at apply.

A spec never holds a secret: it names where one comes from. `validate` and `diff` check the source
is well formed (a variable name; a file path outside the project, so it cannot be committed) but
never require it to be set. `apply` reads it (`resolve`), and every value read is taught to the
run's redactor at once, so it can appear in no plan, event, error or output.

Rotation is explicit (`revision` in the spec), or noticed by digest: our metadata keeps only a
salted HMAC of the value (`salted_digest`, a random salt per credential stored beside it), never
the value; comparing needs the value, so the digest is checked only when the source is readable.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets as _random
import stat
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from orchestrator import secrets

MAX_SECRET_BYTES = 64 * 1024
READ_TIMEOUT_S = 5.0
PSEUDO_ROOTS = frozenset({"proc", "dev", "sys"})  # system pseudo-files: never a secret file
SALT_BYTES = 8
DIGEST_CHARS = 24
VARIABLE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass(frozen=True, slots=True)
class SecretSource:
    """One place a secret comes from: exactly one of env (a variable) and file (a path)."""

    env: str | None = None
    file: str | None = None

    def label(self) -> str:
        return f"from_env {self.env}" if self.env is not None else f"from_file {self.file}"


class SecretUnavailable(Exception):
    """The source names nothing readable (a variable not set, a file missing or empty)."""


def source_of(value: Mapping[str, str]) -> SecretSource:
    return SecretSource(env=value.get("from_env"), file=value.get("from_file"))


def source_problem(source: SecretSource, project_root: Path) -> str | None:
    """Why a source is not acceptable offline (None: it is); nothing is read (a file is at most stat'ed:
    that never blocks, even on a FIFO)."""
    if source.env is not None:
        if not source.env or not set(source.env) <= VARIABLE_CHARS or source.env[0].isdigit():
            return f"`{source.env}` is not an environment variable name"
        return None
    path = Path(os.path.expanduser(source.file or ""))
    if not path.is_absolute():
        return (
            f"`{source.file}` is relative, so it would be inside the project; a secret file must live "
            "outside it (an absolute path or ~/...)"
        )
    try:
        real = path.resolve()
    except (OSError, RuntimeError):
        return f"`{source.file}` cannot be resolved"
    if real.is_relative_to(project_root.resolve()):
        return f"`{source.file}` is inside the project folder, where it could be committed; keep secrets outside it"
    return file_problem(source.file or "", real)


def file_problem(named: str, real: Path) -> str | None:
    """Why the file at real (named as the spec names it) cannot hold a secret: a pseudo-file of the
    system (/proc/self/environ is the whole environment, /dev/stdin the input), or anything but a
    regular file (a FIFO would block the reader, holding the apply lock). A missing file is no problem
    offline."""
    if len(real.parts) > 1 and real.parts[1] in PSEUDO_ROOTS:
        return (
            f"`{named}` is under /{real.parts[1]}, a system pseudo-file, not a secret file; name a regular "
            "file outside the project"
        )
    try:
        mode = real.stat().st_mode
    except OSError:
        return None
    if not stat.S_ISREG(mode):
        return f"`{named}` is {_kind(mode)}, not a regular file; a secret file is read whole, once"
    return None


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a file"


def resolve(source: SecretSource, environ: Mapping[str, str]) -> str:
    """The secret's value (and the redactor of this run now hides it); SecretUnavailable if none."""
    if source.env is not None:
        value = environ.get(source.env)
        if not value:
            raise SecretUnavailable(f"environment variable `{source.env}` is not set")
    else:
        value = _read_file(source.file or "")
    secrets.register_secret(value)
    return value


def _read_file(named: str) -> str:
    """A regular file's text, read without following a final link or blocking (O_NONBLOCK, then fstat),
    bounded in size and in time (a hung network file system is given READ_TIMEOUT_S)."""
    try:
        real = Path(os.path.expanduser(named)).resolve()
    except (OSError, RuntimeError):
        raise SecretUnavailable(f"secret file `{named}` cannot be resolved") from None
    problem = file_problem(named, real)
    if problem is not None:
        raise SecretUnavailable(f"secret file {problem}")
    outcome: list[bytes | SecretUnavailable] = []
    reader = threading.Thread(
        target=lambda: outcome.append(_read_regular(named, real)), daemon=True, name="secret-file"
    )
    reader.start()
    reader.join(READ_TIMEOUT_S)
    if not outcome:
        raise SecretUnavailable(f"secret file `{named}` could not be read within {READ_TIMEOUT_S:g} s")
    raw = outcome[0]
    if isinstance(raw, SecretUnavailable):
        raise raw
    try:
        value = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SecretUnavailable(f"secret file `{named}` is not UTF-8 text") from None
    value = value[:-1] if value.endswith("\n") else value
    value = value[:-1] if value.endswith("\r") else value
    if not value:
        raise SecretUnavailable(f"secret file `{named}` is empty")
    return value


def _read_regular(named: str, real: Path) -> bytes | SecretUnavailable:
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(real, flags)
    except OSError as exc:
        return SecretUnavailable(f"secret file `{named}` cannot be read ({exc.strerror or 'error'})")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # swapped in after the check above
            return SecretUnavailable(f"secret file `{named}` is {_kind(info.st_mode)}, not a regular file")
        if info.st_size > MAX_SECRET_BYTES:
            return SecretUnavailable(f"secret file `{named}` is larger than {MAX_SECRET_BYTES} bytes")
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_SECRET_BYTES and (chunk := os.read(fd, MAX_SECRET_BYTES + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        return SecretUnavailable(f"secret file `{named}` cannot be read ({exc.strerror or 'error'})")
    finally:
        os.close(fd)
    if size > MAX_SECRET_BYTES:
        return SecretUnavailable(f"secret file `{named}` is larger than {MAX_SECRET_BYTES} bytes")
    return b"".join(chunks)


def try_resolve(source: SecretSource, environ: Mapping[str, str]) -> str | None:
    """The value when the source is readable now, else None (diff: the digest check is skipped)."""
    try:
        return resolve(source, environ)
    except SecretUnavailable:
        return None


def new_salt() -> str:
    return _random.token_hex(SALT_BYTES)


def salted_digest(salt: str, *values: str) -> str:
    """An HMAC-SHA256 of the values keyed by salt, shortened: what our metadata keeps of a secret."""
    message = "\x00".join(values).encode()
    return hmac.new(salt.encode(), message, hashlib.sha256).hexdigest()[:DIGEST_CHARS]


def stamp(revision: int, salt: str, *values: str) -> str:
    """The metadata value `"<revision>:<salt>:<digest>"` recorded on a credential."""
    return f"{revision}:{salt}:{salted_digest(salt, *values)}"


@dataclass(frozen=True, slots=True)
class SecretStamp:
    revision: int
    salt: str
    digest: str

    def matches(self, *values: str) -> bool:
        return hmac.compare_digest(self.digest, salted_digest(self.salt, *values))


def parse_stamp(value: object) -> SecretStamp | None:
    if not isinstance(value, str):
        return None
    parts = value.split(":")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1] or not parts[2]:
        return None
    return SecretStamp(int(parts[0]), parts[1], parts[2])


def presence_problem(source: SecretSource, environ: Mapping[str, str]) -> str | None:
    """Why apply could not read the source now (None: it could), found without reading a value: a variable
    is set and not empty; a file is what `resolve` reads (file_problem), present, readable, neither empty
    nor over the size bound (stat only: never blocks)."""
    if source.env is not None:
        return None if environ.get(source.env) else f"environment variable `{source.env}` is not set"
    named = source.file or ""
    try:
        real = Path(os.path.expanduser(named)).resolve()
    except (OSError, RuntimeError):
        return f"secret file `{named}` cannot be resolved"
    problem = file_problem(named, real)
    if problem is not None:
        return f"secret file {problem}"
    try:
        info = real.stat()
    except OSError as exc:
        return f"secret file `{named}` cannot be found ({exc.strerror or 'error'})"
    if not os.access(real, os.R_OK):
        return f"secret file `{named}` is not readable by this user"
    if info.st_size == 0:
        return f"secret file `{named}` is empty"
    if info.st_size > MAX_SECRET_BYTES:
        return f"secret file `{named}` is larger than {MAX_SECRET_BYTES} bytes"
    return None
