"""Knowledge files and vector stores as kinds of the resource graph (`file <path>`, `vector_store <spec>`).

Identity of an uploaded file is (project-relative path, SHA-256 of its bytes), kept in its
filename (`orchestrator--<project>--<sha16>--<path with / as __>`) and, once attached, in the
vector-store file's attributes. One vector store per spec, owned through its metadata. Live
state is read back on every plan, so files added or removed by hand show as drift.

The graph: an assistant uses its `vector_store` (named by spec) and its code `file`s, a vector store uses
its `file`s; apply uploads files first, then fills stores, then points assistants at them, and deletes
in reverse (assistant, store, then the uploads no live object of any environment uses any more).
One read (KnowledgeSync.read: /files and /vector_stores at once, then each store's files) serves the
assistants' essences and both kinds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from orchestrator.backends.wire import (
    ENVIRONMENT_TEMPLATE,
    FILE,
    VECTOR_STORE,
    VECTOR_STORE_FILE,
    Shape,
    read_list,
)
from orchestrator.engine.knowledge_planning import FILE_KIND, VECTOR_STORE_KIND, plan_files, plan_stores
from orchestrator.engine.live import Client, Kind, LiveObject, References, ResourceView
from orchestrator.engine.ownership import (
    Digests,
    Owner,
    digest,
    new_claim,
    parse_claim,
    parse_name_stamp,
    parse_owner,
    with_claim,
)

if TYPE_CHECKING:  # the SDK is imported where a call needs it; desired values are only named here
    from openai import OpenAI

    from orchestrator.engine.desired import DesiredFile, DesiredSpec, DesiredVectorStore

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
    parts = name[len(FILE_PREFIX) :].split("--", 2)
    if len(parts) != 3:
        return None
    project, sha16, path = parts
    return project, sha16, path.replace("__", "/")


# -- essences (pure) ---------------------------------------------------------------------------


def desired_knowledge(spec: DesiredSpec) -> dict[str, Any] | None:
    """An assistant's knowledge: its own store by spec name (`vector_store <spec>`), or a store named by id."""
    if spec.knowledge_vector_store:
        return {"vector_store_id": spec.knowledge_vector_store}
    if not spec.knowledge_files:
        return None
    return {"vector_store": spec.name}


def desired_store(store: DesiredVectorStore) -> dict[str, Any]:
    """The essence of a `vector_store` node: the spec's knowledge, its files by project path and hash and the
    chunking (under `knowledge`, so that plans name them `knowledge.files.<path>` as they always did)."""
    chunking = dict(store.chunking) if store.chunking else None
    if chunking == AUTO_CHUNKING:
        chunking = None
    return {
        "knowledge": {
            "files": {f.path: {"sha256": f.sha256, "bytes": f.size} for f in store.files},
            "chunking": chunking,
        }
    }


def assistant_references(essence: Mapping[str, Any]) -> list[tuple[str, str]]:
    """An assistant essence's store (by spec name) and code files (by path)."""
    found: list[tuple[str, str]] = []
    knowledge = essence.get("knowledge") or {}
    if knowledge.get("vector_store"):
        found.append((VECTOR_STORE_KIND, knowledge["vector_store"]))
    found.extend(
        (FILE_KIND, path) for path in sorted(essence.get("code_files") or {}) if not path.startswith(EXTERNAL)
    )
    return found


def desired_code_files(spec: DesiredSpec) -> dict[str, Any] | None:
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
    raw: Mapping[str, Any] = field(
        default_factory=dict
    )  # the store as listed (the `vector_store` kind's object)


@dataclass(frozen=True, slots=True)
class KnowledgeView:
    """What is live: the project's uploaded files and its owned vector stores with their files."""

    project: str
    files: Mapping[str, RemoteFile] = field(default_factory=dict)  # by file id
    stores: Mapping[tuple[str, str], Store] = field(default_factory=dict)  # by (environment, spec)
    extra_stores: tuple[Store, ...] = ()  # duplicates of an owned store (a lost create), newest first
    # file id -> who uses it live: (environment, kind, spec) of stores and assistants of the project
    users: Mapping[str, tuple[tuple[str, str, str], ...]] = field(default_factory=dict)
    referenced: frozenset[str] = frozenset()  # store ids a live assistant points at

    def store_for(self, owner: Owner) -> Store | None:
        return self.stores.get((owner.environment, owner.spec))

    def uploads(self) -> Iterator[tuple[RemoteFile, tuple[tuple[str, str, str], ...]]]:
        """The project's uploads and who uses each: the `file` kind's live objects."""
        for remote in self.files.values():
            if remote.project == self.project and remote.path:
                yield remote, self.users.get(remote.id, ())

    def store_by_id(self, store_id: str) -> Store | None:
        return next((s for s in (*self.stores.values(), *self.extra_stores) if s.id == store_id), None)

    def live_knowledge(self, raw: Mapping[str, Any], owner: Owner | None) -> dict[str, Any] | None:
        """An assistant's store as its essence names it: its own store by spec name, any other by id."""
        ids = ((raw.get("tool_resources") or {}).get("file_search") or {}).get("vector_store_ids") or []
        if not ids:
            return None
        store = self.store_for(owner) if owner else None
        if store is None or ids != [store.id]:
            return {"vector_store_id": ids[0]}
        return {"vector_store": store.owner.spec}

    def store_essence(self, store: Store) -> dict[str, Any]:
        """A `vector_store` node's live essence: its files by path and hash (others by id), the chunking."""
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
        return {"knowledge": {"files": dict(sorted(files.items())), "chunking": chunking}}

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

    def fingerprint_part(self, owner: Owner | None) -> object:
        store = self.store_for(owner) if owner else None
        if store is None:
            return None
        return [store.id, sorted((f.file_id, f.status, f.path, f.sha256) for f in store.files)]


def assistant_uses(raw: Mapping[str, Any], project: str) -> Iterator[tuple[str, tuple[str, str, str]]]:
    """(file id, user) of each code file of a live assistant; another project's assistant (or one owned by no
    project) is a user of environment "", which no environment of ours ever frees."""
    owner = parse_owner(raw.get("metadata") or {})
    who = (
        (owner.environment, "assistant", owner.spec)
        if owner and owner.project == project
        else ("", "assistant", str(raw.get("id")))
    )
    for file_id in ((raw.get("tool_resources") or {}).get("code_interpreter") or {}).get("file_ids") or []:
        yield str(file_id), who


def template_uses(raw: Mapping[str, Any], project: str) -> Iterator[tuple[str, tuple[str, str, str]]]:
    """(file id, user) of each uploaded file of a live environment template (ownership in its name)."""
    owner = parse_owner(parse_name_stamp(raw.get("name")))
    who = (
        (owner.environment, "environment", owner.spec)
        if owner and owner.project == project
        else ("", "environment", str(raw.get("id")))
    )
    for entry in raw.get("files") or []:
        if entry.get("type") == "file_id":
            yield str(entry.get("file_id")), who


def freed_by_destroy(users: Iterable[Sequence[str]], environment: str, destroyed: Iterable[str]) -> bool:
    """Whether destroying every object of `environment` of the kinds `destroyed` leaves an upload unused: each
    of its users is one of those objects (another environment's, another project's, or an object of a kind
    this destroy does not delete, such as the other protocol's on a server that speaks both, keeps it)."""
    kinds = set(destroyed)
    return all(user[0] == environment and user[1] in kinds for user in users)


def _full_sha(remote: RemoteFile) -> str | None:
    """Code files keep only a 16-character hash prefix in their filename; compare on that prefix."""
    return remote.sha16


def _chunking(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not value:
        return None
    static = value.get("static") if value.get("type") == "static" else None
    if not static:
        return None
    chunking = {
        "max_chunk_size_tokens": static.get("max_chunk_size_tokens"),
        "chunk_overlap_tokens": static.get("chunk_overlap_tokens"),
    }
    return None if chunking == AUTO_CHUNKING else chunking


def needs_view(specs: Iterable[Any], raws: Iterable[Mapping[str, Any]]) -> bool:
    """Read files and vector stores only when a spec or a live object uses them."""
    if any(s.knowledge_files or s.knowledge_vector_store or s.code_files or s.code_file_ids for s in specs):
        return True
    for raw in raws:
        resources = raw.get("tool_resources") or {}
        if (resources.get("file_search") or {}).get("vector_store_ids") or (
            resources.get("code_interpreter") or {}
        ).get("file_ids"):
            return True
    return False


# -- reading and writing (openai SDK) -----------------------------------------------------------


class KnowledgeSync:
    """Reads and changes files and vector stores through the openai SDK; the registry of their live ids
    (by path and hash, by spec) that the graph's clients share within one run."""

    def __init__(
        self,
        sdk: OpenAI,
        project: str,
        environment: str,
        *,
        root: Path | None = None,
        sleep: Callable[[float], None] = time.sleep,
        templates: bool = False,
    ) -> None:
        self.sdk = sdk
        # the server speaks the Agents API too (the `local` emulator, one database for both protocols): the
        # environment templates using an upload count as its users, so it is never freed under them
        self.templates = templates
        self.project = project
        self.environment = environment
        self.root = root
        self.sleep = sleep
        self.claim = new_claim()  # stores created outside an apply's claim (none today) carry this one
        self._lock = threading.Lock()
        self._uploads: dict[tuple[str, str], str] = {}  # (path, sha16) -> file id
        self._upload_locks: dict[tuple[str, str], threading.Lock] = {}
        self._store_ids: dict[str, str] = {}  # spec -> the id of its store in this environment
        self.view: KnowledgeView | None = None
        self.progress: Callable[[str], None] | None = None  # told what a long wait waits for
        self.assistants: Client | None = (
            None  # the assistants client: garbage collection reads which files they use
        )

    # reading

    def read(self, assistants: Iterable[Mapping[str, Any]] = ()) -> KnowledgeView:
        """Read files and owned stores (the two listings at once, then each store's files concurrently); of two
        stores claiming one spec the oldest is the spec's, as for every kind."""
        assistants = list(assistants)
        with ThreadPoolExecutor(max_workers=READ_CONCURRENCY, thread_name_prefix="knowledge-read") as pool:
            listed_files = pool.submit(self._files)
            listed_stores = pool.submit(self._stores)
            listed_templates = pool.submit(self._templates) if self.templates else None
            owned = []
            for item in listed_stores.result():
                owner = parse_owner(item.get("metadata") or {})
                if owner is not None and owner.project == self.project:
                    owned.append((item, owner))
            # each store's file list is one paged read; read them concurrently
            listings = list(pool.map(lambda pair: tuple(self._store_files(pair[0]["id"])), owned))
            files: dict[str, RemoteFile] = {}
            for item in listed_files.result():
                filename = _text(item.get("filename")) or ""
                parsed = parse_remote_filename(filename)
                files[item["id"]] = RemoteFile(
                    item["id"],
                    filename,
                    _int(item.get("bytes")),
                    _int(item.get("created_at")),
                    *(parsed or (None, None, None)),
                )
        found = [
            Store(
                item["id"],
                owner,
                store_files,
                _int(item.get("created_at")),
                parse_claim(item.get("metadata")),
                item,
            )
            for (item, owner), store_files in zip(owned, listings, strict=True)
        ]
        referenced = {store_id for raw in assistants for store_id in _store_ids(raw)}
        stores: dict[tuple[str, str], Store] = {}
        extra: list[Store] = []
        # of two stores claiming a spec, the one an assistant uses is the spec's, else the oldest (stable: the
        # listing is oldest first); planning and apply's duplicate check rank them the same way
        for store in sorted(found, key=lambda s: (s.id not in referenced, s.created_at)):
            key = (store.owner.environment, store.owner.spec)
            if key in stores:
                extra.append(store)
            else:
                stores[key] = store
        users: dict[str, list[tuple[str, str, str]]] = {}
        for store in found:
            for item in store.files:
                users.setdefault(item.file_id, []).append(
                    (store.owner.environment, VECTOR_STORE_KIND, store.owner.spec)
                )
        for raw in assistants:
            for file_id, who in assistant_uses(raw, self.project):
                users.setdefault(file_id, []).append(who)
        for template in listed_templates.result() if listed_templates is not None else ():
            for file_id, who in template_uses(template, self.project):
                users.setdefault(file_id, []).append(who)
        return self.adopt(
            KnowledgeView(
                self.project,
                files,
                stores,
                tuple(extra),
                {k: tuple(sorted(set(v))) for k, v in users.items()},
                frozenset(referenced),
            )
        )

    def adopt(self, view: KnowledgeView) -> KnowledgeView:
        """Take view as what is live: the ids of its uploads and this environment's stores, for references."""
        self.view = view
        with self._lock:
            for remote in sorted(view.files.values(), key=lambda r: (r.created_at, r.id), reverse=True):
                if remote.project == self.project and remote.path and remote.sha16:
                    self._uploads[(remote.path, remote.sha16)] = remote.id  # the oldest copy wins
            for (environment, spec), store in view.stores.items():
                if environment == self.environment:
                    self._store_ids[spec] = store.id
        return view

    def _store_files(self, store_id: str) -> Iterable[StoreFile]:
        for item in self._list(self.sdk.vector_stores.files, VECTOR_STORE_FILE, store_id, order="asc"):
            attributes = item.get("attributes") or {}
            chunking = item.get("chunking_strategy") or None
            error = item.get("last_error") or None
            yield StoreFile(
                item["id"],
                _text(item.get("status")) or "",
                _text(attributes.get(PATH_ATTRIBUTE)),
                _text(attributes.get(SHA_ATTRIBUTE)),
                _mapping(chunking),
                _mapping(error),
            )

    def _files(self) -> list[dict[str, Any]]:
        return self._list(self.sdk.files, FILE, purpose="assistants", page_size=FILES_PAGE_SIZE)

    def _stores(self) -> list[dict[str, Any]]:
        return self._list(self.sdk.vector_stores, VECTOR_STORE, order="asc")

    def _templates(self) -> list[dict[str, Any]]:
        return self._list(self.sdk.beta.agents.environments.templates, ENVIRONMENT_TEMPLATE, order="asc")

    @staticmethod
    def _list(
        resource: Any, shape: Shape, *args: Any, page_size: int = PAGE_SIZE, **params: Any
    ) -> list[dict[str, Any]]:
        """A guarded paged read of wire JSON: envelope, objects and cursor checked (wire.read_list)."""

        def fetch(query: dict[str, Any]) -> Any:
            return resource.with_raw_response.list(*args, limit=page_size, **params, **query).http_response

        return read_list(fetch, shape, page_size=page_size)

    # resolving references (the assistant's tool_resources)

    def tool_resources(self, spec_name: str, essence: Mapping[str, Any]) -> dict[str, Any]:
        """The assistant's tool_resources: the ids of the store and files its essence names (the graph made
        them first), or the store named by id."""
        resources: dict[str, Any] = {}
        knowledge = essence.get("knowledge")
        if knowledge and "vector_store_id" in knowledge:
            resources["file_search"] = {"vector_store_ids": [knowledge["vector_store_id"]]}
        elif knowledge and "vector_store" in knowledge:
            resources["file_search"] = {"vector_store_ids": [self.store_id(knowledge["vector_store"])]}
        elif knowledge:
            raise KnowledgeError(
                f"{spec_name}: the plan names knowledge files in an older form; run diff again"
            )
        else:
            resources["file_search"] = {"vector_store_ids": []}
        code = essence.get("code_files") or {}
        resources["code_interpreter"] = {
            "file_ids": [
                path[len(EXTERNAL) :] if path.startswith(EXTERNAL) else self.upload(path, meta["sha256"])
                for path, meta in sorted(code.items())
            ]
        }
        return resources

    def store_id(self, spec_name: str) -> str:
        with self._lock:
            found = self._store_ids.get(spec_name)
        if found is None:
            raise KnowledgeError(f"the vector store of `{spec_name}` has no live object yet")
        return found

    # vector stores (the `vector_store` kind)

    def create_store(self, owner: Owner, metadata: Mapping[str, str]) -> Store:
        """Create the spec's store without blind retries: a store whose response was lost is adopted by the
        claim in its metadata (this run's, never another's)."""
        import openai

        from orchestrator.backends.wire import read_object

        sdk = self.sdk.with_options(max_retries=0)
        metadata = dict(metadata)
        claim = parse_claim(metadata)
        if claim is None:
            metadata = with_claim(metadata, self.claim)
            claim = self.claim
        for attempt in range(6):
            try:
                response = sdk.vector_stores.with_raw_response.create(
                    name=f"{owner.project}/{owner.environment}/{owner.spec}", metadata=metadata
                ).http_response
                created = read_object(response, VECTOR_STORE)
                return Store(created["id"], owner, (), _int(created.get("created_at")), claim, created)
            except (openai.APIConnectionError, openai.InternalServerError, openai.RateLimitError) as exc:
                self.sleep(min(0.25 * 2**attempt, 4.0))
                if isinstance(exc, openai.RateLimitError):
                    continue
                for item in self._stores():  # a lost response: adopt the store this run made, never another's
                    item_metadata = item.get("metadata") or {}
                    if parse_owner(item_metadata) == owner and parse_claim(item_metadata) == claim:
                        return Store(item["id"], owner, (), _int(item.get("created_at")), claim, item)
        raise KnowledgeError(f"{owner.spec}: could not create its vector store after retries")

    def fill_store(
        self, store: Store, files: Mapping[str, Mapping[str, Any]], chunking: Mapping[str, Any] | None
    ) -> None:
        """Detach what the store should not hold, attach what it misses (uploads reused by hash), in batches,
        then wait for ingestion: a file that fails ingestion fails the store."""
        wanted: dict[str, str] = {path: meta["sha256"] for path, meta in files.items()}
        strategy = {"type": "static", "static": dict(chunking)} if chunking else {"type": "auto"}
        keep: set[str] = set()
        for item in store.files:
            want = wanted.get(item.path or "")
            same_chunking = _chunking(item.chunking) == (dict(chunking) if chunking else None)
            if want and item.sha256 == want and item.status != "failed" and same_chunking:
                keep.add(item.path or "")
            else:
                self._call(
                    lambda i=item: self.sdk.vector_stores.files.delete(i.file_id, vector_store_id=store.id),
                    ignore_missing=True,
                )

        def add(item: tuple[str, str]) -> tuple[str, str]:
            path, sha = item
            file_id = self.upload(path, sha)
            self._attach(store.id, file_id, path, sha, strategy)
            return path, file_id

        missing = [(path, sha) for path, sha in sorted(wanted.items()) if path not in keep]
        with ThreadPoolExecutor(max_workers=FILE_CONCURRENCY, thread_name_prefix="knowledge-file") as pool:
            attached = list(pool.map(add, missing))
        self._wait_for_ingestion(store.id, attached)
        with self._lock:
            if store.owner.environment == self.environment:
                self._store_ids[store.owner.spec] = store.id

    # files (the `file` kind)

    def upload(self, path: str, sha256: str) -> str:
        """The id of the project file's upload with this hash: reused when the bytes were uploaded before."""
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
                    store_id,
                    file_id=file_id,
                    chunking_strategy=strategy,
                    attributes={PATH_ATTRIBUTE: path, SHA_ATTRIBUTE: sha256},
                )
                return
            except openai.BadRequestError as exc:  # attaching right after upload races ingestion
                if "processed" not in str(exc.message).lower() or time.monotonic() > deadline:
                    raise KnowledgeError(
                        f"{path}: cannot attach to vector store {store_id}: {exc.message}"
                    ) from None
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
                    raise KnowledgeError(
                        f"{path}: detached from vector store {store_id} while it was ingested"
                    )
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
                self.progress(
                    f"waiting for ingestion of {count} file{'s' if count != 1 else ''} "
                    f"in vector store {store_id}"
                )
            self.sleep(delay)
            delay = min(delay * 2, 2.0)

    def collect_garbage(self) -> list[str]:
        """After an apply that changed files: delete the project's uploads that no store and no assistant uses
        (of any environment), such as a second copy of an upload whose response was lost."""
        assistants = [o.raw for o in self.assistants.list_all()] if self.assistants is not None else []
        view = self.read(assistants)
        used: set[str] = set(view.users)
        deleted = []
        for remote in view.files.values():
            if remote.project == self.project and remote.path and remote.id not in used:
                self._call(lambda r=remote: self.sdk.files.delete(r.id), ignore_missing=True)
                deleted.append(remote.id)
        with self._lock:  # a later apply through this same sync uploads them again
            for key in [k for k, file_id in self._uploads.items() if file_id in deleted]:
                del self._uploads[key]
        return deleted

    def _call(self, action: Callable[[], Any], *, ignore_missing: bool = False) -> Any:
        import openai

        try:
            return action()
        except openai.NotFoundError:
            if not ignore_missing:
                raise
            return None


# -- the graph's kinds ------------------------------------------------------------------------------


class VectorStoresMapping:
    """`vector_store <spec>`: the owned store of an assistant spec's knowledge files."""

    object_kind = VECTOR_STORE_KIND
    write_only: frozenset[str] = frozenset()

    def __init__(self, backend: str = "assistants", view: KnowledgeView | None = None) -> None:
        self.backend = backend
        self.view = view

    def desired_essence(self, spec: DesiredVectorStore) -> dict[str, Any]:
        return desired_store(spec)

    def live_essence(
        self, raw: Mapping[str, Any], view: ResourceView | None = None, references: References | None = None
    ) -> dict[str, Any]:
        view = view or self.view
        store = view.store_by_id(str(raw.get("id"))) if isinstance(view, KnowledgeView) else None
        return (
            view.store_essence(store) if store is not None else {"knowledge": {"files": {}, "chunking": None}}
        )

    def uses(self, essence: Mapping[str, Any]) -> list[tuple[str, str]]:
        files = (essence.get("knowledge") or {}).get("files") or {}
        return [(FILE_KIND, path) for path in sorted(files) if not path.startswith(EXTERNAL)]

    def needs_resources(self, essence: Mapping[str, Any], changed: Sequence[str], creating: bool) -> bool:
        return False

    def create_payload(self, essence: Mapping[str, Any], metadata: Mapping[str, str]) -> dict[str, Any]:
        knowledge = essence["knowledge"]
        return {
            "metadata": dict(metadata),
            "files": dict(knowledge["files"]),
            "chunking": knowledge.get("chunking"),
        }

    def update_payload(
        self, essence: Mapping[str, Any], changed: Sequence[str], metadata: Mapping[str, str]
    ) -> dict[str, Any]:
        return self.create_payload(essence, metadata)


class VectorStoresClient:
    """Vector stores through KnowledgeSync: a create or update fills the store and waits for ingestion; every
    failure is a KnowledgeError (never retried blindly as a create whose response was lost: the store exists)."""

    def __init__(self, sync: KnowledgeSync) -> None:
        self.sync = sync

    def list_all(self) -> list[LiveObject]:
        return [
            LiveObject.from_raw(item)
            for item in self.sync._stores()
            if (owner := parse_owner(item.get("metadata") or {})) is not None
            and owner.project == self.sync.project
        ]

    def objects_in(
        self, view: KnowledgeView | None, objects: Sequence[LiveObject] = ()
    ) -> tuple[LiveObject, ...]:
        if view is None:
            return ()
        stores = sorted((*view.stores.values(), *view.extra_stores), key=lambda s: s.created_at)
        return tuple(
            LiveObject.from_raw(store.raw or {"id": store.id, "created_at": store.created_at})
            for store in stores
        )

    def read_view(self, objects: Sequence[LiveObject], wanted: bool) -> None:
        return None

    def in_use(self) -> set[str]:
        """The stores a live assistant points at (apply's duplicate check keeps those, as planning does)."""
        if self.sync.assistants is None:
            return set()
        return {store_id for o in self.sync.assistants.list_all() for store_id in _store_ids(o.raw)}

    def retrieve(self, object_id: str) -> LiveObject | None:
        return next((o for o in self.list_all() if o.id == object_id), None)

    def create(self, payload: Mapping[str, Any]) -> LiveObject:
        owner = parse_owner(payload["metadata"])
        assert owner is not None
        try:
            store = self.sync.create_store(owner, payload["metadata"])
            self.sync.fill_store(store, payload["files"], payload.get("chunking"))
        except KnowledgeError:
            raise
        except Exception as exc:  # the store may exist: the next plan reads it back and fills it
            raise KnowledgeError(f"vector store of `{owner.spec}`: {_describe(exc)}") from None
        return LiveObject.from_raw(store.raw)

    def update(self, object_id: str, payload: Mapping[str, Any]) -> LiveObject:
        view = self.sync.view or KnowledgeView(self.sync.project)
        owner = parse_owner(payload["metadata"])
        assert owner is not None
        store = view.store_by_id(object_id) or Store(object_id, owner, (), 0)
        try:
            self.sync.fill_store(store, payload["files"], payload.get("chunking"))
            updated = self.sync.sdk.vector_stores.with_raw_response.update(
                object_id, metadata=dict(payload["metadata"])
            ).http_response
        except KnowledgeError:
            raise
        except Exception as exc:
            raise KnowledgeError(f"vector store {object_id}: {_describe(exc)}") from None
        from orchestrator.backends.wire import read_object

        return LiveObject.from_raw(read_object(updated, VECTOR_STORE))

    def delete(self, object_id: str) -> None:
        self.sync._call(lambda: self.sync.sdk.vector_stores.delete(object_id), ignore_missing=True)


class FilesMapping:
    """`file <path>`: a project file uploaded by content hash (immutable: new bytes are a new upload)."""

    object_kind = FILE_KIND
    write_only: frozenset[str] = frozenset()
    claims_once = (
        False  # uploads are versions of a path, never duplicates: apply's duplicate check skips them
    )

    def __init__(self, backend: str = "assistants") -> None:
        self.backend = backend

    def desired_essence(self, spec: DesiredFile) -> dict[str, Any]:
        return {"path": spec.name, "sha256": spec.local.sha256[:16], "bytes": spec.local.size}

    def live_essence(
        self, raw: Mapping[str, Any], view: ResourceView | None = None, references: References | None = None
    ) -> dict[str, Any]:
        return {"path": raw.get("path"), "sha256": raw.get("sha16"), "bytes": raw.get("bytes")}

    def needs_resources(self, essence: Mapping[str, Any], changed: Sequence[str], creating: bool) -> bool:
        return False

    def create_payload(self, essence: Mapping[str, Any], metadata: Mapping[str, str]) -> dict[str, Any]:
        return {"path": essence["path"], "sha256": essence["sha256"]}

    def update_payload(
        self, essence: Mapping[str, Any], changed: Sequence[str], metadata: Mapping[str, str]
    ) -> dict[str, Any]:
        return self.create_payload(essence, metadata)


class Uploader(Protocol):
    def upload(self, path: str, sha256: str) -> str: ...


class UploadsView(Protocol):
    """A view that lists the project's uploads and who uses each (KnowledgeView, environments.FilesView)."""

    def uploads(self) -> Iterable[tuple[RemoteFile, tuple[tuple[str, str, str], ...]]]: ...


class FilesClient:
    """The project's uploads under the graph's `file` kind: a create or update uploads (reusing identical
    bytes), a delete removes an upload nothing uses. Objects carry their users, so planning frees only uploads
    no live object of another environment (or of a spec this run leaves alone) still uses."""

    def __init__(
        self, sdk: OpenAI, project: str, environment: str, uploader: Uploader, *, owned: bool = True
    ) -> None:
        self.sdk = sdk
        self.project = project
        self.environment = environment
        self.uploader = uploader
        self.owned = owned  # False: uploads are never deleted through this kind (nor by destroy)

    def list_all(self) -> list[LiveObject]:
        """Fresh uploads of the project, without owners: uploads are versions, never duplicates of each other."""

        def fetch(query: dict[str, Any]) -> Any:
            return self.sdk.files.with_raw_response.list(
                limit=FILES_PAGE_SIZE, purpose="assistants", **query
            ).http_response

        found = []
        for item in read_list(fetch, FILE, page_size=FILES_PAGE_SIZE):
            parsed = parse_remote_filename(str(item.get("filename") or ""))
            if parsed is not None and parsed[0] == self.project:
                found.append(LiveObject(str(item["id"]), _int(item.get("created_at")), item))
        return found

    def objects_in(
        self, view: UploadsView | None, objects: Sequence[LiveObject] = ()
    ) -> tuple[LiveObject, ...]:
        """The project's uploads in a knowledge view (or a FilesView), each with who uses it."""
        if view is None:
            return ()
        found = (
            file_object(self.project, self.environment, remote, users) for remote, users in view.uploads()
        )
        if not self.owned:
            found = (LiveObject(o.id, o.created_at, o.raw) for o in found)
        return tuple(sorted(found, key=lambda o: (o.created_at, o.id)))

    def read_view(self, objects: Sequence[LiveObject], wanted: bool) -> None:
        return None

    def users_everywhere(self) -> dict[str, tuple[tuple[str, str, str], ...]]:
        """Who uses each file on every protocol the server speaks (`local` serves both from one database, and
        /vector_stores outlived the Assistants API): every vector store (of any environment or owner), every
        assistant's code files, every environment template's files. A protocol the server does not speak
        (404) has no users. Every store is read, the project's or not (a store of another project, or one a
        person attached the file to, keeps it): what destroy reads before it frees an upload."""
        import openai

        from orchestrator.backends.rest import ASSISTANTS
        from orchestrator.backends.wire import ASSISTANT

        sync = KnowledgeSync(self.sdk, self.project, self.environment)

        def spoken(listing: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
            try:
                return listing()
            except openai.APIStatusError as exc:
                if exc.status_code in (
                    404,
                    405,
                    410,
                ):  # not spoken here (or sunset): nothing of it uses a file
                    return []
                raise

        def assistants() -> list[dict[str, Any]]:
            return read_list(
                lambda query: ASSISTANTS.list_page(self.sdk, {"limit": PAGE_SIZE, "order": "asc", **query}),
                ASSISTANT,
                page_size=PAGE_SIZE,
            )

        def store_uses(store: Mapping[str, Any]) -> list[tuple[str, tuple[str, str, str]]]:
            owner = parse_owner(store.get("metadata") or {})  # every store counts: one attached by hand too
            who = (
                (owner.environment, VECTOR_STORE_KIND, owner.spec)
                if owner and owner.project == self.project
                else ("", VECTOR_STORE_KIND, str(store.get("id")))
            )
            return [(item.file_id, who) for item in sync._store_files(store["id"])]

        users: dict[str, set[tuple[str, str, str]]] = {}
        with ThreadPoolExecutor(max_workers=READ_CONCURRENCY, thread_name_prefix="destroy-read") as pool:
            in_stores = [used for found in pool.map(store_uses, spoken(sync._stores)) for used in found]
        found = [
            *in_stores,
            *(used for raw in spoken(assistants) for used in assistant_uses(raw, self.project)),
            *(used for raw in spoken(sync._templates) for used in template_uses(raw, self.project)),
        ]
        for file_id, who in found:
            users.setdefault(file_id, set()).add(who)
        return {file_id: tuple(sorted(who)) for file_id, who in users.items()}

    def retrieve(self, object_id: str) -> LiveObject | None:
        return next((o for o in self.list_all() if o.id == object_id), None)

    def create(self, payload: Mapping[str, Any]) -> LiveObject:
        try:
            file_id = self.uploader.upload(payload["path"], payload["sha256"])
        except KnowledgeError:
            raise
        except Exception as exc:  # never retried blindly: the upload adopts a lost response by its filename
            raise KnowledgeError(f"{payload['path']}: upload failed: {_describe(exc)}") from None
        return LiveObject(
            file_id, 0, {"id": file_id, "path": payload["path"], "sha16": payload["sha256"][:16]}
        )

    def update(self, object_id: str, payload: Mapping[str, Any]) -> LiveObject:
        return self.create(payload)  # a new version is a new upload; the old one goes when nothing uses it

    def delete(self, object_id: str) -> None:
        import openai

        try:
            self.sdk.files.delete(object_id)
        except openai.NotFoundError:
            return


def file_object(
    project: str, environment: str, remote: RemoteFile, users: Sequence[tuple[str, str, str]]
) -> LiveObject:
    """An upload as a `file` object: owned by this environment unless a live object of another one uses it."""
    others = sorted({env for env, _, _ in users if env != environment})
    owner = Owner(project, others[0] if others else environment, remote.path or remote.filename)
    essence = {"path": remote.path, "sha256": remote.sha16, "bytes": remote.bytes}
    stamp = digest(essence)
    raw = {
        "id": remote.id,
        "filename": remote.filename,
        "bytes": remote.bytes,
        "created_at": remote.created_at,
        "path": remote.path,
        "sha16": remote.sha16,
        "users": [list(u) for u in users],
    }
    return LiveObject(remote.id, remote.created_at, raw, owner, Digests(stamp, stamp))


def knowledge_kinds(sync: KnowledgeSync) -> tuple[Kind, ...]:
    """The assistants backend's `file` and `vector_store` kinds, referenced kinds first, read with its view."""
    return (
        Kind(
            FILE_KIND,
            FilesMapping(),
            FilesClient(sync.sdk, sync.project, sync.environment, sync),
            planner=plan_files,
            in_view_of="assistant",
        ),
        Kind(
            VECTOR_STORE_KIND,
            VectorStoresMapping(),
            VectorStoresClient(sync),
            planner=plan_stores,
            in_view_of="assistant",
        ),
    )


def _describe(exc: BaseException) -> str:
    from orchestrator.engine.applying import describe_error

    return describe_error(exc)


def _store_ids(raw: Mapping[str, Any]) -> list[str]:
    return ((raw.get("tool_resources") or {}).get("file_search") or {}).get("vector_store_ids") or []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _mapping(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None
