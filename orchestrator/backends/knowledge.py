"""Knowledge files: local files synced by content hash to files and vector stores (assistants backend).

Identity of an uploaded file is (project-relative path, SHA-256 of its bytes), kept in its
filename (`orchestrator--<project>--<sha16>--<path with / as __>`) and, once attached, in the
vector-store file's attributes. One vector store per spec, owned through its metadata. Live
state is read back on every plan, so files added or removed by hand show as drift.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from orchestrator.backends.wire import FILE, VECTOR_STORE, VECTOR_STORE_FILE, Shape, read_list
from orchestrator.engine.ownership import (
    HASH_KEY,
    OWNER_KEY,
    Owner,
    new_claim,
    parse_claim,
    parse_owner,
    with_claim,
)

FILE_PREFIX = "orchestrator--"
PATH_ATTRIBUTE = "orchestrator.path"
SHA_ATTRIBUTE = "orchestrator.sha256"
AUTO_CHUNKING = {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}
EXTERNAL = "(external) "  # a file the project did not upload: referenced by id, or attached by hand
INGEST_TIMEOUT_S = 300.0
ATTACH_RETRY_S = 60.0
READ_CONCURRENCY = 8
PAGE_SIZE = 100
FILES_PAGE_SIZE = 10_000  # /files pages up to 10,000
# an unused duplicate store another apply made is left alone this long (server clock): that apply
# may still be filling it; after that it is taken for abandoned (a crashed run) and deleted
ABANDONED_STORE_S = 3600
FILE_CONCURRENCY = 4  # uploads and attaches of one store at once (stores themselves run in parallel)


class KnowledgeError(Exception):
    """A knowledge file could not be uploaded, attached or ingested."""


def remote_filename(project: str, path: str, sha256: str) -> str:
    return f"{FILE_PREFIX}{project}--{sha256[:16]}--{path.replace('/', '__')}"


def parse_remote_filename(name: str) -> tuple[str, str, str] | None:
    """(project, sha16, path) of a file uploaded by orchestrator, else None."""
    if not name.startswith(FILE_PREFIX):
        return None
    parts = name[len(FILE_PREFIX):].split("--", 2)
    if len(parts) != 3:
        return None
    project, sha16, path = parts
    return project, sha16, path.replace("__", "/")


# -- essences (pure) ---------------------------------------------------------------------------


def desired_knowledge(spec: Any) -> dict[str, Any] | None:
    if spec.knowledge_vector_store:
        return {"vector_store_id": spec.knowledge_vector_store}
    if not spec.knowledge_files:
        return None
    chunking = dict(spec.knowledge_chunking) if spec.knowledge_chunking else None
    if chunking == AUTO_CHUNKING:
        chunking = None
    return {
        "files": {f.path: {"sha256": f.sha256, "bytes": f.size} for f in spec.knowledge_files},
        "chunking": chunking,
    }


def desired_code_files(spec: Any) -> dict[str, Any] | None:
    if not spec.code_files and not spec.code_file_ids:
        return None
    # code files keep a 16-character hash prefix (all their filename holds), on both sides
    files: dict[str, Any] = {f.path: {"sha256": f.sha256[:16], "bytes": f.size} for f in spec.code_files}
    files.update({EXTERNAL + file_id: {"sha256": None, "bytes": None} for file_id in spec.code_file_ids})
    return dict(sorted(files.items()))


@dataclass(frozen=True, slots=True)
class RemoteFile:
    id: str
    filename: str
    bytes: int
    created_at: int
    project: str | None = None
    sha16: str | None = None
    path: str | None = None


@dataclass(frozen=True, slots=True)
class StoreFile:
    file_id: str
    status: str
    path: str | None
    sha256: str | None
    chunking: Mapping[str, Any] | None
    last_error: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Store:
    id: str
    owner: Owner
    files: tuple[StoreFile, ...]
    created_at: int
    claim: str | None = None  # the claim token of the apply run that created it


@dataclass(frozen=True, slots=True)
class KnowledgeView:
    """What is live: the project's uploaded files and its owned vector stores with their files."""

    project: str
    files: Mapping[str, RemoteFile] = field(default_factory=dict)  # by file id
    stores: Mapping[tuple[str, str], Store] = field(default_factory=dict)  # by (environment, spec)
    extra_stores: tuple[Store, ...] = ()  # duplicates of an owned store (a lost create), newest first

    def store_for(self, owner: Owner) -> Store | None:
        return self.stores.get((owner.environment, owner.spec))

    def live_knowledge(self, raw: Mapping[str, Any], owner: Owner | None) -> dict[str, Any] | None:
        ids = ((raw.get("tool_resources") or {}).get("file_search") or {}).get("vector_store_ids") or []
        if not ids:
            return None
        store = self.store_for(owner) if owner else None
        if store is None or ids != [store.id]:
            return {"vector_store_id": ids[0]}
        files: dict[str, Any] = {}
        chunkings: list[Any] = []
        for item in store.files:
            remote = self.files.get(item.file_id)
            if item.path and item.sha256:
                files[item.path] = {"sha256": item.sha256, "bytes": remote.bytes if remote else None}
                chunkings.append(_chunking(item.chunking))
            else:
                files[EXTERNAL + item.file_id] = {"sha256": None, "bytes": remote.bytes if remote else None}
        chunking = chunkings[0] if chunkings and all(c == chunkings[0] for c in chunkings) else None
        return {"files": dict(sorted(files.items())), "chunking": chunking}

    def live_code_files(self, raw: Mapping[str, Any]) -> dict[str, Any] | None:
        ids = ((raw.get("tool_resources") or {}).get("code_interpreter") or {}).get("file_ids") or []
        if not ids:
            return None
        result: dict[str, Any] = {}
        for file_id in ids:
            remote = self.files.get(file_id)
            if remote is not None and remote.path and remote.project == self.project:
                result[remote.path] = {"sha256": _full_sha(remote), "bytes": remote.bytes}
            else:  # not ours: known by id only (its size is not part of what a spec says)
                result[EXTERNAL + file_id] = {"sha256": None, "bytes": None}
        return dict(sorted(result.items()))

    def fingerprint_part(self, owner: Owner | None) -> Any:
        store = self.store_for(owner) if owner else None
        if store is None:
            return None
        return [store.id, sorted((f.file_id, f.status, f.path, f.sha256) for f in store.files)]


def _full_sha(remote: RemoteFile) -> str | None:
    """Code files keep only a 16-character hash prefix in their filename; compare on that prefix."""
    return remote.sha16


def _chunking(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not value:
        return None
    static = value.get("static") if value.get("type") == "static" else None
    if not static:
        return None
    chunking = {"max_chunk_size_tokens": static.get("max_chunk_size_tokens"),
                "chunk_overlap_tokens": static.get("chunk_overlap_tokens")}
    return None if chunking == AUTO_CHUNKING else chunking


def needs_view(specs: Iterable[Any], raws: Iterable[Mapping[str, Any]]) -> bool:
    """Read files and vector stores only when a spec or a live object uses them."""
    if any(s.knowledge_files or s.knowledge_vector_store or s.code_files or s.code_file_ids for s in specs):
        return True
    for raw in raws:
        resources = raw.get("tool_resources") or {}
        if (resources.get("file_search") or {}).get("vector_store_ids") or \
                (resources.get("code_interpreter") or {}).get("file_ids"):
            return True
    return False


# -- reading and writing (openai SDK) -----------------------------------------------------------


class KnowledgeSync:
    """Reads and changes files and vector stores through the openai SDK."""

    def __init__(self, sdk: Any, project: str, environment: str, *, root: Any = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.sdk = sdk
        self.project = project
        self.environment = environment
        self.root = root
        self.sleep = sleep
        self.claim = new_claim()  # written on the stores this run creates: a lost create finds only its own
        self._lock = threading.Lock()
        self._uploads: dict[tuple[str, str], str] = {}  # (path, sha16) -> file id
        self._upload_locks: dict[tuple[str, str], threading.Lock] = {}
        self.view: KnowledgeView | None = None
        self.progress: Callable[[str], None] | None = None  # told what a long wait waits for

    # reading

    def read(self, assistants: Iterable[Mapping[str, Any]] = ()) -> KnowledgeView:
        """Read files and owned stores; of two stores claiming one spec, the one an assistant uses wins."""
        referenced = {store_id for raw in assistants for store_id in _store_ids(raw)}
        files: dict[str, RemoteFile] = {}
        for item in self._files():
            filename = _text(item.get("filename")) or ""
            parsed = parse_remote_filename(filename)
            remote = RemoteFile(item["id"], filename, _int(item.get("bytes")), _int(item.get("created_at")),
                                *(parsed or (None, None, None)))
            files[item["id"]] = remote
        stores: dict[tuple[str, str], Store] = {}
        extra: list[Store] = []
        owned = []
        for item in self._stores():
            owner = parse_owner(item.get("metadata") or {})
            if owner is not None and owner.project == self.project:
                owned.append((item, owner))
        # each store's file list is one paged read; read them concurrently
        with ThreadPoolExecutor(max_workers=READ_CONCURRENCY, thread_name_prefix="knowledge-read") as pool:
            listings = list(pool.map(lambda pair: tuple(self._store_files(pair[0]["id"])), owned))
        found = [Store(item["id"], owner, files, _int(item.get("created_at")), parse_claim(item.get("metadata")))
                 for (item, owner), files in zip(owned, listings, strict=True)]
        for store in sorted(found, key=lambda s: (s.id not in referenced, s.created_at, s.id)):
            key = (store.owner.environment, store.owner.spec)
            if key in stores:
                extra.append(store)
            else:
                stores[key] = store
        self.view = KnowledgeView(self.project, files, stores, tuple(extra))
        with self._lock:
            for remote in sorted(files.values(), key=lambda r: (r.created_at, r.id), reverse=True):
                if remote.project == self.project and remote.path and remote.sha16:
                    self._uploads[(remote.path, remote.sha16)] = remote.id
        return self.view

    def _store_files(self, store_id: str) -> Iterable[StoreFile]:
        for item in self._list(self.sdk.vector_stores.files, VECTOR_STORE_FILE, store_id, order="asc"):
            attributes = item.get("attributes") or {}
            chunking = item.get("chunking_strategy") or None
            error = item.get("last_error") or None
            yield StoreFile(item["id"], _text(item.get("status")) or "", _text(attributes.get(PATH_ATTRIBUTE)),
                            _text(attributes.get(SHA_ATTRIBUTE)), _mapping(chunking), _mapping(error))

    def _files(self) -> list[dict[str, Any]]:
        return self._list(self.sdk.files, FILE, purpose="assistants", page_size=FILES_PAGE_SIZE)

    def _stores(self) -> list[dict[str, Any]]:
        return self._list(self.sdk.vector_stores, VECTOR_STORE, order="asc")

    @staticmethod
    def _list(resource: Any, shape: Shape, *args: Any, page_size: int = PAGE_SIZE, **params: Any) -> list[dict[str, Any]]:
        """A guarded paged read of wire JSON: envelope, objects and cursor checked (wire.read_list)."""
        def fetch(query: dict[str, Any]) -> Any:
            return resource.with_raw_response.list(*args, limit=page_size, **params, **query).http_response

        return read_list(fetch, shape, page_size=page_size)

    # writing

    def tool_resources(self, spec_name: str, essence: Mapping[str, Any]) -> dict[str, Any]:
        """Upload, attach and ingest what the essence asks for; the assistant's tool_resources."""
        resources: dict[str, Any] = {}
        knowledge = essence.get("knowledge")
        if knowledge and "vector_store_id" in knowledge:
            resources["file_search"] = {"vector_store_ids": [knowledge["vector_store_id"]]}
        elif knowledge:
            store_id = self._sync_store(spec_name, knowledge)
            resources["file_search"] = {"vector_store_ids": [store_id]}
        else:
            resources["file_search"] = {"vector_store_ids": []}
        code = essence.get("code_files") or {}
        resources["code_interpreter"] = {"file_ids": [
            path[len(EXTERNAL):] if path.startswith(EXTERNAL) else self._upload(path, meta["sha256"])
            for path, meta in sorted(code.items())]}
        return resources

    def _sync_store(self, spec_name: str, knowledge: Mapping[str, Any]) -> str:
        owner = Owner(self.project, self.environment, spec_name)
        view = self.view or KnowledgeView(self.project)
        store = view.store_for(owner)
        if store is None:
            store = self._create_store(owner)
        wanted: dict[str, str] = {path: meta["sha256"] for path, meta in knowledge["files"].items()}
        chunking = knowledge.get("chunking")
        strategy = {"type": "static", "static": dict(chunking)} if chunking else {"type": "auto"}
        keep: set[str] = set()
        for item in store.files:
            want = wanted.get(item.path or "")
            same_chunking = _chunking(item.chunking) == (dict(chunking) if chunking else None)
            if want and item.sha256 == want and item.status != "failed" and same_chunking:
                keep.add(item.path or "")
            else:
                self._call(lambda i=item: self.sdk.vector_stores.files.delete(i.file_id, vector_store_id=store.id),
                           ignore_missing=True)
        def add(item: tuple[str, str]) -> tuple[str, str]:
            path, sha = item
            file_id = self._upload(path, sha)
            self._attach(store.id, file_id, path, sha, strategy)
            return path, file_id

        missing = [(path, sha) for path, sha in sorted(wanted.items()) if path not in keep]
        with ThreadPoolExecutor(max_workers=FILE_CONCURRENCY, thread_name_prefix="knowledge-file") as pool:
            attached = list(pool.map(add, missing))
        self._wait_for_ingestion(store.id, attached)
        return store.id

    def _create_store(self, owner: Owner) -> Store:
        """Create the spec's store without blind retries: a store whose response was lost is adopted."""
        import openai

        from orchestrator.backends.wire import read_object

        sdk = self.sdk.with_options(max_retries=0)
        metadata = with_claim({OWNER_KEY: owner.label(), HASH_KEY: ""}, self.claim)
        for attempt in range(6):
            try:
                response = sdk.vector_stores.with_raw_response.create(
                    name=f"{owner.project}/{owner.environment}/{owner.spec}", metadata=metadata).http_response
                created = read_object(response, VECTOR_STORE)
                return Store(created["id"], owner, (), _int(created.get("created_at")))
            except (openai.APIConnectionError, openai.InternalServerError, openai.RateLimitError) as exc:
                self.sleep(min(0.25 * 2**attempt, 4.0))
                if isinstance(exc, openai.RateLimitError):
                    continue
                for item in self._stores():  # a lost response: adopt the store this run made, never another's
                    item_metadata = item.get("metadata") or {}
                    if parse_owner(item_metadata) == owner and parse_claim(item_metadata) == self.claim:
                        return Store(item["id"], owner, (), _int(item.get("created_at")))
        raise KnowledgeError(f"{owner.spec}: could not create its vector store after retries")

    def _upload(self, path: str, sha256: str) -> str:
        key = (path, sha256[:16])
        with self._lock:
            lock = self._upload_locks.setdefault(key, threading.Lock())
        with lock:  # a file shared by several specs is uploaded once
            with self._lock:
                known = self._uploads.get(key)
            if known:
                return known
            file_id = self._upload_once(path, sha256)
            with self._lock:
                self._uploads[key] = file_id
            return file_id

    def _upload_once(self, path: str, sha256: str) -> str:
        import hashlib

        import openai

        if self.root is None:
            raise KnowledgeError(f"{path}: no project root to read the file from")
        data = (self.root / path).read_bytes()
        if not hashlib.sha256(data).hexdigest().startswith(sha256):
            raise KnowledgeError(f"{path} changed since the plan was made; run diff again")
        name = remote_filename(self.project, path, sha256)
        sdk = self.sdk.with_options(max_retries=0)
        for attempt in range(6):
            try:
                return sdk.files.create(file=(name, data), purpose="assistants").id
            except (openai.APIConnectionError, openai.InternalServerError, openai.RateLimitError) as exc:
                self.sleep(min(0.25 * 2**attempt, 4.0))
                if not isinstance(exc, openai.RateLimitError):
                    for item in self._files():  # a lost response: adopt the upload
                        if item.get("filename") == name:
                            return str(item["id"])
        raise KnowledgeError(f"{path}: upload failed after retries")

    def _attach(self, store_id: str, file_id: str, path: str, sha256: str, strategy: dict[str, Any]) -> None:
        import openai

        deadline = time.monotonic() + ATTACH_RETRY_S
        delay = 0.05
        while True:
            try:
                self.sdk.vector_stores.files.create(
                    store_id, file_id=file_id, chunking_strategy=strategy,
                    attributes={PATH_ATTRIBUTE: path, SHA_ATTRIBUTE: sha256})
                return
            except openai.BadRequestError as exc:  # attaching right after upload races ingestion
                if "processed" not in str(exc.message).lower() or time.monotonic() > deadline:
                    raise KnowledgeError(f"{path}: cannot attach to vector store {store_id}: {exc.message}") from None
            self.sleep(delay)
            delay = min(delay * 2, 2.0)

    def _wait_for_ingestion(self, store_id: str, attached: list[tuple[str, str]]) -> None:
        deadline = time.monotonic() + INGEST_TIMEOUT_S
        pending = dict(attached)
        delay = 0.02
        while pending:
            # one paged list per round reads every file's status (not one retrieve per file)
            statuses = {item.file_id: item for item in self._store_files(store_id)}
            for path, file_id in list(pending.items()):
                item = statuses.get(file_id)
                if item is None:
                    raise KnowledgeError(f"{path}: detached from vector store {store_id} while it was ingested")
                if item.status == "completed":
                    pending.pop(path)
                elif item.status in ("failed", "cancelled"):
                    reason = _text((item.last_error or {}).get("message")) or item.status
                    raise KnowledgeError(f"{path}: ingestion {item.status}: {reason}")
            if not pending:
                return
            if time.monotonic() > deadline:
                raise KnowledgeError("ingestion did not finish in time: " + ", ".join(sorted(pending)))
            if self.progress is not None:
                count = len(pending)
                self.progress(f"waiting for ingestion of {count} file{'s' if count != 1 else ''} "
                              f"in vector store {store_id}")
            self.sleep(delay)
            delay = min(delay * 2, 2.0)

    def remove_store(self, spec_name: str) -> None:
        view = self.view or KnowledgeView(self.project)
        store = view.store_for(Owner(self.project, self.environment, spec_name))
        if store is not None:
            self._call(lambda: self.sdk.vector_stores.delete(store.id), ignore_missing=True)

    def collect_garbage(self, assistants: Iterable[Mapping[str, Any]]) -> list[str]:
        """Delete the project's uploaded files that nothing uses any more (and duplicate stores)."""
        assistants = list(assistants)
        view = self.read(assistants)
        referenced = {store_id for raw in assistants for store_id in _store_ids(raw)}
        used: set[str] = set()
        for store in view.stores.values():
            used.update(f.file_id for f in store.files)
        for raw in assistants:
            used.update(((raw.get("tool_resources") or {}).get("code_interpreter") or {}).get("file_ids") or [])
        newest = max([s.created_at for s in (*view.stores.values(), *view.extra_stores)]
                     + [f.created_at for f in view.files.values()], default=0)
        for store in view.extra_stores:
            in_flight = store.claim not in (None, self.claim) and newest - store.created_at < ABANDONED_STORE_S
            if store.id in referenced or in_flight:  # never pull a store from an assistant or a running apply
                used.update(f.file_id for f in store.files)
            elif store.owner.environment == self.environment:
                self._call(lambda s=store: self.sdk.vector_stores.delete(s.id), ignore_missing=True)
        deleted = []
        for remote in view.files.values():
            if remote.project == self.project and remote.id not in used:
                self._call(lambda r=remote: self.sdk.files.delete(r.id), ignore_missing=True)
                deleted.append(remote.id)
        return deleted

    def _call(self, action: Callable[[], Any], *, ignore_missing: bool = False) -> Any:
        import openai

        try:
            return action()
        except openai.NotFoundError:
            if not ignore_missing:
                raise
            return None


def _store_ids(raw: Mapping[str, Any]) -> list[str]:
    return ((raw.get("tool_resources") or {}).get("file_search") or {}).get("vector_store_ids") or []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _mapping(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None
