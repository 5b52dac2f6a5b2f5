"""SQLite persistence: every object is a JSON document with indexed columns for paging.

One connection guarded by a lock, WAL journal, one transaction per request. Pages use the
`(kind, parent, seq)` index: a cursor id is looked up by primary key, then the page is a range
scan from its sequence number, so no page costs a table scan.
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
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True, slots=True)
class Page:
    items: tuple[dict[str, Any], ...]
    has_more: bool


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


class Store:
    """All reads and writes of the emulator's state."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.exists():
            create_database(self.path)
        self._lock = threading.RLock()
        self._depth = 0
        self._connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._connection.execute("PRAGMA busy_timeout = 5000")
        self._connection.execute("PRAGMA journal_mode = WAL")
        self._connection.execute("PRAGMA synchronous = NORMAL")
        self._connection.executescript(SCHEMA)
        row = self._connection.execute("SELECT COALESCE(MAX(seq), 0) FROM objects").fetchone()
        self._seq = int(row[0])

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work; nested calls join the outer transaction."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._connection.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            else:
                self._connection.execute("COMMIT")
            finally:
                self._depth = 0

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

    def get_blob(self, blob_id: str) -> bytes | None:
        with self._lock:
            row = self._connection.execute("SELECT data FROM blobs WHERE id = ?", (blob_id,)).fetchone()
        return bytes(row[0]) if row else None

    def delete_blob(self, blob_id: str) -> None:
        with self.transaction():
            self._connection.execute("DELETE FROM blobs WHERE id = ?", (blob_id,))
