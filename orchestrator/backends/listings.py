"""The listings one run shares between kinds: each collection listed once per read of live state.

Agents name vault credentials, and automations name agents, vaults and environment templates, through
those kinds' listings. The resource graph lists every kind on a thread of its own (app.live), so these
reference reads would list the same collections again. With SharedListings the first reader of a
collection lists it; a reader that comes while that listing is under way waits for it and takes the same
objects; a reader that comes after it takes them too.

What keeps a shared listing from ever steering a write with state older than the run's own writes:
- `begin_read`: every read of live state starts with no listing to share (watch reads again each cycle);
- `writing`: a create, update or delete of the collection by this run drops its listing, before the call
  and after it (a listing under way at the time is not taken by a reader after it), so the reads after a
  write list again: names of objects created earlier in the same plan resolve, the verification read
  sees the writes;
- a kind's own read (`own`: its client's list_all, which the engine's verification and lost-response
  adoption call) takes a listing at most once: a second own read lists again, so a verification read that
  waits for another apply's removal is never answered from memory.

A listing that fails is shared with no one: each reader that waited for it lists itself, as it would have
without sharing (the SDK's retries are the same per request).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

AGENTS = "agents"
VAULTS = "vaults"  # each vault read with its credentials
TEMPLATES = "environment_templates"

Fetch = Callable[[], Sequence[Any]]


@dataclass(eq=False)
class _Listing:
    claimed: bool  # a kind's own read has returned it
    done: threading.Event = field(default_factory=threading.Event)
    objects: tuple[Any, ...] = ()
    failed: bool = False


class SharedListings:
    """The latest listing of each collection in this run (thread-safe), shared by every reader of it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[str, _Listing] = {}

    def begin_read(self) -> None:
        """A new read of live state: nothing listed before it is shared after it."""
        with self._lock:
            self._latest.clear()

    def own(self, collection: str, fetch: Fetch) -> list[Any]:
        """The kind's own read: a listing no other own read returned (one under way is waited for)."""
        return self._read(collection, fetch, own=True)

    def shared(self, collection: str, fetch: Fetch) -> list[Any]:
        """A reference read: the listing this read already has (or has under way), else a new one."""
        return self._read(collection, fetch, own=False)

    @contextmanager
    def writing(self, collection: str) -> Iterator[None]:
        """Around a create, update or delete of the collection: the reads after it list again."""
        self._drop(collection)
        try:
            yield
        finally:
            self._drop(collection)

    def _drop(self, collection: str) -> None:
        with self._lock:
            self._latest.pop(collection, None)

    def _read(self, collection: str, fetch: Fetch, *, own: bool) -> list[Any]:
        while True:
            with self._lock:
                found = self._latest.get(collection)
                reuse = found is not None and not found.failed and not (own and found.claimed)
                if found is not None and reuse:
                    found.claimed = found.claimed or own
                else:
                    found = self._latest[collection] = _Listing(claimed=own)
            if not reuse:
                return list(_fill(found, fetch))
            found.done.wait()
            if not found.failed:
                return list(found.objects)
            # the listing waited for failed: this reader lists itself, as it would have without sharing


class SeparateListings:
    """No sharing: every read lists (clients made outside a CLI run, e.g. by run/chat and tests)."""

    def begin_read(self) -> None:
        return None

    def own(self, collection: str, fetch: Fetch) -> list[Any]:
        return list(fetch())

    def shared(self, collection: str, fetch: Fetch) -> list[Any]:
        return list(fetch())

    @contextmanager
    def writing(self, collection: str) -> Iterator[None]:
        yield


Listings = SharedListings | SeparateListings


def _fill(listing: _Listing, fetch: Fetch) -> tuple[Any, ...]:
    try:
        listing.objects = tuple(fetch())
    except BaseException:
        listing.failed = True
        raise
    finally:
        listing.done.set()
    return listing.objects
