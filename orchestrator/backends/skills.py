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
from orchestrator.engine.ownership import OWNER_KEY
from orchestrator.spec.skill_archive import build, changed_files, read_archive

SKILL = Shape("skill")
SKILL_VERSION = Shape("skill.version")
PAGE_SIZE = 100


class SkillsMapping:
    backend = "agents"
    object_kind = "skill"
    write_only: frozenset[str] = frozenset({"keep_versions"})

    def __init__(self, owner_label: str | None = None) -> None:
        self.owner_label = owner_label
        self._archives: dict[str, bytes] = {}  # digest -> zip bytes, of the specs read by desired_essence

    def desired_essence(self, spec: Any) -> dict[str, Any]:
        archive = build(spec.files, spec.name, self.owner_label)
        self._archives[archive.digest] = archive.data
        return {"archive": archive.digest, "files": dict(archive.files), "keep_versions": spec.keep_versions}

    def live_essence(self, raw: Mapping[str, Any], view: Any = None) -> dict[str, Any]:
        return {"archive": raw.get("archive"), "files": dict(raw.get("files") or {})}

    def needs_resources(self, essence: Mapping[str, Any], changed: Sequence[str], creating: bool) -> bool:
        return False

    def create_payload(self, essence: Mapping[str, Any], metadata: Mapping[str, str]) -> dict[str, Any]:
        """The zip itself travels in the payload (a skill has no metadata: ownership is inside it)."""
        return {"archive": self._archives[essence["archive"]], "files": essence["files"],
                "keep_versions": essence["keep_versions"]}

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
        files, owner = read_archive(data)
        raw = {**skill, "files": files, "archive": hashlib.sha256(data).hexdigest(),
               "metadata": {OWNER_KEY: owner} if owner else {}}
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

    def delete(self, object_id: str) -> None:
        import openai

        try:
            response = self._sdk.skills.with_raw_response.delete(object_id).http_response
        except openai.NotFoundError:
            return
        check_deleted(response, SKILL, object_id)
