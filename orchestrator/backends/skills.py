"""Skills (`/v1/skills`, `/v1/skills/{id}/versions`): one `kind: skill` spec is one live skill.

Skills carry no metadata, so ownership rides inside the archive: the deterministic zip of the
folder holds `.orchestrator/owner.json` naming the owner. The essence of a skill is the digest of
each of its files; reading a live skill costs one content download (of its default version).

Versions: a change of content uploads a new version and makes it the default; when the content
equals a version still kept (a revert in git), that version is made the default instead (no
upload: a rollback is instant: revert the folder in git and apply). After each change only the `keep_versions` most recent versions are kept (the default one always is).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from orchestrator.backends.wire import Shape, check_deleted, read_list, read_object
from orchestrator.engine.live import LiveObject
from orchestrator.engine.ownership import HASH_KEY, OWNER_KEY, digest
from orchestrator.spec.skill_archive import build, changed_files, read_archive

SKILL = Shape("skill")
SKILL_VERSION = Shape("skill.version")
PAGE_SIZE = 100


class SkillsMapping:
    backend = "agents"
    object_kind = "skill"
    write_only: frozenset[str] = frozenset()

    def __init__(self) -> None:
        # files digest -> (files, top folder name, keep_versions) of the specs read by desired_essence: the zip
        # is built in the payload, with the ownership metadata inside (a skill has no metadata of its own)
        self._specs: dict[str, tuple[Mapping[str, bytes], str, int]] = {}

    def desired_essence(self, spec: Any) -> dict[str, Any]:
        files = build(spec.files, spec.name).files
        self._specs[digest(dict(files))] = (spec.files, spec.name, spec.keep_versions)
        return {"files": dict(files)}

    def live_essence(self, raw: Mapping[str, Any], view: Any = None) -> dict[str, Any]:
        return {"files": dict(raw.get("files") or {})}

    def needs_resources(self, essence: Mapping[str, Any], changed: Sequence[str], creating: bool) -> bool:
        return False

    def create_payload(self, essence: Mapping[str, Any], metadata: Mapping[str, str]) -> dict[str, Any]:
        """The zip itself travels in the payload, ownership metadata inside it."""
        found = self._specs.get(digest(dict(essence["files"])))
        if found is None:
            from orchestrator.errors import OrchestratorError

            raise OrchestratorError("a skill's archive is built from the project at apply; apply without a saved plan")
        files, top, keep = found
        manifest = {"owner": metadata.get(OWNER_KEY, ""), "hash": metadata.get(HASH_KEY, "")}
        return {"archive": build(files, top, manifest).data, "files": essence["files"], "keep_versions": keep}

    def update_payload(self, essence: Mapping[str, Any], changed: Sequence[str],
                       metadata: Mapping[str, str]) -> dict[str, Any]:
        return self.create_payload(essence, metadata)


def files_changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[str]]:
    """What a plan shows for a skill: the files added, changed and removed."""
    return changed_files(before.get("files") or {}, after.get("files") or {})


class SkillsClient:
    """client.skills: payloads carry the zip bytes under `archive` (SkillsMapping.create_payload)."""

    def __init__(self, sdk: Any) -> None:
        self._sdk = sdk
        self._sdk_once = sdk.with_options(max_retries=0)

    def _read(self, skill: Mapping[str, Any]) -> LiveObject:
        """The skill with its files' digests, owner (from the archive) and kept versions."""
        data = self._sdk.skills.content.with_raw_response.retrieve(skill["id"]).http_response.content
        files, manifest = read_archive(data)
        metadata = {key: manifest[name] for key, name in ((OWNER_KEY, "owner"), (HASH_KEY, "hash")) if manifest.get(name)}
        raw = {**skill, "files": files, "archive": hashlib.sha256(data).hexdigest(), "metadata": metadata}
        return LiveObject.from_raw(raw)

    def versions(self, skill_id: str) -> list[dict[str, Any]]:
        resource = self._sdk.skills.versions

        def fetch(query: dict[str, Any]) -> Any:
            return resource.with_raw_response.list(skill_id, limit=PAGE_SIZE, order="asc", **query).http_response

        return read_list(fetch, SKILL_VERSION, page_size=PAGE_SIZE)

    def version_files(self, skill_id: str, version: str) -> dict[str, str]:
        data = self._sdk.skills.versions.content.with_raw_response.retrieve(
            version, skill_id=skill_id).http_response.content
        return read_archive(data)[0]

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

    def create(self, payload: Mapping[str, Any]) -> LiveObject:
        response = self._sdk_once.skills.with_raw_response.create(
            files=("skill.zip", payload["archive"], "application/zip")).http_response
        return self._read(read_object(response, SKILL))

    def update(self, object_id: str, payload: Mapping[str, Any]) -> LiveObject:
        """Make the wanted content the default: a kept version with the same files, else a new one."""
        target: str | None = None
        for version in reversed(self.versions(object_id)):
            if self.version_files(object_id, version["version"]) == payload["files"]:
                target = version["version"]
                break
        if target is None:
            created = self._sdk_once.skills.versions.with_raw_response.create(
                object_id, files=("skill.zip", payload["archive"], "application/zip"), default=True).http_response
            target = read_object(created, SKILL_VERSION)["version"]
        else:
            self._sdk.skills.update(object_id, default_version=target)
        self.prune_versions(object_id, int(payload.get("keep_versions") or 5), keep=target)
        live = self.retrieve(object_id)
        assert live is not None
        return live

    def prune_versions(self, skill_id: str, keep_count: int, *, keep: str) -> list[str]:
        """Delete all but the keep_count most recent versions (never the default one)."""
        numbers = sorted((int(v["version"]) for v in self.versions(skill_id)), reverse=True)
        kept = set(numbers[:keep_count]) | {int(keep)}
        deleted = [str(n) for n in numbers if n not in kept]
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
