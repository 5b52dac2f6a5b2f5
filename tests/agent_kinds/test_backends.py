"""The vault, skill and automation backends (pure mapping + SDK client) against the real emulator.

Each test drives the seam the engine uses: desired essence -> payload -> client -> live essence, and
checks a no-change read, an update, drift, rotation and delete. Every HTTP body is kept to grep
for the secret sentinel.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import openai
import pytest

from orchestrator import secrets
from orchestrator.backends.automations import AutomationsClient, AutomationsMapping
from orchestrator.backends.skills import SkillsClient, SkillsMapping, files_changed
from orchestrator.backends.vaults import SECRET_CHANGED, VaultsClient, VaultsMapping, secret_markers
from orchestrator.emulator import EmulatorServer
from orchestrator.engine.live import References
from orchestrator.engine.ownership import OWNER_KEY
from orchestrator.spec.agent_kinds import read_resource
from orchestrator.spec.loading import load_yaml_file
from tests.conftest import TEST_KEY

SENTINEL = "s3cr3t-SENTINEL-value-7f1d"


@pytest.fixture
def wire() -> list[str]:
    return []


@pytest.fixture
def client(served: EmulatorServer, wire: list[str]) -> Iterator[openai.OpenAI]:
    def keep_request(request: httpx2.Request) -> None:
        try:
            wire.append(request.content.decode("utf-8", "replace"))
        except httpx2.RequestNotRead:  # a multipart upload (a skill zip): no secret travels there
            wire.append("")

    def keep_response(response: httpx2.Response) -> None:
        response.read()
        wire.append(response.text)

    http = httpx2.Client(event_hooks={"request": [keep_request], "response": [keep_response]})
    with openai.OpenAI(base_url=served.base_url, api_key=TEST_KEY, max_retries=0, http_client=http) as sdk:
        yield sdk


@pytest.fixture(autouse=True)
def _fresh_redactor() -> Iterator[None]:
    with secrets.SecretLedger().bound():  # each test owns its run's secrets
        yield


def spec_of(tmp_path: Path, text: str):
    path = tmp_path / "specs" / "x.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    spec, found = read_resource(load_yaml_file(path, "specs/x.yaml", root=tmp_path), tmp_path)
    assert found == [], found
    return spec


def readable(essence: dict, mapping) -> dict:
    return {k: v for k, v in essence.items() if k not in mapping.write_only}


VAULT = """\
version: 1
kind: vault
name: crm
metadata: {team: retail}
credentials:
  - name: crm-token
    revision: 1
    auth: {type: static_bearer, mcp_server_url: "https://mcp.example.com", token: {from_env: CRM_TOKEN}}
  - name: sandbox
    auth:
      type: environment_variable
      secret_name: SERVICE_KEY
      networking: {type: limited, allowed_hosts: [API.example.com]}
      secret_value: {from_env: SERVICE_KEY}
"""


def test_vault_create_no_change_rotate_drift_delete(
    tmp_path: Path, client: openai.OpenAI, wire: list[str]
) -> None:
    environ = {"CRM_TOKEN": SENTINEL, "SERVICE_KEY": SENTINEL + "-svc"}
    mapping, vaults = VaultsMapping(), VaultsClient(client, environ)
    spec = spec_of(tmp_path, VAULT)
    essence = mapping.desired_essence(spec)
    live = vaults.create(mapping.create_payload(essence, {"team": "retail", OWNER_KEY: "p/dev/crm"}))
    assert live.owner is not None and live.owner.spec == "crm"
    assert mapping.live_essence(live.raw) == readable(essence, mapping)  # apply then diff: clean
    assert secret_markers(spec, live, environ) == frozenset()
    requests_before = len(wire)

    # the value changed at its source, revision unchanged: seen by digest, shown only as a marker
    rotated_env = {**environ, "CRM_TOKEN": SENTINEL + "-new"}
    changed = secret_markers(spec, vaults.retrieve(live.id), rotated_env)
    assert changed == {"crm-token"}
    marked = mapping.desired_essence(spec, changed)
    assert marked["credentials"]["crm-token"]["secret"] == f"revision 1 {SECRET_CHANGED}"

    # rotation by revision: one edit, one credential update, the secret sent write-only
    bumped = spec_of(tmp_path, VAULT.replace("revision: 1", "revision: 2"))
    essence2 = mapping.desired_essence(bumped)
    before = mapping.live_essence(vaults.retrieve(live.id).raw)
    assert before["credentials"]["crm-token"]["secret"] == "revision 1"
    assert essence2["credentials"]["crm-token"]["secret"] == "revision 2"
    updated = VaultsClient(client, rotated_env).update(
        live.id, mapping.update_payload(essence2, ["credentials"], {"team": "retail", OWNER_KEY: "p/dev/crm"})
    )
    assert mapping.live_essence(updated.raw) == readable(essence2, mapping)
    assert secret_markers(bumped, updated, rotated_env) == frozenset()
    assert any(SENTINEL + "-new" in body for body in wire[requests_before:])  # it was sent ...

    # drift: a credential deleted by hand shows as a difference, and update puts it back
    cred_id = next(c["id"] for c in updated.raw["credentials"] if c["name"] == "sandbox")
    client.beta.agents.vaults.credentials.delete(cred_id, vault_id=live.id)
    drifted = mapping.live_essence(vaults.retrieve(live.id).raw)
    assert "sandbox" not in drifted["credentials"]
    repaired = VaultsClient(client, rotated_env).update(
        live.id, mapping.update_payload(essence2, ["credentials"], {"team": "retail", OWNER_KEY: "p/dev/crm"})
    )
    assert mapping.live_essence(repaired.raw) == readable(essence2, mapping)

    # removing a credential from the spec deletes it (prune of sub-resources)
    pruned = spec_of(tmp_path, VAULT.split("  - name: sandbox")[0])
    essence3 = mapping.desired_essence(pruned)
    after = VaultsClient(client, rotated_env).update(
        live.id, mapping.update_payload(essence3, ["credentials"], {"team": "retail", OWNER_KEY: "p/dev/crm"})
    )
    assert [c["name"] for c in after.raw["credentials"]] == ["crm-token"]

    vaults.delete(live.id)
    assert vaults.retrieve(live.id) is None and vaults.list_all() == []
    responses = wire[1::2]
    assert responses and not [body for body in responses if SENTINEL in body]  # ... and never came back
    assert secrets.redact(SENTINEL + "-new") == "***"  # every value read is known to the redactor


def test_vault_apply_without_the_variable_fails_cleanly(tmp_path: Path, client: openai.OpenAI) -> None:
    from orchestrator.secret_sources import SecretUnavailable

    mapping = VaultsMapping()
    essence = mapping.desired_essence(spec_of(tmp_path, VAULT))
    assert "CRM_TOKEN" in str(essence["secret_sources"])  # the source's name, never a value
    with pytest.raises(SecretUnavailable, match="CRM_TOKEN"):
        VaultsClient(client, {}).create(mapping.create_payload(essence, {}))


def write_skill(root: Path, body: str) -> None:
    folder = root / "skills" / "grammar"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "SKILL.md").write_text(f"---\nname: grammar\ndescription: Spanish grammar\n---\n{body}\n")


SKILL = "version: 1\nkind: skill\nname: grammar\nfolder: ../skills/grammar\nkeep_versions: 2\n"


def test_skill_versions_no_spurious_version_and_instant_rollback(
    tmp_path: Path, client: openai.OpenAI
) -> None:
    write_skill(tmp_path, "v1")
    mapping, skills = SkillsMapping(), SkillsClient(client)
    essence = mapping.desired_essence(spec_of(tmp_path, SKILL))
    live = skills.create(mapping.create_payload(essence, {OWNER_KEY: "p/dev/grammar"}))
    assert live.owner is not None and live.owner.label() == "p/dev/grammar"
    # the same files again (re-read, new mtimes): the same zip bytes, so nothing to do
    (tmp_path / "skills" / "grammar" / "SKILL.md").touch()
    again = SkillsMapping().desired_essence(spec_of(tmp_path, SKILL))
    assert readable(again, mapping) == mapping.live_essence(skills.retrieve(live.id).raw)
    assert again["folder"] == "skills/grammar" and "data" not in again  # a saved plan carries digests only

    write_skill(tmp_path, "v2")
    essence2 = mapping.desired_essence(spec_of(tmp_path, SKILL))
    assert files_changed(mapping.live_essence(live.raw), essence2) == {
        "added": [],
        "changed": ["SKILL.md"],
        "removed": [],
    }
    v2 = skills.update(live.id, mapping.update_payload(essence2, ["files"], {OWNER_KEY: "p/dev/grammar"}))
    assert (v2.raw["default_version"], v2.raw["latest_version"]) == ("2", "2")

    write_skill(tmp_path, "v1")  # a revert in git: the kept version 1 becomes the default, no upload
    essence1 = mapping.desired_essence(spec_of(tmp_path, SKILL))
    rolled = skills.update(live.id, mapping.update_payload(essence1, ["files"], {OWNER_KEY: "p/dev/grammar"}))
    assert (rolled.raw["default_version"], rolled.raw["latest_version"]) == ("1", "2")
    assert mapping.live_essence(rolled.raw) == readable(essence1, mapping)

    for body in ("v3", "v4"):
        write_skill(tmp_path, body)
        skills.update(
            live.id,
            mapping.update_payload(
                mapping.desired_essence(spec_of(tmp_path, SKILL)), [], {OWNER_KEY: "p/dev/grammar"}
            ),
        )
    assert [v["version"] for v in skills.versions(live.id)] == ["3", "4"]  # keep_versions: 2
    assert skills.uploads == 4  # v1 (create), v2, v3, v4: the rollback uploaded nothing
    # keep_versions alone: no new version, no new default, the older version pruned
    one = mapping.desired_essence(spec_of(tmp_path, SKILL.replace("keep_versions: 2", "keep_versions: 1")))
    skills.update(live.id, mapping.update_payload(one, ["keep_versions"], {OWNER_KEY: "p/dev/grammar"}))
    assert [v["version"] for v in skills.versions(live.id)] == ["4"] and skills.uploads == 4
    skills.delete(live.id)
    assert skills.list_all() == []


AUTOMATION = """\
version: 1
kind: automation
name: daily-digest
type: periodic
expression: "0 7 * * *"
timezone: Europe/Madrid
paused: true
target: {agent: retail-analyst, vaults: [crm], input: "Summarise yesterday's KPIs."}
"""


def test_automation_create_paused_resume_and_retarget(tmp_path: Path, client: openai.OpenAI) -> None:
    agent = client.beta.agents.create(model="gpt-5")
    other = client.beta.agents.create(model="gpt-5")
    vault = client.beta.agents.vaults.create(name="crm")
    refs = References({"agent:retail-analyst": agent.id, "agent:other": other.id, "vault:crm": vault.id})
    mapping, automations = AutomationsMapping(refs), AutomationsClient(client, references=refs)
    essence = mapping.desired_essence(spec_of(tmp_path, AUTOMATION))
    live = automations.create(mapping.create_payload(essence, {OWNER_KEY: "p/dev/daily-digest"}))
    assert live.raw["status"] == "paused"
    assert mapping.live_essence(live.raw) == essence

    resumed_spec = spec_of(
        tmp_path,
        AUTOMATION.replace("paused: true", "paused: false").replace("agent: retail-analyst", "agent: other"),
    )
    essence2 = mapping.desired_essence(resumed_spec)
    changed = [k for k in essence2 if essence2[k] != mapping.live_essence(live.raw)[k]]
    assert sorted(changed) == ["paused", "target"]
    updated = automations.update(live.id, mapping.update_payload(essence2, changed, {}))
    assert updated.raw["status"] == "active" and updated.raw["target"]["agent_id"] == other.id
    assert mapping.live_essence(updated.raw) == essence2

    client.beta.agents.automations.pause(live.id)  # drift: paused by hand
    assert mapping.live_essence(automations.retrieve(live.id).raw)["paused"] is True
    client.beta.agents.automations.invocations.create(live.id)
    assert len(automations.list_invocations(live.id)) == 1
    automations.delete(live.id)
    assert automations.retrieve(live.id) is None
