"""`orchestrator validate` and `orchestrator schema` on good projects: exit codes, output shapes, no network."""

from __future__ import annotations

import json
import shutil
import socket
import textwrap
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tests.support.processes import run_python
from tests.support.projects import run_cli

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORCHESTRATOR_TODAY", "2026-11-26")


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """This repository's own project (orchestrator.yaml, specs, templates, schemas), outside the repository."""
    target = tmp_path / "repo"
    target.mkdir()
    shutil.copy2(REPO / "orchestrator.yaml", target / "orchestrator.yaml")
    for folder in ("specs", "templates", "schemas"):
        shutil.copytree(REPO / folder, target / folder)
    return target


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def test_repository_project_validates(repo_copy: Path) -> None:
    result = run_cli(["validate", "-C", str(repo_copy)])
    assert result.exit_code == 0, result.output
    assert "specs valid (environment dev, target local, backend assistants)" in result.stderr
    assert "error" not in result.stderr


def test_repository_project_validates_as_empty_json_list(repo_copy: Path) -> None:
    result = run_cli(["validate", "-C", str(repo_copy), "--output", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize("kind", ["spec", "project", "environment", "vault", "skill", "automation", "plan"])
def test_schema_command_prints_the_valid_schema_file(kind: str) -> None:
    result = run_cli(["schema", kind])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    Draft202012Validator.check_schema(printed)
    # the plan schema is assembled from a kind-free base and the kinds' parts (tests/kinds/test_plan_schema.py)
    if kind == "plan":
        from orchestrator.spec.schemas import load_schema

        assert printed == load_schema("plan")
        return
    assert printed == json.loads((REPO / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8"))


def test_schema_command_defaults_to_the_spec_schema() -> None:
    assert (
        json.loads(run_cli(["schema"]).stdout)["title"]
        == json.loads(run_cli(["schema", "spec"]).stdout)["title"]
    )
    assert run_cli(["schema", "assistant"]).stdout == run_cli(["schema", "spec"]).stdout


def test_schema_covers_every_schema_the_tool_ships() -> None:
    """`schema vault`, `schema skill`, ... (issue 29): every kind a spec file may declare has its schema."""
    from orchestrator.cli.schema import KINDS
    from orchestrator.spec.schemas import SCHEMA_FILES

    assert set(SCHEMA_FILES) <= set(KINDS)
    result = run_cli(["schema", "nosuch"])
    assert result.exit_code == 1 and "automation" in result.output


def test_all_errors_of_a_run_are_reported_together_sorted_by_file_and_line(tmp_path: Path) -> None:
    project = write(
        tmp_path / "project",
        {
            "orchestrator.yaml": "version: 1\nproject: sorted\n",
            "specs/b.yaml": """\
            version: 1
            name: bravo
            model: gpt-5.4
            instructions: {template: bravo.md.j2}
            temperature: 5
            top_p: 2
            """,
            "specs/a.yaml": """\
            version: 1
            name: alpha
            model: gpt-5.4
            instructions: Hi.
            temprature: 1
            """,
            "specs/c.yaml": "version: 1\nname: charlie\nmodel: gpt-4.1\ninstructions: Hi.\n",
            "templates/bravo.md.j2": "unused\n",
        },
    )
    result = run_cli(["validate", "-C", str(project)])
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if ": error: " in line or ": warning: " in line]
    assert [line.split(": ")[0] for line in lines] == [
        "specs/a.yaml:5:1",
        "specs/b.yaml:5:14",
        "specs/b.yaml:6:8",
        "specs/c.yaml:3:8",
    ]
    assert result.stderr.rstrip().endswith("3 errors, 1 warning")

    items = json.loads(run_cli(["validate", "-C", str(project), "--output", "json"]).stdout)
    assert [(i["file"], i["line"], i["column"], i["pointer"], i["severity"]) for i in items] == [
        ("specs/a.yaml", 5, 1, "/temprature", "error"),
        ("specs/b.yaml", 5, 14, "/temperature", "error"),
        ("specs/b.yaml", 6, 8, "/top_p", "error"),
        ("specs/c.yaml", 3, 8, "/model", "warning"),
    ]
    assert items[0]["message"] == "unknown key `temprature`; did you mean `temperature`?"
    assert items[0]["hint"] == "rename it to `temperature`"


def test_warnings_alone_do_not_fail_and_are_listed_in_json(tmp_path: Path) -> None:
    project = write(
        tmp_path / "project",
        {
            "orchestrator.yaml": "version: 1\nproject: warned\n",
            "specs/a.yaml": "version: 1\nname: alpha\nmodel: gpt-4.1\ninstructions: Hi.\n",
        },
    )
    result = run_cli(["validate", "-C", str(project), "--output", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [
        {
            "file": "specs/a.yaml",
            "line": 3,
            "column": 8,
            "pointer": "/model",
            "message": "model `gpt-4.1` is announced to shut down on 2027-01-14",
            "severity": "warning",
        }
    ]


def test_a_spec_error_does_not_hide_errors_in_other_specs(tmp_path: Path) -> None:
    project = write(
        tmp_path / "project",
        {
            "orchestrator.yaml": "version: 1\nproject: many\n",
            "specs/a.yaml": "version: 1\nname: alpha\nmodel: gpt-5.4\ninstructions: [x]\n",
            "specs/b.yaml": "version: 1\nname: bravo\nmodel: gpt-4-turbo\ninstructions: Hi.\n",
            "specs/c.yaml": "name: [unclosed\n",
        },
    )
    result = run_cli(["validate", "-C", str(project)])
    assert result.exit_code == 1
    assert "specs/a.yaml:4:15" in result.stderr
    assert "specs/b.yaml:3:8" in result.stderr
    assert "specs/c.yaml:2:1" in result.stderr


def test_validate_makes_no_network_call(repo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"validate opened a connection: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    result = run_cli(["validate", "-C", str(repo_copy), "-e", "prod"])  # a remote target: still offline
    assert result.exit_code == 0, result.output


def _python(code: str, cwd: Path) -> str:
    result = run_python(code, cwd, env={"ORCHESTRATOR_TODAY": "2026-11-26"})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_validate_imports_neither_openai_nor_handler_code(repo_copy: Path) -> None:
    code = textwrap.dedent("""\
        import sys
        from orchestrator.cli import main
        code = main(['validate'])
        handlers = sorted(m for m in sys.modules if m.split('.')[0] in ('tutor', 'analyst'))
        print(code, 'openai' in sys.modules, 'orchestrator.runtime' in sys.modules, handlers)
        """)
    assert _python(code, repo_copy) == "0 False False []"


def test_help_does_not_import_openai(tmp_path: Path) -> None:
    code = "import sys\nfrom orchestrator.cli import main\nmain(['--help'])\nprint('openai' in sys.modules)"
    assert _python(code, tmp_path) == "False"
