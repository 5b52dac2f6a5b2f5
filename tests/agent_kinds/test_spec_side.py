"""kind: vault / skill / automation read offline: schema, semantic checks, deterministic zips, secret sources."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from orchestrator import secrets
from orchestrator.kinds.automation import AutomationSpec, check_references
from orchestrator.secret_sources import (
    SecretSource,
    SecretUnavailable,
    parse_stamp,
    resolve,
    source_problem,
    stamp,
)
from orchestrator.spec.agent_kinds import SkillSpec, VaultSpec, read_resource
from orchestrator.spec.loading import load_yaml_file
from orchestrator.spec.skill_archive import build, changed_files, read_archive, read_folder

SENTINEL = "s3cr3t-SENTINEL-value-7f1d"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def read(tmp_path: Path, text: str):
    path = write(tmp_path / "specs" / "x.yaml", text)
    doc = load_yaml_file(path, "specs/x.yaml", root=tmp_path)
    return doc, read_resource(doc, tmp_path)


VAULT = """\
version: 1
kind: vault
name: crm
credentials:
  - name: crm-token
    revision: 2
    auth: {type: static_bearer, mcp_server_url: "https://mcp.example.com", token: {from_env: CRM_TOKEN}}
  - name: sandbox
    auth:
      type: environment_variable
      secret_name: SERVICE_KEY
      networking: {type: limited, allowed_hosts: [api.example.com]}
      secret_value: {from_file: /run/secrets/service-key}
"""


def test_vault_reads_sources_not_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRM_TOKEN", raising=False)  # validate never needs the variable
    _, (spec, found) = read(tmp_path, VAULT)
    assert found == [] and isinstance(spec, VaultSpec)
    token = spec.credentials[0]
    assert token.revision == 2 and token.secrets == {"token": SecretSource(env="CRM_TOKEN")}
    assert "token" not in token.auth and token.auth["mcp_server_url"] == "https://mcp.example.com"
    assert spec.credentials[1].secrets == {"secret_value": SecretSource(file="/run/secrets/service-key")}


def test_a_secret_value_written_in_the_spec_is_refused(tmp_path: Path) -> None:
    _, (spec, found) = read(tmp_path, VAULT.replace("{from_env: CRM_TOKEN}", SENTINEL))
    assert spec is None and found and found[0].line == 7
    assert all(SENTINEL not in d.message for d in found)


def test_a_secret_file_inside_the_project_is_refused(tmp_path: Path) -> None:
    inside = str(tmp_path / "secret.txt")
    _, (spec, found) = read(tmp_path, VAULT.replace("/run/secrets/service-key", inside))
    assert spec is None and "inside the project" in found[0].message and found[0].line == 13
    _, (_, found) = read(tmp_path, VAULT.replace("/run/secrets/service-key", "secret.txt"))
    assert "relative" in found[0].message


def test_duplicate_credential_names(tmp_path: Path) -> None:
    _, (spec, found) = read(tmp_path, VAULT.replace("name: sandbox", "name: crm-token"))
    assert spec is None and "named twice" in found[0].message


AUTOMATION = """\
version: 1
kind: automation
name: daily-digest
type: periodic
expression: "0 7 * * *"
timezone: Europe/Madrid
paused: true
target: {agent: retail-analyst, environment: tutor-env, vaults: [crm], input: "Summarise yesterday's KPIs."}
"""


def test_automation_and_its_references(tmp_path: Path) -> None:
    doc, (spec, found) = read(tmp_path, AUTOMATION)
    assert found == [] and isinstance(spec, AutomationSpec) and spec.paused and spec.vaults == ("crm",)
    names = {"retail-analyst": "assistant", "tutor-env": "environment", "crm": "vault"}
    assert check_references(doc, spec, names) == []
    problems = check_references(doc, spec, {"retail-analyst": "vault"})
    assert [p.pointer for p in problems] == ["/target/agent", "/target/environment", "/target/vaults/0"]
    assert problems[0].line == 8


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (('"0 7 * * *"', '"every morning"'), "cron"),
        (("Europe/Madrid", "Mars/Olympus"), "IANA"),
        (('expression: "0 7 * * *"\n', ""), "expression"),
    ],
)
def test_bad_schedules(tmp_path: Path, change: tuple[str, str], words: str) -> None:
    _, (spec, found) = read(tmp_path, AUTOMATION.replace(*change))
    assert spec is None and words in found[0].message


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("99 25 * * *", "minute `99` is not valid (expected 0-59"),
        ("0 25 * * *", "hour `25` is not valid (expected 0-23"),
        ("0 7 * 13 *", "month `13` is not valid"),
        ("0 7 * * FOO", "day-of-week `FOO` is not valid"),
        ("0 0 30 2 *", "day-of-month `30` never occurs in month `2`"),
        ("0 0 32 * *", "day-of-month `32` is out of range 1-31"),
    ],
)
def test_cron_expressions_are_parsed_not_only_pattern_checked(
    tmp_path: Path, expression: str, message: str
) -> None:
    """`99 25 * * *` had the shape of five fields and passed validate, diff and apply (issue 29, 4)."""
    _, (spec, found) = read(tmp_path, AUTOMATION.replace("0 7 * * *", expression))
    assert spec is None and len(found) == 1
    assert found[0].pointer == "/expression" and found[0].line == 5
    assert (
        found[0].message
        == f"`{expression}` is not a valid cron expression: " + found[0].message.split(": ", 1)[1]
    )
    assert message in found[0].message


@pytest.mark.parametrize(
    "expression", ["0 7 * * *", "*/15 9-17 * * 1-5", "0 7 * * MON-FRI", "0 0 29 2 *", "0 7 * * 7"]
)
def test_valid_cron_expressions_pass(tmp_path: Path, expression: str) -> None:
    _, (spec, found) = read(tmp_path, AUTOMATION.replace("0 7 * * *", expression))
    assert found == [] and spec is not None


def test_once_needs_an_offset(tmp_path: Path) -> None:
    once = AUTOMATION.replace(
        'type: periodic\nexpression: "0 7 * * *"\ntimezone: Europe/Madrid\n',
        "type: once\nrun_at: '2030-01-01T07:00:00'\n",
    )
    _, (spec, found) = read(tmp_path, once)
    assert spec is None and "offset" in found[0].message
    _, (spec, found) = read(tmp_path, once.replace("07:00:00", "07:00:00Z"))
    assert found == [] and spec.run_at == 1893481200


def skill_folder(root: Path) -> Path:
    folder = root / "skills" / "grammar"
    write(folder / "SKILL.md", "---\nname: grammar\ndescription: Spanish grammar\n---\nBe precise.\n")
    write(folder / "examples" / "one.md", "uno\n")
    return folder


def test_skill_zip_is_deterministic(tmp_path: Path) -> None:
    folder = skill_folder(tmp_path)
    first = build(read_folder(folder, tmp_path), "grammar", {"owner": "p/dev/grammar"})
    os.utime(folder / "SKILL.md", (1, 1))
    (folder / "examples" / "one.md").chmod(0o755)
    second = build(read_folder(folder, tmp_path), "grammar", {"owner": "p/dev/grammar"})
    assert first.data == second.data and first.digest == second.digest
    names = [i.filename for i in zipfile.ZipFile(__import__("io").BytesIO(first.data)).infolist()]
    assert names == sorted(names)
    files, manifest = read_archive(first.data)
    assert manifest == {"owner": "p/dev/grammar"} and sorted(files) == ["SKILL.md", "examples/one.md"]
    write(folder / "examples" / "two.md", "dos\n")
    third = build(read_folder(folder, tmp_path), "grammar", {"owner": "p/dev/grammar"})
    assert changed_files(first.files, third.files) == {
        "added": ["examples/two.md"],
        "changed": [],
        "removed": [],
    }


def test_skill_spec_needs_a_skill_md(tmp_path: Path) -> None:
    write(tmp_path / "skills" / "empty" / "notes.md", "x")
    _, (spec, found) = read(tmp_path, "version: 1\nkind: skill\nname: empty\nfolder: ../skills/empty\n")
    assert spec is None and "SKILL.md" in found[0].message and found[0].line == 4
    skill_folder(tmp_path)
    _, (spec, found) = read(tmp_path, "version: 1\nkind: skill\nname: grammar\nfolder: ../skills/grammar\n")
    assert found == [] and isinstance(spec, SkillSpec) and spec.keep_versions == 5


def test_a_skill_folder_linking_out_of_the_project_is_refused(tmp_path: Path) -> None:
    outside = tmp_path.parent / (tmp_path.name + "-outside")
    skill_folder(outside)
    (tmp_path / "skills").mkdir()
    (tmp_path / "skills" / "grammar").symlink_to(outside / "skills" / "grammar")
    _, (spec, found) = read(tmp_path, "version: 1\nkind: skill\nname: grammar\nfolder: ../skills/grammar\n")
    assert spec is None and "outside the project" in found[0].message


def test_resolve_teaches_the_redactor(tmp_path: Path) -> None:
    with secrets.SecretLedger().bound() as ledger:  # the test owns the run
        assert resolve(SecretSource(env="CRM_TOKEN"), {"CRM_TOKEN": SENTINEL}) == SENTINEL
        assert secrets.redact(f"token={SENTINEL}") == "token=***"
        path = write(tmp_path / "key.txt", "file-secret-value-123\n")
        assert resolve(SecretSource(file=str(path)), {}) == "file-secret-value-123"
        assert "file-secret-value-123" not in secrets.redact("x file-secret-value-123 y")
        with pytest.raises(SecretUnavailable, match="not set"):
            resolve(SecretSource(env="MISSING"), {})
    assert SENTINEL in ledger.redactor.secrets  # kept by the ledger that owned the run


def test_stamp_keeps_a_salted_digest_only() -> None:
    value = stamp(3, "abcd", SENTINEL)
    assert SENTINEL not in value and value.startswith("3:abcd:")
    parsed = parse_stamp(value)
    assert parsed is not None and parsed.matches(SENTINEL) and not parsed.matches("other")
    assert stamp(3, "efgh", SENTINEL) != value  # salted: equal secrets do not give equal digests
    assert source_problem(SecretSource(env="1BAD"), Path("/tmp")) is not None
