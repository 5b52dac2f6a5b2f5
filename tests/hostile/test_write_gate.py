"""Nothing the tool writes lands outside the project (issue 25, item 1): one write gate.

Each case builds a sandbox holding the project and a sentinel file beside it, runs the real CLI (or the
MCP server as a subprocess) against a served emulator, and checks: the exit code, the diagnostic, no
traceback, and nothing changed in the sandbox outside the project (the sentinel untouched, nothing new).
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml

from orchestrator.emulator import EmulatorServer
from tests.conftest import TEST_KEY
from tests.support.projects import make_project, run_cli, write, write_yaml
from tests.support.proxy import FailingProxy

UNTOUCHED = b"the sentinel outside the project\n"


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path/sandbox: the project goes in `project/`, the sentinel `VICTIM` beside it."""
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    monkeypatch.delenv("ORCHESTRATOR_LOCAL_DB", raising=False)
    root = tmp_path / "sandbox"
    root.mkdir()
    (root / "VICTIM").write_bytes(UNTOUCHED)
    return root


def outside(sandbox: Path) -> dict[str, Any]:
    """Everything in the sandbox outside the project: path -> bytes, link target or `dir`."""
    found: dict[str, Any] = {}
    for base, dirs, files in os.walk(sandbox):
        if Path(base) == sandbox:
            dirs[:] = [d for d in dirs if d != "project"]
        for name in dirs + files:
            path = Path(base) / name
            key = path.relative_to(sandbox).as_posix()
            if path.is_symlink():
                found[key] = f"link:{os.readlink(path)}"
            elif path.is_dir():
                found[key] = "dir"
            else:
                found[key] = path.read_bytes()
    return found


def assert_clean_refusal(result: Any, *texts: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "This is a bug" not in result.output, result.output
    for text in texts:
        assert text in result.stderr, result.stderr


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


# -- 1: zip-slip through a newline in a skill archive's entry name ------------------------------------


def slip_zip(sandbox: Path) -> bytes:
    """A skill whose second entry climbs out of any folder (`..` past `/` stays at `/`) to the sentinel."""
    climb = "../" * 40 + (sandbox / "VICTIM").as_posix().lstrip("/")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "grammar/SKILL.md", "---\nname: Grammar\ndescription: Spanish grammar\n---\nUse it.\n"
        )
        archive.writestr(f"grammar/x\n/{climb}", "OVERWRITTEN\n")
        archive.writestr("grammar/tables/verbs.csv", "ser,estar\n")
    return buffer.getvalue()


@pytest.fixture
def agents_sandbox(sandbox: Path, served: EmulatorServer) -> Path:
    make_project(sandbox / "project", base_url=served.base_url, backend="agents")
    return sandbox


def test_a_newline_in_a_skill_entry_name_never_writes_outside_the_project(
    agents_sandbox: Path, sdk: openai.OpenAI
) -> None:
    sandbox, project = agents_sandbox, agents_sandbox / "project"
    sdk.skills.create(files=("skill.zip", slip_zip(sandbox), "application/zip"))
    before, inside = outside(sandbox), tree(project)

    dry = run_cli(["-C", str(project), "import", "--all-unmanaged", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run: nothing was written." in dry.stdout
    assert (
        "of the skill was not written: its part `x\\n` holds the control, invisible or unassigned character U+000A"
        in dry.stdout
    ), dry.stdout
    assert outside(sandbox) == before and tree(project) == inside

    real = run_cli(["-C", str(project), "import", "--all-unmanaged"])
    assert real.exit_code == 0, real.output
    assert "was not written" in real.stdout
    assert outside(sandbox) == before
    assert (project / "skills" / "grammar" / "tables" / "verbs.csv").read_text() == "ser,estar\n"
    assert not any("\n" in p.name for p in project.rglob("*"))


def test_the_mcp_import_tool_never_writes_outside_the_project(
    agents_sandbox: Path, sdk: openai.OpenAI, tmp_path: Path
) -> None:
    from tests.mcp.conftest import Session, over_stdio

    sandbox, project = agents_sandbox, agents_sandbox / "project"
    sdk.skills.create(files=("skill.zip", slip_zip(sandbox), "application/zip"))
    before, inside = outside(sandbox), tree(project)

    async def scenario(session: Session) -> dict[str, Any]:
        return await session.ok("import", {"all_unmanaged": True})

    dry = over_stdio(project, scenario, errlog=tmp_path / "errlog")
    assert dry["dry_run"] is True and dry["written"] is False
    assert any("was not written" in w for item in dry["imported"] for w in item["warnings"]), dry
    assert outside(sandbox) == before and tree(project) == inside


# -- 2: a live function named like a path -------------------------------------------------------------


def rename_function(name: str) -> Any:
    def rewrite(method: str, path: str, status: int, body: Any) -> Any:
        if not path.startswith("/v1/assistants") or not isinstance(body, dict):
            return body
        for item in body.get("data") or [body]:
            for tool in item.get("tools") or []:
                if tool.get("type") == "function":
                    tool["function"]["name"] = name
        return body

    return rewrite


@pytest.mark.parametrize("name", ["../../../VICTIM", "../../../../../../../../../../{sandbox}/VICTIM", "con"])
def test_a_function_named_like_a_path_writes_its_schema_inside_the_project(
    sandbox: Path, served: EmulatorServer, sdk: openai.OpenAI, name: str
) -> None:
    name = name.format(sandbox=sandbox.as_posix().lstrip("/"))
    properties = {f"field_{i}": {"type": "string", "description": f"field {i}"} for i in range(20)}
    sdk.beta.assistants.create(
        model="gpt-5.4",
        name="Big Schema",
        instructions="Hi.",
        tools=[
            {
                "type": "function",
                "function": {"name": "lookup", "parameters": {"type": "object", "properties": properties}},
            }
        ],
    )
    with FailingProxy(served.root_url, lambda *args: None, rename_function(name)) as proxy:
        project = make_project(sandbox / "project", base_url=proxy.base_url)
        before = outside(sandbox)
        for flags in (["--dry-run"], []):
            result = run_cli(["-C", str(project), "import", "--all-unmanaged", *flags])
            assert result.exit_code == 0, result.output
            assert outside(sandbox) == before
    written = sorted(p.relative_to(project).as_posix() for p in (project / "schemas").rglob("*.json"))
    assert len(written) == 1 and written[0].startswith("schemas/functions/"), written
    assert "is not a portable file name" in result.stdout
    assert not written[0].startswith("schemas/functions/con.")


# -- 3: the local target's database lives under .orchestrator/ -----------------------------------------


def local_project(root: Path, db: str | None) -> Path:
    make_project(root)
    data = yaml.safe_load((root / "orchestrator.yaml").read_text())
    if db is not None:
        data["targets"]["main"]["db"] = db
    write_yaml(root / "orchestrator.yaml", data)
    return root


@pytest.mark.parametrize(
    "db", ["{sandbox}/VICTIM", "../VICTIM", ".git/local.db", ".orchestrator/../../VICTIM", "specs/local.db"]
)
def test_diff_refuses_a_local_database_outside_the_state_folder(sandbox: Path, db: str) -> None:
    db = db.format(sandbox=sandbox)
    (sandbox / "VICTIM").write_bytes(b"")  # an empty file: SQLite would make it a database
    project = local_project(sandbox / "project", db)
    (project / ".git").mkdir()
    before, inside = outside(sandbox), tree(project)
    for command in (["diff"], ["apply", "--yes"], ["list"], ["validate"]):
        result = run_cli(["-C", str(project), *command])
        assert_clean_refusal(
            result,
            "orchestrator.yaml:",
            "the local database must be a file in `.orchestrator/`",
            "ORCHESTRATOR_LOCAL_DB",
        )
    assert outside(sandbox) == before and tree(project) == inside
    assert (sandbox / "VICTIM").read_bytes() == b""


def test_the_local_database_moves_only_by_the_users_own_environment(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = local_project(sandbox / "project", ".orchestrator/dev.db")
    write(project / "specs" / "helper.yaml", "version: 1\nname: helper\nmodel: gpt-5.4\ninstructions: Hi.\n")
    result = run_cli(["-C", str(project), "apply", "--yes"])
    assert result.exit_code == 0, result.output
    assert (project / ".orchestrator" / "dev.db").is_file()
    elsewhere = sandbox / "state" / "{target}.sqlite"
    monkeypatch.setenv("ORCHESTRATOR_LOCAL_DB", str(elsewhere))
    result = run_cli(["-C", str(project), "diff"])
    assert result.exit_code == 2, result.output  # an empty target: the spec is to be created again
    assert (sandbox / "state" / "main.sqlite").is_file()


def test_a_state_folder_that_is_a_link_is_refused(sandbox: Path) -> None:
    project = local_project(sandbox / "project", None)
    (sandbox / "elsewhere").mkdir()
    os.symlink(sandbox / "elsewhere", project / ".orchestrator")
    before = outside(sandbox)
    result = run_cli(["-C", str(project), "diff"])
    assert_clean_refusal(result, "`.orchestrator` in", "is a link")
    assert outside(sandbox) == before


@pytest.mark.parametrize("name", ["local.db", "local.db-wal", "local.db-shm", "local.db-journal"])
def test_a_committed_link_in_the_state_folder_is_never_opened(sandbox: Path, name: str) -> None:
    """`.orchestrator/` is git-ignored, but a pull request can force-add a link there: SQLite would follow it."""
    project = local_project(sandbox / "project", None)
    (project / ".orchestrator").mkdir()
    os.symlink(sandbox / "VICTIM", project / ".orchestrator" / name)
    before = outside(sandbox)
    result = run_cli(["-C", str(project), "diff"])
    assert_clean_refusal(result, f"`.orchestrator/{name}` in", "is a link")
    assert outside(sandbox) == before


# -- 4: import through a committed folder link --------------------------------------------------------


def test_import_never_writes_through_a_committed_folder_link(
    sandbox: Path, served: EmulatorServer, sdk: openai.OpenAI
) -> None:
    project = make_project(sandbox / "project", base_url=served.base_url)
    (sandbox / "outside").mkdir()
    os.symlink(sandbox / "outside", project / "templates" / "imported")
    sdk.beta.assistants.create(model="gpt-5.4", name="Long", instructions="line one\nline two\n")
    before, inside = outside(sandbox), tree(project)
    result = run_cli(["-C", str(project), "import", "--all-unmanaged"])
    assert_clean_refusal(result, "templates/imported", "is a link", "Nothing was written")
    assert outside(sandbox) == before and tree(project) == inside


# -- 5: init follows no link already in the folder ----------------------------------------------------


def test_init_never_appends_through_a_gitignore_link(sandbox: Path) -> None:
    folder = sandbox / "project"
    folder.mkdir()
    os.symlink(sandbox / "VICTIM", folder / ".gitignore")
    before = outside(sandbox)
    result = run_cli(["-C", str(folder), "init"])
    assert_clean_refusal(result, ".gitignore", "is a link")
    assert outside(sandbox) == before
    assert sorted(p.name for p in folder.iterdir()) == [".gitignore"]  # nothing half-made


def test_init_never_writes_into_a_linked_folder(sandbox: Path) -> None:
    folder = sandbox / "project"
    folder.mkdir()
    (sandbox / "outside").mkdir()
    os.symlink(sandbox / "outside", folder / "handlers")
    before = outside(sandbox)
    result = run_cli(["-C", str(folder), "init"])
    assert_clean_refusal(result, "handlers", "is a link")
    assert outside(sandbox) == before
    assert sorted(p.name for p in folder.iterdir()) == ["handlers"]


def test_init_still_appends_to_a_real_gitignore(sandbox: Path) -> None:
    folder = sandbox / "project"
    write(folder / ".gitignore", "*.pyc\n")
    result = run_cli(["-C", str(folder), "init"])
    assert result.exit_code == 0, result.output
    assert (folder / ".gitignore").read_text() == "*.pyc\n.orchestrator/\n"


# -- 25: Windows device names, links and odd names in skill folders -----------------------------------


def test_windows_device_names_are_never_written_by_import(
    sandbox: Path, served: EmulatorServer, sdk: openai.OpenAI
) -> None:
    project = make_project(sandbox / "project", base_url=served.base_url)
    for name in ("con", "aux", "NUL", "com1"):
        sdk.beta.assistants.create(model="gpt-5.4", name=name, instructions="Hi.")
    result = run_cli(["-C", str(project), "import", "--all-unmanaged"])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (project / "specs").iterdir())
    assert written == ["aux-2.yaml", "com1-2.yaml", "con-2.yaml", "nul-2.yaml"], written
    assert run_cli(["-C", str(project), "validate"]).exit_code == 0


def skill_project(sandbox: Path, served: EmulatorServer) -> Path:
    project = make_project(sandbox / "project", base_url=served.base_url, backend="agents")
    write(
        project / "specs" / "grammar.yaml",
        "version: 1\nkind: skill\nname: grammar\nfolder: ../skills/grammar\n",
    )
    write(
        project / "skills" / "grammar" / "SKILL.md",
        "---\nname: Grammar\ndescription: Spanish grammar\n---\nHi.\n",
    )
    return project


def test_a_link_to_a_folder_inside_a_skill_folder_is_reported_at_the_spec(
    sandbox: Path, served: EmulatorServer
) -> None:
    project = skill_project(sandbox, served)
    (project / "tables").mkdir()
    write(project / "tables" / "verbs.csv", "ser,estar\n")
    os.symlink(project / "tables", project / "skills" / "grammar" / "tables")
    result = run_cli(["-C", str(project), "validate"])
    assert_clean_refusal(result, "specs/grammar.yaml:4:", "holds `tables`, a link to a folder")


@pytest.mark.parametrize("name", ["notes\nsecond.md", "tab\there.md", "bidi\u202etxt.md"])
def test_a_skill_file_name_with_a_control_character_is_refused_at_validate(
    sandbox: Path, served: EmulatorServer, sdk: openai.OpenAI, name: str
) -> None:
    project = skill_project(sandbox, served)
    write(project / "skills" / "grammar" / name, "x\n")
    for command in (["validate"], ["diff"], ["apply", "--yes"]):
        result = run_cli(["-C", str(project), *command])
        assert_clean_refusal(result, "specs/grammar.yaml:4:", "control, invisible or unassigned character")
    assert list(sdk.skills.list()) == []


def test_a_skill_file_name_that_is_not_utf8_is_refused_at_validate(
    sandbox: Path, served: EmulatorServer, sdk: openai.OpenAI
) -> None:
    project = skill_project(sandbox, served)
    with open(os.fsencode(project / "skills" / "grammar") + b"/caf\xe9.md", "wb") as handle:
        handle.write(b"x\n")
    for command in (["validate"], ["diff"]):
        result = run_cli(["-C", str(project), *command])
        assert_clean_refusal(result, "specs/grammar.yaml:4:", "is not UTF-8")
    assert list(sdk.skills.list()) == []


# -- user-chosen outputs: anywhere the user names, never through a link of the project -----------------


@pytest.fixture
def plain_project(sandbox: Path) -> Iterator[Path]:
    project = local_project(sandbox / "project", None)
    write(project / "specs" / "helper.yaml", "version: 1\nname: helper\nmodel: gpt-5.4\ninstructions: Hi.\n")
    yield project


def test_diff_out_goes_where_the_user_says_but_never_through_a_project_link(
    sandbox: Path, plain_project: Path
) -> None:
    os.symlink(sandbox, plain_project / "plans")
    before = outside(sandbox)
    result = run_cli(["-C", str(plain_project), "diff", "--out", "plans/VICTIM"])
    assert_clean_refusal(result, "`plans` in", "is a link")
    result = run_cli(["-C", str(plain_project), "diff", "--events", "plans/events.jsonl"])
    assert_clean_refusal(result, "`plans` in", "is a link")
    assert outside(sandbox) == before
    result = run_cli(["-C", str(plain_project), "diff", "--out", str(sandbox / "saved" / "plan.json")])
    assert result.exit_code == 2, result.output
    assert json.loads((sandbox / "saved" / "plan.json").read_text())["format_version"] == 1
    result = run_cli(["-C", str(plain_project), "diff", "--out", "plan.json"])
    assert result.exit_code == 2 and (plain_project / "plan.json").is_file()


def test_text_that_is_not_unicode_is_refused_not_a_traceback(
    sandbox: Path, served: EmulatorServer, sdk: openai.OpenAI
) -> None:
    """JSON's `\\ud800` decodes to a lone surrogate, which no spec file can hold: that object is not imported."""
    made = sdk.beta.assistants.create(model="gpt-5.4", name="Broken", instructions="Hi.")

    def rewrite(method: str, path: str, status: int, body: Any) -> Any:
        if path.startswith("/v1/assistants") and isinstance(body, dict):
            for item in body.get("data") or [body]:
                item["instructions"] = "line\ud800\n" * 50
        return body

    with FailingProxy(served.root_url, lambda *args: None, rewrite) as proxy:
        project = make_project(sandbox / "project", base_url=proxy.base_url)
        inside = tree(project)
        result = run_cli(["-C", str(project), "import", "--all-unmanaged"])
        assert result.exit_code == 0, result.output
        assert "not valid Unicode (a lone surrogate) at `/instructions`" in result.stdout
        result = run_cli(["-C", str(project), "import", made.id])
        assert_clean_refusal(
            result, f"{made.id}: refused: holds text that is not valid Unicode", "Nothing was written"
        )
    assert tree(project) == inside


@pytest.mark.parametrize("value", [5, True, ["a"], {"a": 1}])
@pytest.mark.parametrize("field", ["name", "function"])
def test_a_name_that_is_not_text_is_refused_at_the_read(
    sandbox: Path, served: EmulatorServer, sdk: openai.OpenAI, field: str, value: Any
) -> None:
    sdk.beta.assistants.create(
        model="gpt-5.4",
        name="x",
        instructions="Hi.",
        tools=[
            {
                "type": "function",
                "function": {"name": "f", "parameters": {"type": "object", "properties": {}}},
            }
        ],
    )

    def rewrite(method: str, path: str, status: int, body: Any) -> Any:
        if path.startswith("/v1/assistants") and isinstance(body, dict):
            for item in body.get("data") or [body]:
                if field == "name":
                    item["name"] = value
                else:
                    item["tools"][0]["function"]["name"] = value
        return body

    with FailingProxy(served.root_url, lambda *args: None, rewrite) as proxy:
        project = make_project(sandbox / "project", base_url=proxy.base_url)
        inside = tree(project)
        for command in (["import", "--all-unmanaged"], ["diff"]):
            result = run_cli(["-C", str(project), *command])
            assert_clean_refusal(result, "expected a string")
    assert tree(project) == inside


def test_two_objects_sharing_one_schema_file_write_it_once(
    sandbox: Path, served: EmulatorServer, sdk: openai.OpenAI
) -> None:
    """Found by the fuzz: the same function (same large schema) on two assistants is one file, written once."""
    properties = {f"field_{i}": {"type": "string"} for i in range(25)}
    for name in ("one", "two"):
        sdk.beta.assistants.create(
            model="gpt-5.4",
            name=name,
            instructions="Hi.",
            tools=[
                {
                    "type": "function",
                    "function": {
                        "name": "lookup",
                        "parameters": {"type": "object", "properties": properties},
                    },
                }
            ],
        )
    project = make_project(sandbox / "project", base_url=served.base_url)
    result = run_cli(["-C", str(project), "import", "--all-unmanaged"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (project / "schemas" / "functions").iterdir()) == ["lookup.json"]
    assert run_cli(["-C", str(project), "validate"]).exit_code == 0
