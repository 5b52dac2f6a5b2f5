"""SQLite persistence: every object is a JSON document with indexed columns for paging.

One connection guarded by a lock, WAL journal, one transaction per request. Pages use the
`(kind, parent, seq)` index: a cursor id is looked up by primary key, then the page is a range
scan from its sequence number, so no page costs a table scan.

A database that cannot be used (not SQLite, another program's, full, deleted or replaced while
serving) raises `StoreError`, never a bare sqlite3 error, so callers can say what went wrong.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL,
    parent TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    tag TEXT,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, parent, id)
);
CREATE INDEX IF NOT EXISTS objects_page ON objects (kind, parent, seq);
CREATE INDEX IF NOT EXISTS objects_tag_page ON objects (kind, parent, tag, seq);
CREATE INDEX IF NOT EXISTS objects_by_id ON objects (id, kind);
CREATE UNIQUE INDEX IF NOT EXISTS objects_seq ON objects (seq);
CREATE TABLE IF NOT EXISTS blobs (id TEXT PRIMARY KEY, data BLOB NOT NULL);
"""


BLOB_CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Page:
    items: tuple[dict[str, Any], ...]
    has_more: bool


class StoreFailure(StrEnum):
    FULL = "full"  # SQLITE_FULL: the disk, or the size cap, is full
    MOVED = "moved"  # the file was deleted or replaced while the store had it open
    BROKEN = "broken"  # not SQLite, not the emulator's, corrupt, unreadable or read-only
    BUSY = "busy"  # another process holds the lock longer than the busy timeout


class StoreError(Exception):
    """The database cannot be used; the message names the file and the reason."""

    def __init__(self, failure: StoreFailure, message: str) -> None:
        super().__init__(message)
        self.failure = failure
        self.message = message


FAILURE_BY_SQLITE_CODE = {
    sqlite3.SQLITE_FULL: StoreFailure.FULL,
    sqlite3.SQLITE_BUSY: StoreFailure.BUSY,
    sqlite3.SQLITE_LOCKED: StoreFailure.BUSY,
    sqlite3.SQLITE_IOERR: StoreFailure.BROKEN,
    sqlite3.SQLITE_CORRUPT: StoreFailure.BROKEN,
    sqlite3.SQLITE_NOTADB: StoreFailure.BROKEN,
    sqlite3.SQLITE_CANTOPEN: StoreFailure.BROKEN,
    sqlite3.SQLITE_READONLY: StoreFailure.BROKEN,
    sqlite3.SQLITE_PERM: StoreFailure.BROKEN,
}


def classify(error: BaseException) -> StoreFailure | None:
    """What an error says about the database file; None for the emulator's own errors (bugs)."""
    if not isinstance(error, sqlite3.Error):
        return None
    code = getattr(error, "sqlite_errorcode", None)
    return FAILURE_BY_SQLITE_CODE.get(code & 0xFF) if isinstance(code, int) else None


def file_identity(path: Path) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return status.st_dev, status.st_ino


def create_database(path: Path) -> None:
    """Create the file with its schema via a temp file and `os.replace`, so it is never half-made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with contextlib.closing(sqlite3.connect(temp_name)) as connection:
            connection.executescript(SCHEMA)
            connection.commit()
        if not path.exists():
            os.replace(temp_name, path)
    finally:
        if os.path.exists(temp_name):
            os.remove(temp_name)


def describe(error: BaseException) -> str:
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return str(error)


def open_connection(path: Path, max_bytes: int | None) -> sqlite3.Connection:
    """Open and check an emulator database; anything else (a text file, another program's
    SQLite file, a corrupt one) is a `StoreError` naming the file."""
    try:
        connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    except sqlite3.Error as error:
        raise StoreError(StoreFailure.BROKEN, f"cannot open the emulator database {path}: {error}") from None
    try:
        connection.execute("PRAGMA busy_timeout = 5000")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "objects" not in tables:
            shown = ", ".join(sorted(tables)[:5])
            raise StoreError(
                StoreFailure.BROKEN,
                f"{path} is an SQLite database but not the emulator's (its tables: {shown}); "
                "refusing to add tables to it",
            )
        connection.executescript(SCHEMA)
        if max_bytes is not None:
            page_size = int(connection.execute("PRAGMA page_size").fetchone()[0])
            connection.execute(f"PRAGMA max_page_count = {max(1, max_bytes // page_size)}")
    except sqlite3.Error as error:
        connection.close()
        failure = classify(error) or StoreFailure.BROKEN
        raise StoreError(failure, f"cannot open the emulator database {path}: {error}") from None
    except StoreError:
        connection.close()
        raise
    return connection


class Store:
    """All reads and writes of the emulator's state.

    `max_bytes` caps the database size: past it, writes fail as on a full disk (SQLITE_FULL).
    """

    def __init__(self, path: str | os.PathLike[str], *, max_bytes: int | None = None) -> None:
        self.path = Path(path)
        if not self.path.exists():
            try:
                create_database(self.path)
            except (OSError, sqlite3.Error) as error:
                raise StoreError(
                    StoreFailure.BROKEN, f"cannot create the emulator database {self.path}: {describe(error)}"
                ) from None
        self._lock = threading.RLock()
        self._depth = 0
        self._connection = open_connection(self.path, max_bytes)
        self._identity = file_identity(self.path)
        row = self._connection.execute("SELECT COALESCE(MAX(seq), 0) FROM objects").fetchone()
        self._seq = int(row[0])

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    def check_file(self) -> None:
        """Refuse to go on once the file on disk is no longer the one open (deleted or replaced)."""
        if file_identity(self.path) != self._identity:
            raise StoreError(
                StoreFailure.MOVED,
                f"the emulator database {self.path} was deleted or replaced while the server was running "
                "(restart the server to use the file there now)",
            )

    def failure(self, error: BaseException) -> StoreError | None:
        """The StoreError an exception from SQLite amounts to, or None when it is not about the file."""
        if isinstance(error, StoreError):
            return error
        failure = classify(error)
        if failure is None:
            return None
        if failure is StoreFailure.FULL:
            return StoreError(failure, f"cannot write the emulator database {self.path}: {describe(error)}")
        return StoreError(failure, f"cannot use the emulator database {self.path}: {describe(error)}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work; nested calls join the outer transaction.

        The outer one first checks that the file is still the one open, and turns SQLite errors
        about the file (full, I/O, locked) into `StoreError` after rolling back.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.check_file()
            self._execute_or_fail("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException as error:
                with contextlib.suppress(sqlite3.Error):
                    self._connection.execute("ROLLBACK")
                failure = self.failure(error)
                if failure is None or failure is error:
                    raise
                raise failure from None
            else:
                try:
                    self._execute_or_fail("COMMIT")
                except StoreError:
                    with contextlib.suppress(sqlite3.Error):
                        self._connection.execute("ROLLBACK")
                    raise
            finally:
                self._depth = 0

    def _execute_or_fail(self, sql: str) -> None:
        try:
            self._connection.execute(sql)
        except sqlite3.Error as error:
            failure = self.failure(error)
            if failure is None:
                raise
            raise failure from None

    def _next_seq(self) -> int:
        row = self._connection.execute("SELECT COALESCE(MAX(seq), 0) FROM objects").fetchone()
        self._seq = max(self._seq, int(row[0])) + 1
        return self._seq

    def insert(self, kind: str, body: dict[str, Any], *, parent: str = "", tag: str | None = None) -> None:
        with self.transaction():
            self._connection.execute(
                "INSERT INTO objects (kind, parent, id, seq, created_at, tag, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    kind,
                    parent,
                    body["id"],
                    self._next_seq(),
                    int(body.get("created_at", 0)),
                    tag,
                    json.dumps(body, separators=(",", ":")),
                ),
            )

    def get(self, kind: str, object_id: str, *, parent: str = "") -> dict[str, Any] | None:
        with self._lock:
            row = self._connection.execute(
                "SELECT body FROM objects WHERE kind = ? AND parent = ? AND id = ?", (kind, parent, object_id)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def find_parent(self, kind: str, object_id: str) -> str | None:
        """The parent of an object known only by id (messages, runs), via the id index."""
        with self._lock:
            row = self._connection.execute(
                "SELECT parent FROM objects WHERE id = ? AND kind = ?", (object_id, kind)
            ).fetchone()
        return row[0] if row else None

    def replace(self, kind: str, body: dict[str, Any], *, parent: str = "", tag: str | None = None) -> None:
        with self.transaction():
            self._connection.execute(
                "UPDATE objects SET body = ?, tag = ? WHERE kind = ? AND parent = ? AND id = ?",
                (json.dumps(body, separators=(",", ":")), tag, kind, parent, body["id"]),
            )

    def delete(self, kind: str, object_id: str, *, parent: str = "") -> bool:
        with self.transaction():
            cursor = self._connection.execute(
                "DELETE FROM objects WHERE kind = ? AND parent = ? AND id = ?", (kind, parent, object_id)
            )
            return cursor.rowcount > 0

    def delete_children(self, kind: str, parent: str) -> None:
        with self.transaction():
            self._connection.execute("DELETE FROM objects WHERE kind = ? AND parent = ?", (kind, parent))

    def children(self, kind: str, parent: str) -> list[dict[str, Any]]:
        """Every object of a kind under one parent, oldest first."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT body FROM objects WHERE kind = ? AND parent = ? ORDER BY seq", (kind, parent)
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def parents_of(self, kind: str, object_id: str) -> list[str]:
        """Parents holding a child with this id (the vector stores a file is attached to)."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT parent FROM objects WHERE id = ? AND kind = ?", (object_id, kind)
            ).fetchall()
        return [row[0] for row in rows]

    def page(
        self,
        kind: str,
        *,
        parent: str = "",
        limit: int,
        order: str,
        after: str | None = None,
        before: str | None = None,
        tag: str | None = None,
        condition: tuple[str, Sequence[object]] | None = None,
    ) -> Page:
        """One page in `order` of `created_at` (ties by sequence), starting after/before a cursor id."""
        sql, params = self.page_query(
            kind,
            parent=parent,
            limit=limit,
            order=order,
            after=after,
            before=before,
            tag=tag,
            condition=condition,
        )
        with self._lock:
            rows = self._connection.execute(sql, params).fetchall()
        backwards = before is not None and after is None
        items = [json.loads(row[0]) for row in rows[:limit]]
        if backwards:
            items.reverse()
        return Page(tuple(items), len(rows) > limit)

    def page_query(
        self,
        kind: str,
        *,
        parent: str,
        limit: int,
        order: str,
        after: str | None,
        before: str | None,
        tag: str | None,
        condition: tuple[str, Sequence[object]] | None = None,
    ) -> tuple[str, Sequence[object]]:
        """The SQL of one page; public so a test can EXPLAIN it."""
        where = ["kind = ?", "parent = ?"]
        params: list[object] = [kind, parent]
        if tag is not None:
            where.append("tag = ?")
            params.append(tag)
        if condition is not None:
            where.append(f"({condition[0]})")
            params += list(condition[1])
        descending = order == "desc"
        cursor_sql = "(SELECT seq FROM objects WHERE kind = ? AND parent = ? AND id = ?)"
        if after is not None:
            where.append(f"seq {'<' if descending else '>'} {cursor_sql}")
            params += [kind, parent, after]
        backwards = before is not None and after is None
        if before is not None:
            where.append(f"seq {'>' if descending else '<'} {cursor_sql}")
            params += [kind, parent, before]
        direction = "DESC" if descending != backwards else "ASC"
        sql = f"SELECT body FROM objects WHERE {' AND '.join(where)} ORDER BY seq {direction} LIMIT ?"
        params.append(limit + 1)
        return sql, params

    def explain(self, sql: str, params: Sequence[object]) -> list[str]:
        with self._lock:
            rows = self._connection.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        return [str(row[-1]) for row in rows]

    def exists(self, kind: str, object_id: str, *, parent: str = "") -> bool:
        with self._lock:
            row = self._connection.execute(
                "SELECT 1 FROM objects WHERE kind = ? AND parent = ? AND id = ?", (kind, parent, object_id)
            ).fetchone()
        return row is not None

    def put_blob(self, blob_id: str, data: bytes) -> None:
        with self.transaction():
            self._connection.execute("INSERT OR REPLACE INTO blobs (id, data) VALUES (?, ?)", (blob_id, data))

    def put_blob_from(self, blob_id: str, source: IO[bytes], size: int) -> None:
        """Store `size` bytes read from `source` in chunks (incremental blob I/O), never all at once."""
        with self.transaction():
            cursor = self._connection.execute(
                "INSERT OR REPLACE INTO blobs (id, data) VALUES (?, zeroblob(?))", (blob_id, size)
            )
            assert cursor.lastrowid is not None
            with self._connection.blobopen("blobs", "data", cursor.lastrowid) as blob:
                written = 0
                while written < size:
                    chunk = source.read(min(BLOB_CHUNK_BYTES, size - written))
                    if not chunk:
                        raise ValueError(f"upload ended after {written} of {size} bytes")
                    blob.write(chunk)
                    written += len(chunk)

    def get_blob(self, blob_id: str) -> bytes | None:
        with self._lock:
            row = self._connection.execute("SELECT data FROM blobs WHERE id = ?", (blob_id,)).fetchone()
        return bytes(row[0]) if row else None

    def delete_blob(self, blob_id: str) -> None:
        with self.transaction():
            self._connection.execute("DELETE FROM blobs WHERE id = ?", (blob_id,))
