"""Fuzzing import against a hostile server (issue 25, item 7): nothing is ever written outside the project.

Hypothesis draws hostile names, function names, metadata and instructions, and hostile file names inside a
skill's archive. A proxy in front of a served emulator answers with them as a server would (the emulator
holds real objects; the proxy rewrites what it says about them), and skills are created live with those
archives. Every example runs the real CLI (`import --all-unmanaged`, dry run then for real) in a fresh
sandbox holding the project and a sentinel beside it, and checks: exit 0 or 1, never a traceback, nothing
in the sandbox outside the project changed, the dry run wrote nothing at all, and every file the import
wrote has a portable name.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from orchestrator.emulator import EmulatorServer
from orchestrator.spec.writing import name_problem
from tests.conftest import TEST_KEY
from tests.hostile.test_write_gate import UNTOUCHED, outside, tree
from tests.support.fuzzing import fuzz_settings
from tests.support.projects import make_project, run_cli
from tests.support.proxy import FailingProxy

SETTINGS = fuzz_settings(30)

HOSTILE = st.sampled_from(
    [
        "..",
        ".",
        "",
        " ",
        "...",
        "../../VICTIM",
        "../" * 30 + "VICTIM",
        "x\n/../../../VICTIM",
        "/etc/passwd",
        "..\\..\\VICTIM",
        "con",
        "CON.yaml",
        "aux",
        "nul.txt",
        "com1",
        "lpt9",
        "conin$",
        ".git",
        ".orchestrator",
        ".gitignore",
        "name.",
        "name ",
        "a/b",
        "a\x00b",
        "\u202egnp.exe",
        "\u2028",
        "caf\u00e9",
        "\u65e5\u672c",
        "x" * 300,
        "\ud800x",
        "caf\udce9",
        "\x1b[2J",
        "~",
        "$HOME",
        "%2e%2e%2f",
        "-",
        "--all",
        "SKILL.md",
        "specs",
        "templates",
        "schemas",
    ]
)
NAMES = st.one_of(
    HOSTILE, st.text(max_size=40), st.builds(lambda n, tail: "../" * n + tail, st.integers(1, 12), HOSTILE)
)
PATHS = st.one_of(NAMES, st.builds("/".join, st.lists(NAMES, min_size=1, max_size=4)))


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    monkeypatch.delenv("ORCHESTRATOR_LOCAL_DB", raising=False)


class Hostile:
    """What the proxy says about the live assistants: the drawn values, put over the emulator's answers."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def rewrite(self, method: str, path: str, status: int, body: Any) -> Any:
        agents = path.startswith("/v1/agents") and not path.startswith(
            ("/v1/agents/sessions", "/v1/agents/vaults", "/v1/agents/automations", "/v1/agents/environment")
        )
        if not (path.startswith("/v1/assistants") or agents) or not isinstance(body, dict) or status != 200:
            return body
        for index, item in enumerate(body.get("data") or [body]):
            drawn = self.values.get("objects", [])
            if index >= len(drawn) or not isinstance(item, dict):
                continue
            name, function, metadata, instructions = drawn[index]
            item["name"] = name
            item["instructions"] = instructions
            item["metadata"] = metadata
            for tool in item.get("tools") or []:
                if tool.get("type") == "function":
                    (tool if agents else tool["function"])["name"] = function
        return body


@pytest.fixture(scope="module")
def hostile(served_once: EmulatorServer, sdk_once: openai.OpenAI) -> Iterator[tuple[Hostile, str]]:
    warnings.filterwarnings("ignore", category=DeprecationWarning)  # the Assistants API, as in conftest
    properties = {f"field_{i}": {"type": "string"} for i in range(25)}  # over 40 lines: a schema file
    for number in range(3):
        sdk_once.beta.assistants.create(
            model="gpt-5.4",
            name=f"a{number}",
            instructions="Hi.",
            tools=[
                {
                    "type": "function",
                    "function": {
                        "name": f"f{number}",
                        "parameters": {"type": "object", "properties": properties},
                    },
                }
            ],
        )
    for number in range(3):
        sdk_once.beta.agents.create(
            model="gpt-5.4",
            name=f"g{number}",
            instructions="Hi.",
            tools=[
                {
                    "type": "function",
                    "name": f"f{number}",
                    "description": "d",
                    "parameters": {"type": "object", "properties": properties},
                }
            ],
        )
    state = Hostile()
    with FailingProxy(served_once.root_url, lambda *args: None, state.rewrite) as proxy:
        yield state, proxy.base_url


def run_import(base_url: str, backend: str) -> None:
    """Both imports in a fresh sandbox; every check of the module docstring."""
    sandbox = Path(tempfile.mkdtemp(prefix="import-fuzz-"))
    try:
        (sandbox / "VICTIM").write_bytes(UNTOUCHED)
        project = make_project(sandbox / "project", base_url=base_url, backend=backend)
        before, inside = outside(sandbox), tree(project)
        dry = run_cli(["-C", str(project), "import", "--all-unmanaged", "--dry-run"])
        assert dry.exit_code in (0, 1), dry.output
        assert "Traceback" not in dry.output and "This is a bug" not in dry.output, dry.output
        assert outside(sandbox) == before and tree(project) == inside
        real = run_cli(["-C", str(project), "import", "--all-unmanaged"])
        assert real.exit_code in (0, 1), real.output
        assert "Traceback" not in real.output and "This is a bug" not in real.output, real.output
        assert outside(sandbox) == before
        for path in tree(project).keys() - inside.keys():
            for part in path.split("/"):
                assert name_problem(part) is None, (path, name_problem(part))
    finally:
        shutil.rmtree(sandbox, ignore_errors=True)


METADATA = st.dictionaries(NAMES.filter(lambda k: 0 < len(k) <= 64), NAMES.map(lambda v: v[:512]), max_size=4)
# (name, function name, metadata, instructions) of up to three live assistants or agents
LIVE_OBJECTS = st.lists(
    st.tuples(NAMES, NAMES, METADATA, st.one_of(NAMES, st.text(min_size=401, max_size=500))),
    min_size=1,
    max_size=3,
)


@SETTINGS
@given(LIVE_OBJECTS)
def test_hostile_assistant_names_functions_and_metadata_never_write_outside(
    hostile: tuple[Hostile, str], drawn: list[tuple[str, str, dict[str, str], str]]
) -> None:
    state, base_url = hostile
    state.values["objects"] = drawn
    run_import(base_url, "assistants")


@SETTINGS
@given(LIVE_OBJECTS)
def test_hostile_agent_names_functions_and_metadata_never_write_outside(
    hostile: tuple[Hostile, str], drawn: list[tuple[str, str, dict[str, str], str]]
) -> None:
    state, base_url = hostile
    state.values["objects"] = drawn
    run_import(base_url, "agents")


def skill_archive(name: str, entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("top/SKILL.md", f"---\nname: {json.dumps(name)}\ndescription: hostile\n---\nHi.\n")
        for path, data in entries:
            archive.writestr(f"top/{path}", data)
    return buffer.getvalue()


@SETTINGS
@given(
    NAMES.filter(lambda n: n.strip() != ""),
    st.lists(st.tuples(PATHS, st.binary(max_size=20)), min_size=1, max_size=4, unique_by=lambda e: e[0]),
)
def test_hostile_skill_archives_never_write_outside(
    served_once: EmulatorServer, sdk_once: openai.OpenAI, name: str, entries: list[tuple[str, bytes]]
) -> None:
    try:
        skill = sdk_once.skills.create(files=("skill.zip", skill_archive(name, entries), "application/zip"))
    except (openai.BadRequestError, ValueError, UnicodeEncodeError):
        assume(False)
        return
    try:
        run_import(served_once.base_url, "agents")
    finally:
        sdk_once.skills.delete(skill.id)
