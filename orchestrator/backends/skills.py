"""Skills (`/v1/skills`, `/v1/skills/{id}/versions`): one `kind: skill` spec is one live skill.

Skills carry no metadata, so ownership rides inside the archive: the deterministic zip of the
folder holds `.orchestrator/owner.json` naming the owner. The essence of a skill is the digest of
each of its files (plus, write-only, its folder and `keep_versions`); reading a live skill costs one
content download (of its default version). A saved plan holds those digests, never the bytes: apply
zips the folder again and refuses it when its files no longer have the planned digests.

Versions: a change of content uploads a new version and makes it the default; when the content
equals a version still kept (a revert in git), that version is made the default instead (no
upload: a rollback is instant). After each change only the `keep_versions` most recent versions are
kept (the default one always is); `keep_versions` changed alone prunes without touching the default.

Environment templates pin a version of each skill they name (`SkillDirectory`): by default "the
version this project made from the skill spec" (`content <digest>`: the digest of the skill's essence,
which that version's archive carries in its stamp), resolved to a version number when the template is
written, after the skill itself (the graph orders them). Any new version re-pins them in the same apply.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.backends.wire import Shape, check_deleted, read_list, read_object
from orchestrator.engine.live import Kind, LiveObject, References
from orchestrator.engine.ownership import HASH_KEY, OWNER_KEY, Owner, parse_digests, parse_owner
from orchestrator.engine.planning import essence_digests
from orchestrator.errors import OrchestratorError
from orchestrator.spec.skill_archive import (
    ArchiveProblem,
    build,
    changed_files,
    content_digest,
    file_digests,
    read_archive,
    read_folder,
)

if TYPE_CHECKING:  # the SDK is imported where a call needs it
    from openai import OpenAI

    from orchestrator.backends.kind_context import KindContext
    from orchestrator.spec.agent_kinds import SkillSpec

SKILL = Shape("skill")
SKILL_VERSION = Shape("skill.version")
PAGE_SIZE = 100
PIN_LENGTH = 12


class SkillsMapping:
    backend = "agents"
    object_kind = "skill"
    write_only: frozenset[str] = frozenset({"folder", "keep_versions"})

    def __init__(self) -> None:
        # content digest -> the files read by desired_essence (the latest of each spec: watch plans again and
        # again): apply zips them without reading the folder again (a saved plan has none: its apply reads
        # the folder and checks the digests)
        self._files: dict[str, Mapping[str, bytes]] = {}
        self._latest: dict[str, str] = {}  # spec name -> its content digest in _files

    def desired_essence(self, spec: Any) -> dict[str, Any]:
        files = file_digests(spec.files)
        key = content_digest(files)
        stale = self._latest.get(spec.name)
        if stale not in (None, key) and stale not in {v for n, v in self._latest.items() if n != spec.name}:
            self._files.pop(stale, None)
        self._latest[spec.name] = key
        self._files[key] = spec.files
        return {
            "files": files,
            "folder": spec.folder_shown or spec.folder.as_posix(),
            "keep_versions": spec.keep_versions,
        }

    def live_essence(
        self, raw: Mapping[str, Any], view: Any = None, references: References | None = None
    ) -> dict[str, Any]:
        return {"files": dict(raw.get("files") or {})}

    def needs_resources(self, essence: Mapping[str, Any], changed: Sequence[str], creating: bool) -> bool:
        return False

    def create_payload(self, essence: Mapping[str, Any], metadata: Mapping[str, str]) -> dict[str, Any]:
        """What the client zips: the files (or the folder to read them from), the ownership manifest."""
        owner = parse_owner(metadata)
        payload: dict[str, Any] = {
            "files": dict(essence["files"]),
            "folder": essence["folder"],
            "keep_versions": int(essence.get("keep_versions") or 5),
            "top": owner.spec if owner else "skill",
            "manifest": {"owner": metadata.get(OWNER_KEY, ""), "hash": metadata.get(HASH_KEY, "")},
        }
        data = self._files.get(content_digest(essence["files"]))
        if data is not None:
            payload["data"] = data
        return payload

    def update_payload(
        self, essence: Mapping[str, Any], changed: Sequence[str], metadata: Mapping[str, str]
    ) -> dict[str, Any]:
        payload = self.create_payload(essence, metadata)
        payload["content_changed"] = "files" in changed
        return payload


def pin_of_spec(spec: SkillSpec) -> str:
    """How an environment pins the version a skill spec makes: `content <digest>`, the digest of the skill's
    whole essence (files and settings), which the version's archive carries in its stamp."""
    mapping = SkillsMapping()
    return f"content {essence_digests(mapping.desired_essence(spec), mapping.write_only).full[:PIN_LENGTH]}"


def files_changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[str]]:
    """What a plan shows for a skill: the files added, changed and removed."""
    return changed_files(before.get("files") or {}, after.get("files") or {})


class SkillDirectory:
    """The skills this project and environment own, by spec name: what environment templates pin.

    Filled as the skills client reads and applies (the stamp digest of each owned skill's default version),
    so a template written later in the same apply pins the version just made or selected. Of two live skills
    claiming one spec (a retried create, two concurrent applies) the oldest is the spec's, as planning keeps
    it: a template pinning the other one reads as pinning a skill that is not the project's (its id), so the
    plan re-pins it to the kept one before --prune deletes the duplicate.
    """

    def __init__(self, project: str | None = None, environment: str | None = None) -> None:
        self.project = project
        self.environment = environment
        self._lock = threading.Lock()
        self._claims: dict[
            str, dict[str, tuple[int, int]]
        ] = {}  # spec name -> skill id -> (created_at, order)
        self._defaults: dict[str, tuple[str, str]] = {}  # skill id -> (default version, content digest)
        self._made: dict[tuple[str, str], dict[str, str]] = {}  # (spec name, digest) -> skill id -> version

    def owns(self, owner: Owner | None) -> bool:
        return owner is not None and (owner.project, owner.environment) == (self.project, self.environment)

    def record(
        self,
        owner: Owner | None,
        skill_id: str,
        version: str,
        digest: str,
        *,
        default: bool,
        created_at: int = 0,
    ) -> None:
        if not self.owns(owner):
            return
        assert owner is not None
        with self._lock:
            claims = self._claims.setdefault(owner.spec, {})
            claims.setdefault(
                skill_id, (created_at, len(claims))
            )  # ties keep the listing's order (oldest first)
            self._made.setdefault((owner.spec, digest), {})[skill_id] = version
            if default:
                self._defaults[skill_id] = (version, digest)

    def _kept(self, name: str) -> str | None:
        claims = self._claims.get(name)
        return min(claims, key=lambda i: claims[i]) if claims else None

    def name_of(self, skill_id: str) -> str | None:
        """The spec name of the skill kept for it; None for a duplicate or a skill that is not this project's."""
        with self._lock:
            for name, claims in self._claims.items():
                if skill_id in claims:
                    return name if self._kept(name) == skill_id else None
        return None

    def pin_of(self, skill_id: str, version: str | None) -> str:
        """A template's pin as an essence shows it: `content <digest>` when it is the skill's default version."""
        with self._lock:
            default = self._defaults.get(skill_id)
        if default is not None and version in (None, default[0]):
            return f"content {default[1]}"
        return f"version {version}" if version is not None else "default version"

    def explicit_pin(self, name: str, version: str) -> str:
        """An explicit `version: N` as the essence compares it (the content form when N is the default)."""
        with self._lock:
            kept = self._kept(name)
        return self.pin_of(kept, version) if kept else f"version {version}"

    def locate(self, name: str, pin: str) -> tuple[str, str] | None:
        """(skill id, version number) of the spec name's kept skill for a pin, from what was read or applied."""
        kind, _, value = pin.partition(" ")
        with self._lock:
            kept = self._kept(name)
            if kept is None:
                return None
            if kind == "content":
                version = self._made.get((name, value), {}).get(kept)
                return (kept, version) if version is not None else None
            return kept, value


class SkillsClient:
    """client.skills: payloads carry the files to zip (SkillsMapping.create_payload), or the folder to read."""

    def __init__(
        self, sdk: OpenAI, root: Path | None = None, directory: SkillDirectory | None = None
    ) -> None:
        self._sdk = sdk
        self._sdk_once = sdk.with_options(max_retries=0)
        self._root = root
        self.directory = directory or SkillDirectory()
        self.uploads = 0  # versions this client uploaded (bench and tests read it)

    def _read(self, skill: Mapping[str, Any]) -> LiveObject:
        """The skill with its files' digests and owner (from the archive)."""
        data = self._sdk.skills.content.with_raw_response.retrieve(skill["id"]).http_response.content
        files, manifest = read_archive(data)
        metadata = {
            key: manifest[name]
            for key, name in ((OWNER_KEY, "owner"), (HASH_KEY, "hash"))
            if manifest.get(name)
        }
        raw = {**skill, "files": files, "archive": hashlib.sha256(data).hexdigest(), "metadata": metadata}
        live = LiveObject.from_raw(raw)
        if skill.get("default_version") is not None and live.digests is not None:
            created = skill.get("created_at")
            self.directory.record(
                live.owner,
                live.id,
                str(skill["default_version"]),
                live.digests.full[:PIN_LENGTH],
                default=True,
                created_at=created if isinstance(created, int) else 0,
            )
        return live

    def versions(self, skill_id: str) -> list[dict[str, Any]]:
        resource = self._sdk.skills.versions

        def fetch(query: dict[str, Any]) -> Any:
            return resource.with_raw_response.list(
                skill_id, limit=PAGE_SIZE, order="asc", **query
            ).http_response

        return read_list(fetch, SKILL_VERSION, page_size=PAGE_SIZE)

    def content(self, skill_id: str) -> dict[str, bytes]:
        """The files of the skill's default version (import writes them into the project)."""
        from orchestrator.spec.skill_archive import unpack

        return unpack(self._sdk.skills.content.with_raw_response.retrieve(skill_id).http_response.content)

    def version_files(self, skill_id: str, version: str) -> dict[str, str]:
        return self.version_archive(skill_id, version)[0]

    def version_archive(self, skill_id: str, version: str) -> tuple[dict[str, str], dict[str, str]]:
        """A kept version's file digests and ownership manifest (one content download)."""
        data = self._sdk.skills.versions.content.with_raw_response.retrieve(
            version, skill_id=skill_id
        ).http_response.content
        return read_archive(data)

    def list_all(self) -> list[LiveObject]:
        resource = self._sdk.skills

        def fetch(query: dict[str, Any]) -> Any:
            return resource.with_raw_response.list(limit=PAGE_SIZE, order="asc", **query).http_response

        return [self._read(item) for item in read_list(fetch, SKILL, page_size=PAGE_SIZE)]

    def retrieve(self, object_id: str) -> LiveObject | None:
        import openai

        try:
            response = self._sdk.skills.with_raw_response.retrieve(object_id).http_response
        except openai.NotFoundError:
            return None
        return self._read(read_object(response, SKILL))

    def _archive(self, payload: Mapping[str, Any]) -> bytes:
        """The zip to upload: the planned files, read again from the folder when the plan was saved."""
        files = payload.get("data")
        if files is None:
            if self._root is None:
                raise OrchestratorError("a skill's folder can only be read in a project")
            folder = payload["folder"]
            try:
                files = read_folder(self._root / folder, self._root)
            except ArchiveProblem as exc:
                raise OrchestratorError(f"skill folder `{folder}` {exc}") from None
            if file_digests(files) != dict(payload["files"]):
                raise OrchestratorError(
                    f"skill folder `{folder}` changed since the plan was made; "
                    "run `orchestrator diff --out PLAN` again"
                )
        return build(files, payload["top"], payload["manifest"]).data

    def create(self, payload: Mapping[str, Any]) -> LiveObject:
        archive = self._archive(payload)
        response = self._sdk_once.skills.with_raw_response.create(
            files=("skill.zip", archive, "application/zip")
        ).http_response
        self.uploads += 1
        return self._read(read_object(response, SKILL))

    def update(self, object_id: str, payload: Mapping[str, Any]) -> LiveObject:
        """Make the wanted content the default: the default already, a kept version with the same files and
        stamp (a rollback: no upload), else a new version; then keep only the `keep_versions` most recent.

        The ownership stamp rides in each version's archive, so a change of the stamp alone (`keep_versions`
        or the folder changed, an adoption) is a new version of the same files: the only way to write it."""
        current = self.retrieve(object_id)
        if current is None:
            raise OrchestratorError(f"skill {object_id} no longer exists")
        wanted = dict(payload["files"])
        stamp = parse_digests({HASH_KEY: payload["manifest"].get("hash", "")})
        default = str(current.raw.get("default_version"))
        same = dict(current.raw.get("files") or {}) == wanted and current.digests == stamp
        target: str | None = default if same else None
        versions = self.versions(object_id)
        if target is None:
            for version in reversed(versions):
                if version["version"] == default:
                    continue
                files, manifest = self.version_archive(object_id, version["version"])
                if files == wanted and parse_digests({HASH_KEY: manifest.get("hash", "")}) == stamp:
                    target = version["version"]
                    self._sdk.skills.update(object_id, default_version=target)
                    break
        if target is None:
            created = self._sdk_once.skills.versions.with_raw_response.create(
                object_id, files=("skill.zip", self._archive(payload), "application/zip"), default=True
            ).http_response
            self.uploads += 1
            target = str(read_object(created, SKILL_VERSION)["version"])
            versions.append({"version": target})
        self.prune_versions(
            object_id,
            int(payload.get("keep_versions") or 5),
            keep=target,
            numbers=[str(v["version"]) for v in versions],
        )
        live = self.retrieve(object_id)
        assert live is not None
        return live

    def prune_versions(
        self, skill_id: str, keep_count: int, *, keep: str, numbers: Sequence[str] | None = None
    ) -> list[str]:
        """Delete all but the keep_count most recent versions (never the default one)."""
        found = sorted(
            {
                int(n)
                for n in (numbers if numbers is not None else [v["version"] for v in self.versions(skill_id)])
            },
            reverse=True,
        )
        kept = set(found[:keep_count]) | {int(keep)}
        deleted = [str(n) for n in found if n not in kept]
        for number in deleted:
            self._sdk.skills.versions.delete(number, skill_id=skill_id)
        return deleted

    def read_view(self, objects: Sequence[LiveObject], wanted: bool) -> None:
        return None

    def delete(self, object_id: str) -> None:
        import openai

        try:
            response = self._sdk.skills.with_raw_response.delete(object_id).http_response
        except openai.NotFoundError:
            return
        check_deleted(response, SKILL, object_id)


def skill_kind(context: KindContext) -> Kind:
    """The skill kind of a run (backends.KindContext): its directory is this project and environment's."""
    skills = SkillsClient(
        context.sdk, context.project.root, SkillDirectory(context.project.name, context.environment)
    )
    return Kind("skill", SkillsMapping(), skills)
