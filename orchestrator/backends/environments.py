"""Environment templates of the Agents API (`kind: environment`): the mapping and the client.

An environment template has no metadata, so the ownership stamp travels in its `name`
(ownership.name_stamp). Project files are uploaded once by content hash, named as knowledge files
are (`orchestrator--<project>--<sha16>--<path>`), so a template's `file_id` entries read back as
the project path and hash they came from, and an upload is shared with the Assistants protocol's
knowledge files on a server that speaks both (whose garbage collection counts templates as users,
backends.knowledge): one /files listing per plan, which the API forces
because a template lists only file ids. Inline files, `env`, `setup_commands`, `blocked_domains`
are confidential or not returned: write-only, compared through the applied hash. `skills` pin a
version of each skill spec named (backends.skills.SkillDirectory), resolved to ids when written.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.backends.knowledge import (
    FILES_PAGE_SIZE,
    RemoteFile,
    parse_remote_filename,
    remote_filename,
)
from orchestrator.backends.listings import TEMPLATES, Listings, SeparateListings
from orchestrator.backends.wire import ENVIRONMENT_TEMPLATE, FILE, check_deleted, read_list, read_object
from orchestrator.engine.live import Kind, LiveObject, References
from orchestrator.engine.ownership import Owner, name_stamp, parse_name_stamp
from orchestrator.errors import OrchestratorError

if TYPE_CHECKING:  # the SDK is imported where a call needs it
    from openai import OpenAI

    from orchestrator.backends.kind_context import KindContext
    from orchestrator.backends.skills import SkillDirectory, SkillsClient

PAGE_SIZE = 100
PACKAGE_KINDS = ("npm", "python", "system")
DEFAULT_NETWORK = {"access": "enabled", "allowed_domains": []}  # what the API answers when none was set
# confidential or not returned by the API: sent with every spec change, compared through the applied hash
WRITE_ONLY = frozenset({"env", "setup_commands", "inline_files", "blocked_domains"})
FILE_KEYS = ("files", "inline_files")
NETWORK_KEYS = ("network", "blocked_domains")


class EnvironmentsMapping:
    backend = "agents"
    object_kind = "environment"
    write_only = WRITE_ONLY

    def __init__(self, skills: SkillDirectory | None = None) -> None:
        self.skills = skills  # of this project and environment (pins read as spec names)

    def desired_essence(self, spec: Any) -> dict[str, Any]:
        packages = spec.packages or {}
        network = dict(spec.network) if spec.network is not None else None
        essence: dict[str, Any] = {
            "files": {
                f.to: {"from": f.local.path, "sha256": f.local.sha256[:16], "bytes": f.local.size}
                for f in spec.files
                if f.local is not None
            },
            "packages": {kind: list(packages.get(kind) or ()) for kind in PACKAGE_KINDS},
            "network": DEFAULT_NETWORK
            if network is None
            else {"access": network["access"], "allowed_domains": list(network.get("allowed_domains") or ())},
            "capability_directories": list(spec.capability_directories or ()),
            "desktop": bool(spec.desktop and spec.desktop.get("enabled")),
        }
        inline = {f.to: f.inline for f in spec.files if f.inline is not None}
        if inline:
            essence["inline_files"] = inline
        if network is not None and network.get("blocked_domains"):
            essence["blocked_domains"] = list(network["blocked_domains"])
        if spec.env is not None:
            essence["env"] = dict(spec.env)
        if spec.setup_commands is not None:
            essence["setup_commands"] = [dict(c) for c in spec.setup_commands]
        if spec.skills:
            from orchestrator.backends.skills import pin_of_spec

            essence["skills"] = {
                name: self._pin(name, spec.skill_pins[name])
                if name in spec.skill_pins
                else pin_of_spec(spec.skill_specs[name])
                for name in sorted(spec.skills)
            }
        return essence

    def plan_notes(self, spec: Any) -> tuple[str, ...]:
        if spec.origin is None:
            return ()
        return (
            f"synthesised for agent {spec.origin} from its knowledge and code files (owned, deleted with it)",
        )

    def _pin(self, name: str, pin: str) -> str:
        if pin.startswith("version ") and self.skills is not None:
            return str(self.skills.explicit_pin(name, pin.split(" ", 1)[1]))
        return pin

    def live_essence(
        self, raw: Mapping[str, Any], view: Any = None, references: References | None = None
    ) -> dict[str, Any]:
        files: dict[str, Any] = {}
        for item in raw.get("files") or []:
            if item.get("type") != "file_id":
                continue  # inline files are write-only: their contents are not returned
            known = view.describe(item.get("file_id")) if view is not None else None
            files[item.get("path")] = known or {
                "from": None,
                "sha256": None,
                "bytes": None,
                "file_id": item.get("file_id"),
            }
        packages = raw.get("packages") or {}
        network = raw.get("network") or DEFAULT_NETWORK
        desktop = raw.get("desktop") or {}
        skills = _live_skills(raw.get("skills") or [], self.skills)
        return ({"skills": skills} if skills else {}) | {
            "files": files,
            "packages": {kind: list(packages.get(kind) or []) for kind in PACKAGE_KINDS},
            "network": {
                "access": network.get("access"),
                "allowed_domains": list(network.get("allowed_domains") or []),
            },
            "capability_directories": list(raw.get("capability_directories") or []),
            "desktop": bool(desktop.get("enabled")),
        }

    def needs_resources(self, essence: Mapping[str, Any], changed: Sequence[str], creating: bool) -> bool:
        return False

    def uses(self, essence: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The `file` nodes (project paths) the template's files come from: uploaded before it."""
        return [
            ("file", path)
            for path in sorted(
                {meta["from"] for meta in (essence.get("files") or {}).values() if meta.get("from")}
            )
        ]

    def create_payload(self, essence: Mapping[str, Any], metadata: Mapping[str, str]) -> dict[str, Any]:
        """Only what the spec sets: defaults (no packages, default network, no desktop) are not sent."""
        payload: dict[str, Any] = {"name": name_stamp(metadata)}
        files = _wire_files(essence)
        if files:
            payload["files"] = files
        if any(essence["packages"].values()):
            payload["packages"] = {k: v for k, v in essence["packages"].items() if v}
        if essence["network"] != DEFAULT_NETWORK or essence.get("blocked_domains"):
            payload["network"] = _wire_network(essence)
        if essence["capability_directories"]:
            payload["capability_directories"] = essence["capability_directories"]
        if essence["desktop"]:
            payload["desktop"] = {"enabled": True}
        for key in ("env", "setup_commands"):
            if key in essence:
                payload[key] = essence[key]
        if essence.get("skills"):
            payload["skills"] = _wire_skills(essence)
        return payload

    def update_payload(
        self, essence: Mapping[str, Any], changed: Sequence[str], metadata: Mapping[str, str]
    ) -> dict[str, Any]:
        """Partial: what changed (files and network as a whole), always the re-stamped name."""
        payload: dict[str, Any] = {"name": name_stamp(metadata)}
        keys = set(changed)
        if keys & set(FILE_KEYS):
            payload["files"] = _wire_files(essence)
        if keys & set(NETWORK_KEYS):
            payload["network"] = _wire_network(essence)
        if "packages" in keys:
            payload["packages"] = essence["packages"]
        if "capability_directories" in keys:
            payload["capability_directories"] = essence["capability_directories"]
        if "desktop" in keys:
            payload["desktop"] = {"enabled": essence["desktop"]}
        for key in ("env", "setup_commands"):
            if key in keys:
                payload[key] = essence.get(key)  # removed from the spec: null resets it
        if "skills" in keys:
            payload["skills"] = _wire_skills(essence)
        return payload


def _wire_skills(essence: Mapping[str, Any]) -> list[dict[str, str]]:
    """Skills by spec name and pin; the client puts the skill ids and version numbers in."""
    return [{"skill": name, "pin": pin} for name, pin in sorted((essence.get("skills") or {}).items())]


def _live_skills(items: Iterable[Mapping[str, Any]], directory: Any) -> dict[str, str]:
    """A template's skills by spec name (an id when the skill is not this project's), each with its pin."""
    found: dict[str, str] = {}
    for item in items:
        if item.get("type") == "skill_reference":
            skill_id = str(item.get("skill_id"))
            version = item.get("version")
            name = directory.name_of(skill_id) if directory is not None else None
            found[name or skill_id] = (
                directory.pin_of(skill_id, version) if directory is not None else f"version {version}"
            )
        else:
            found[f"inline:{item.get('name')}"] = "inline"
    return dict(sorted(found.items()))


def _wire_files(essence: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Project files as `upload` markers (the client uploads them by hash first), inline files as data."""
    files: list[dict[str, Any]] = [
        {"type": "file_id", "path": to, "upload": {"path": meta["from"], "sha256": meta["sha256"]}}
        for to, meta in sorted(essence["files"].items())
    ]
    files.extend(
        {"type": "inline", "path": to, "data": base64.b64encode(text.encode("utf-8")).decode("ascii")}
        for to, text in sorted((essence.get("inline_files") or {}).items())
    )
    return files


def _wire_network(essence: Mapping[str, Any]) -> dict[str, Any]:
    network: dict[str, Any] = {"access": essence["network"]["access"]}
    if essence["network"]["allowed_domains"]:
        network["allowed_domains"] = essence["network"]["allowed_domains"]
    if essence.get("blocked_domains"):
        network["blocked_domains"] = essence["blocked_domains"]
    return network


@dataclass(frozen=True, slots=True)
class UploadedFile:
    id: str
    path: str  # project-relative
    sha16: str
    bytes: int | None
    created_at: int = 0
    filename: str = ""


@dataclass
class FilesView:
    """The project's uploaded files by id and by (path, hash): what template file ids stand for."""

    by_id: dict[str, UploadedFile] = field(default_factory=dict)
    users: dict[str, list[tuple[str, str, str]]] = field(
        default_factory=dict
    )  # file id -> templates using it

    def describe(self, file_id: Any) -> dict[str, Any] | None:
        found = self.by_id.get(file_id) if isinstance(file_id, str) else None
        if found is None:
            return None
        return {"from": found.path, "sha256": found.sha16, "bytes": found.bytes}

    def fingerprint_part(self, owner: Owner | None) -> Any:
        return None  # a template names its file ids: a new upload changes the template itself

    def uploads(self) -> Iterable[tuple[RemoteFile, tuple[tuple[str, str, str], ...]]]:
        """The project's uploads and the templates using each: the `file` kind's live objects."""
        for item in self.by_id.values():
            remote = RemoteFile(
                item.id, item.filename, item.bytes or 0, item.created_at, None, item.sha16, item.path
            )
            yield remote, tuple(sorted(set(self.users.get(item.id, ()))))


class EnvironmentsClient:
    """client.beta.agents.environments.templates, paging at 100; uploads the files a payload marks."""

    def __init__(
        self,
        sdk: OpenAI,
        project: str,
        root: Path,
        skills: SkillsClient | None = None,
        listings: Listings | None = None,
    ) -> None:
        self._sdk = sdk
        self._listings = (
            listings or SeparateListings()
        )  # the run's, shared with the automations naming templates
        self._skills = skills  # the SkillsClient whose directory resolves skill pins
        self._sdk_once = sdk.with_options(max_retries=0)  # creates are never retried blindly
        self.project = project
        self.root = root
        self._lock = threading.Lock()
        self._uploads: dict[tuple[str, str], str] = {}
        self._upload_locks: dict[tuple[str, str], threading.Lock] = {}
        self.uploaded = 0  # files this client uploaded (bench and tests read it)

    def list_all(self) -> list[LiveObject]:
        return self._listings.own(TEMPLATES, self._list)

    def listed(self) -> list[LiveObject]:
        """The templates as this run lists them, for the kinds that name a template (automations; one
        listing shared with the templates' own read)."""
        return self._listings.shared(TEMPLATES, self._list)

    def _list(self) -> list[LiveObject]:
        resource = self._sdk.beta.agents.environments.templates

        def fetch(query: dict[str, Any]) -> Any:
            return resource.with_raw_response.list(limit=PAGE_SIZE, order="asc", **query).http_response

        return [_live(item) for item in read_list(fetch, ENVIRONMENT_TEMPLATE, page_size=PAGE_SIZE)]

    def read_view(self, objects: Iterable[LiveObject], wanted: bool) -> FilesView | None:
        """The files listing, when a template or a spec has project files (one request per 10,000 files)."""
        if not wanted and not any(
            f.get("type") == "file_id" for o in objects for f in o.raw.get("files") or []
        ):
            return None

        def fetch(query: dict[str, Any]) -> Any:
            return self._sdk.files.with_raw_response.list(
                limit=FILES_PAGE_SIZE, order="asc", **query
            ).http_response

        view = FilesView()
        for item in read_list(fetch, FILE, page_size=FILES_PAGE_SIZE):
            parsed = _parse_filename(str(item.get("filename") or ""))
            if parsed is None or parsed[0] != self.project:
                continue
            _, sha16, path = parsed
            size, created = item.get("bytes"), item.get("created_at")
            uploaded = UploadedFile(
                str(item["id"]),
                path,
                sha16,
                size if isinstance(size, int) else None,
                created if isinstance(created, int) else 0,
                str(item.get("filename") or ""),
            )
            view.by_id[uploaded.id] = uploaded
            with self._lock:
                self._uploads.setdefault((path, sha16), uploaded.id)
        for obj in objects:
            who = (
                (obj.owner.environment, "environment", obj.owner.spec)
                if obj.owner
                else ("", "environment", obj.id)
            )
            for entry in obj.raw.get("files") or []:
                if entry.get("type") == "file_id":
                    view.users.setdefault(str(entry.get("file_id")), []).append(who)
        return view

    def retrieve(self, object_id: str) -> LiveObject | None:
        import openai

        try:
            response = self._sdk.beta.agents.environments.templates.with_raw_response.retrieve(
                object_id
            ).http_response
        except openai.NotFoundError:
            return None
        return _live(read_object(response, ENVIRONMENT_TEMPLATE))

    def create(self, payload: Mapping[str, Any]) -> LiveObject:
        body = self._resolve(payload)
        resource = self._sdk_once.beta.agents.environments.templates
        with self._listings.writing(TEMPLATES):
            response = resource.with_raw_response.create(**body).http_response
        return _live(read_object(response, ENVIRONMENT_TEMPLATE))

    def update(self, object_id: str, payload: Mapping[str, Any]) -> LiveObject:
        body = self._resolve(payload)
        resource = self._sdk.beta.agents.environments.templates
        with self._listings.writing(TEMPLATES):
            response = resource.with_raw_response.update(object_id, **body).http_response
        return _live(read_object(response, ENVIRONMENT_TEMPLATE))

    def delete(self, object_id: str) -> None:
        import openai

        resource = self._sdk.beta.agents.environments.templates
        with self._listings.writing(TEMPLATES):
            try:
                response = resource.with_raw_response.delete(object_id).http_response
            except openai.NotFoundError:
                return
        check_deleted(response, ENVIRONMENT_TEMPLATE, object_id)

    def _resolve(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        body = dict(payload)
        if "skills" in body:
            body["skills"] = [
                self._skill_reference(item["skill"], item["pin"]) for item in body["skills"] or []
            ]
        if "files" in body and body["files"] is not None:
            body["files"] = [
                {
                    "type": "file_id",
                    "path": f["path"],
                    "file_id": self._upload(f["upload"]["path"], f["upload"]["sha256"]),
                }
                if "upload" in f
                else f
                for f in body["files"]
            ]
        return body

    def _skill_reference(self, name: str, pin: str) -> dict[str, Any]:
        """The SDK's HostedSkillParam for a skill spec's pin, after the graph applied that skill."""
        if self._skills is None:
            raise OrchestratorError(f"skill `{name}` cannot be resolved without the skills of the target")
        found = self._skills.directory.locate(name, pin)
        if found is None:
            self._skills.list_all()  # made by another run, or not read yet
            found = self._skills.directory.locate(name, pin)
        if found is None:
            what = "no live skill" if pin.startswith("content") else f"no {pin}"
            raise OrchestratorError(f"skill `{name}` has {what} to pin ({pin}); apply the skill first")
        return {"type": "skill_reference", "skill_id": found[0], "version": found[1]}

    def upload(self, path: str, sha16: str) -> str:
        """The id of the project file's upload with this hash (the `file` kind uploads through here)."""
        return self._upload(path, sha16[:16])

    def _upload(self, path: str, sha16: str) -> str:
        key = (path, sha16)
        with self._lock:
            lock = self._upload_locks.setdefault(key, threading.Lock())
        with lock:  # a file shared by several templates is uploaded once
            with self._lock:
                known = self._uploads.get(key)
            if known:
                return known
            data = (self.root / path).read_bytes()
            if not hashlib.sha256(data).hexdigest().startswith(sha16):
                raise OrchestratorError(f"{path} changed since the plan was made; run diff again")
            created = self._sdk_once.files.create(
                file=(upload_filename(self.project, path, sha16), data), purpose="assistants"
            )
            with self._lock:
                self._uploads[key] = created.id
                self.uploaded += 1
            return created.id

    def find_template(self, owner: Owner) -> LiveObject | None:
        """The oldest live template owned by OWNER (run/chat open sessions in it)."""
        mine = [o for o in self.list_all() if o.owner == owner]
        return min(mine, key=lambda o: o.created_at) if mine else None


def upload_filename(project: str, path: str, sha16: str) -> str:
    return remote_filename(project, path, sha16)


def _parse_filename(name: str) -> tuple[str, str, str] | None:
    """(project, sha16, path) of a file uploaded for an environment template, else None."""
    return parse_remote_filename(name)


def _live(raw: Mapping[str, Any]) -> LiveObject:
    """A template as a LiveObject whose ownership comes from its name."""
    stamped = parse_name_stamp(raw.get("name"))
    obj = LiveObject.from_raw({**raw, "metadata": stamped})
    return LiveObject(obj.id, obj.created_at, raw, obj.owner, obj.digests, obj.claim)


def environment_kind(context: KindContext) -> Kind:
    """The environment templates of a run (backends.KindContext): they pin the skills its skill kind uploads."""
    from orchestrator.backends.skills import SkillsClient

    skills = context.kind("skill").client
    assert isinstance(skills, SkillsClient), "the skill kind's client: its directory resolves skill pins"
    templates = EnvironmentsClient(
        context.sdk, context.project.name, context.project.root, skills=skills, listings=context.listings
    )
    return Kind("environment", EnvironmentsMapping(skills.directory), templates)
