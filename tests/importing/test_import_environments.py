"""`orchestrator import` of environment templates (Agents API) through the CLI against the served emulator:
an unmanaged template becomes a `kind: environment` spec, its project files named by the path they were
uploaded from; diff then shows only the adoption, apply adopts it keeping its id, and diff exits 0."""

from __future__ import annotations

import hashlib
from pathlib import Path

import openai
import yaml

from orchestrator.backends.knowledge import remote_filename
from tests.conftest import TEST_KEY
from tests.support.projects import run_in as cli
from tests.support.projects import write


def hand_made_template(project: Path, sdk: openai.OpenAI) -> str:
    """A template someone made by hand, holding a project file uploaded the way this project names uploads."""
    data = write(project / "specs" / "knowledge" / "a.md", "# A\nuno\n").read_bytes()
    sha16 = hashlib.sha256(data).hexdigest()[:16]
    uploaded = sdk.files.create(
        file=(remote_filename("test-project", "specs/knowledge/a.md", sha16), data), purpose="assistants"
    )
    template = sdk.beta.agents.environments.templates.create(
        name="Tutor sandbox",
        files=[{"type": "file_id", "path": "/workspace/knowledge/a.md", "file_id": uploaded.id}],
        packages={"python": ["pandas"]},
        network={"access": "restricted", "allowed_domains": ["api.example.com"]},
    )
    return template.id


def test_an_unmanaged_template_imports_as_an_environment_spec_and_is_adopted_unchanged(
    agents_project: Path, sdk: openai.OpenAI
) -> None:
    template_id = hand_made_template(agents_project, sdk)
    result = cli(agents_project, "import", "--all-unmanaged")
    assert result.exit_code == 0, result.output
    assert f'+ {template_id} "Tutor sandbox" -> specs/tutor-sandbox.yaml' in result.stdout
    assert "Imported 1 environment from" in result.stdout and "round trip is not exact" not in result.stdout
    spec = yaml.safe_load((agents_project / "specs" / "tutor-sandbox.yaml").read_text(encoding="utf-8"))
    assert spec == {
        "version": 1,
        "kind": "environment",
        "name": "tutor-sandbox",
        "files": [{"from": "knowledge/a.md", "to": "/workspace/knowledge/a.md"}],
        "packages": {"python": ["pandas"]},
        "network": {"access": "restricted", "allowed_domains": ["api.example.com"]},
        "adopt_id": template_id,
    }
    shown = cli(agents_project, "diff")
    assert shown.exit_code == 2, shown.output
    assert f"~ environment tutor-sandbox ({template_id}) will be updated [adopt" in shown.stdout
    assert "Plan: 0 to create, 1 to update, 0 to delete" in shown.stdout  # no upload: the file is reused
    assert cli(agents_project, "apply", "--yes").exit_code == 0
    [template] = sdk.beta.agents.environments.templates.list(limit=100).data
    assert template.id == template_id and template.name.startswith("test-project/dev/tutor-sandbox#")
    assert len(sdk.files.list().data) == 1
    again = cli(agents_project, "diff")
    assert again.exit_code == 0, again.output
    assert TEST_KEY not in result.output + shown.output


def test_an_owned_template_is_not_imported_again(agents_project: Path, sdk: openai.OpenAI) -> None:
    write(
        agents_project / "specs" / "tutor-env.yaml",
        "version: 1\nkind: environment\nname: tutor-env\npackages: {python: [pandas]}\n",
    )
    assert cli(agents_project, "apply", "--yes").exit_code == 0
    result = cli(agents_project, "import", "--all-unmanaged")
    assert result.exit_code == 0, result.output
    assert "Nothing to import" in result.stdout and "already managed by spec `tutor-env`" in result.stdout
