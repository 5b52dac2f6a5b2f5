"""Fields the openai SDK documents as accepted and ignored by the API (issue 24, item 3).

openai 3.63 documents `compaction.async` as "Accepted for compatibility and ignored. Context compaction
is always blocking" and reports it always false. On a target whose API ignores a field, `validate`
warns at its line, it never enters the essence or the payload, and whatever the server reports there
is not drift. The fields are one declared table (spec.capabilities.IGNORED_BY_API); the scan below
fails, naming the field, when the installed SDK documents one that the table lacks.
"""

from __future__ import annotations

import ast
import importlib.util
import pkgutil
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import openai.types.beta
import pytest

from orchestrator.emulator import EmulatorServer
from orchestrator.spec import capabilities
from orchestrator.spec.capabilities import IGNORED_BY_API
from tests.agents.live_agents import apply_clean, cli, only_agent, plan_json
from tests.conftest import TEST_KEY
from tests.support.projects import make_project, write
from tests.support.proxy import FailingProxy

OWNER = "test-project/dev/helper"
AGENT_PATH = re.compile(r"^/v1/agents(/(?!sessions$|environments$|automations$)[^/]+)?$")
SPEC = """
    version: 1
    name: helper
    model: gpt-5.4
    instructions: You are helper.
    compaction: {async: true}
"""
WARNING = (
    "specs/helper.yaml:5:21: warning: `compaction.async` is not deployed to target `main` (backend: agents): "
    'the Agents API ignores it since openai 3.63.0 ("Accepted for compatibility and ignored. Context '
    'compaction is always blocking.") [/compaction/async]\n  hint: remove it to silence this warning\n'
)


def write_helper(root: Path, text: str = SPEC) -> Path:
    return write(root / "specs" / "helper.yaml", text)


class Recorder:
    """Forwards every request, keeping the JSON bodies of agent creates and updates."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def __call__(self, method: str, path: str, body: Any, headers: dict[str, str]) -> None:
        if method == "POST" and AGENT_PATH.match(path):
            with self.lock:
                self.bodies.append(body)


@pytest.fixture
def through(tmp_path: Path, served: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """start(rule, rewrite) -> a project on an agents target reached through a proxy."""
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    opened: list[FailingProxy] = []

    def start(rule: Any, rewrite: Any = None) -> Path:
        proxy = FailingProxy(served.root_url, rule, rewrite).__enter__()
        opened.append(proxy)
        return make_project(tmp_path / f"project-{len(opened)}", base_url=proxy.base_url, backend="agents")

    yield start
    for proxy in opened:
        proxy.__exit__(None, None, None)


# -- validate, apply, diff through the CLI ---------------------------------------------------------


@pytest.mark.parametrize("served_by", ["agents", "local"])
def test_validate_warns_once_at_the_line_of_an_ignored_field(
    tmp_path: Path, served: EmulatorServer, monkeypatch: pytest.MonkeyPatch, served_by: str
) -> None:
    """Both targets of the agents backend ignore it: the live API and the embedded emulator (3.63)."""
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    root = make_project(
        tmp_path / "p", base_url=served.base_url if served_by == "agents" else None, backend="agents"
    )
    write_helper(root)
    result = cli(root, "validate")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("`compaction.async`") == 1, result.stderr
    assert WARNING in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_an_assistants_target_still_refuses_compaction(project: Path) -> None:
    write_helper(project)
    result = cli(project, "validate")
    assert result.exit_code == 1, result.output
    assert (
        "specs/helper.yaml:5:13: error: `compaction` is not supported by target `main` (backend: assistants)"
        in result.stderr
    )
    assert "ignores it" not in result.stderr


def test_render_and_the_create_payload_leave_the_ignored_field_out(through: Any) -> None:
    recorder = Recorder()
    root = through(recorder)
    write_helper(root)
    rendered = cli(root, "render", "helper")
    assert rendered.exit_code == 0 and "compaction" not in rendered.stdout, rendered.output
    apply_clean(root)
    [body] = recorder.bodies
    assert "compaction" not in body, body


def test_apply_then_diff_reports_no_changes_on_the_local_target(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", backend="agents")
    write_helper(root)
    applied = apply_clean(root)
    assert "`compaction.async` is not deployed" in applied.stderr
    assert cli(root, "diff").exit_code == 0


def answered_compaction(value: Any) -> Any:
    """A server that reports compaction its own way: an agent's `compaction` set to value (absent: ...)."""

    def rewrite(method: str, path: str, status: int, body: Any) -> Any:
        agents = body.get("data") if isinstance(body, dict) and body.get("object") == "list" else [body]
        for agent in agents or []:
            if isinstance(agent, dict) and agent.get("object") == "agent":
                if value is ...:
                    agent.pop("compaction", None)
                else:
                    agent["compaction"] = value
        return body

    return rewrite


@pytest.mark.parametrize(
    "live",
    [{"async": False}, {"async": None}, None, ..., {"async": True}],
    ids=["false", "async_null", "null", "missing", "true_on_an_older_server"],
)
def test_a_live_value_of_an_ignored_field_is_not_drift(through: Any, live: Any) -> None:
    root = through(lambda *_: None, answered_compaction(live))
    write_helper(root)
    apply_clean(root)
    write_helper(root, SPEC.replace("compaction: {async: true}", "compaction: {async: false}"))
    assert cli(root, "diff").exit_code == 0


def test_a_live_edit_that_matters_still_shows_drift(agents_project: Path, sdk: openai.OpenAI) -> None:
    write_helper(agents_project)
    apply_clean(agents_project)
    agent = only_agent(sdk, OWNER)
    sdk.beta.agents.update(agent.id, instructions="Edited in the console.", compaction={"async": True})
    result = cli(agents_project, "diff")
    assert result.exit_code == 2, result.output
    assert "[drift: the live object was edited outside orchestrator]" in result.stdout
    assert "instructions" in result.stdout and "compaction" not in result.stdout, result.stdout
    [change] = plan_json(agents_project)["changes"]
    assert (change["action"], change["drift"], [f["path"] for f in change["fields"]]) == (
        "update",
        True,
        ["instructions"],
    )
    apply_clean(agents_project)


def test_an_agent_applied_while_the_field_was_deployed_is_a_spec_change_not_drift(
    agents_project: Path, sdk: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its ownership digest recorded `compaction: {async: true}`; the first diff after the upgrade
    shows that the spec's field is no longer deployed, not a hand edit, and apply settles it."""
    write_helper(agents_project)
    with monkeypatch.context() as before:  # an orchestrator release that still deployed the field
        before.setattr(capabilities, "IGNORED_BY_API", ())
        assert cli(agents_project, "apply", "--yes").exit_code == 0
    assert only_agent(sdk, OWNER).compaction.async_ is False  # the server ignored it
    [change] = plan_json(agents_project)["changes"]
    assert (change["action"], change["drift"], change["reason"]) == ("update", False, "spec_changed"), change
    assert [(f["path"], f["before"], f["after"]) for f in change["fields"]] == [
        ("compaction", {"async": True}, None)
    ]
    apply_clean(agents_project)


# -- the declared table against the installed SDK --------------------------------------------------


@dataclass(frozen=True)
class Documented:
    module: str
    path: str  # dotted wire path from the module's outermost TypedDict ("agent.compaction.async")
    docstring: str

    def matches(self, wire: str) -> bool:
        return self.path == wire or self.path.endswith("." + wire) or wire.endswith("." + self.path)


def agents_param_modules() -> list[str]:
    """The SDK's Agents request types: openai/types/beta/agent*_param(s).py and agents/**/*_param(s).py."""
    names = [info.name for info in pkgutil.walk_packages(openai.types.beta.__path__, "openai.types.beta.")]
    return sorted(
        name
        for name in names
        if name.endswith(("_param", "_params"))
        and (name.startswith("openai.types.beta.agents.") or name.rsplit(".", 1)[1].startswith("agent"))
    )


def wire_name(field: str, annotation: ast.expr) -> str:
    for node in ast.walk(annotation):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "PropertyInfo":
            for keyword in node.keywords:
                if keyword.arg == "alias" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
    return field


def documented_fields(module: str) -> list[tuple[str, str]]:
    """(dotted path, docstring) of every TypedDict field of module, read from its source."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    fields: dict[str, list[tuple[str, set[str], str]]] = {}
    for name, node in classes.items():
        rows = fields.setdefault(name, [])
        for statement, following in zip(node.body, [*node.body[1:], None], strict=True):
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                doc = (
                    following.value.value
                    if (
                        isinstance(following, ast.Expr)
                        and isinstance(following.value, ast.Constant)
                        and isinstance(following.value.value, str)
                    )
                    else ""
                )
                used = {
                    n.id
                    for n in ast.walk(statement.annotation)
                    if isinstance(n, ast.Name) and n.id in classes
                }
                rows.append((wire_name(statement.target.id, statement.annotation), used, doc))
    parents = {
        used: (owner, field) for owner, rows in fields.items() for field, uses, _ in rows for used in uses
    }

    def prefix(name: str, seen: frozenset[str] = frozenset()) -> str:
        if name not in parents or name in seen:
            return ""
        owner, field = parents[name]
        outer = prefix(owner, seen | {name})
        return f"{outer}.{field}" if outer else field

    return [
        (f"{prefix(name)}.{field}" if prefix(name) else field, doc)
        for name, rows in fields.items()
        for field, _, doc in rows
    ]


def documented_as_ignored() -> list[Documented]:
    return [
        Documented(module, path, doc)
        for module in agents_param_modules()
        for path, doc in documented_fields(module)
        if re.search(r"\bignored\b", doc, re.IGNORECASE)
    ]


def test_every_field_the_sdk_documents_as_ignored_is_declared() -> None:
    missing = [
        f"{field.module}: `{field.path}` ({' '.join(field.docstring.split())!r})"
        for field in documented_as_ignored()
        if not any(field.matches(row.wire) for row in IGNORED_BY_API)
    ]
    assert not missing, (
        f"openai {openai.__version__} documents these Agents fields as ignored, but "
        f"orchestrator.spec.capabilities.IGNORED_BY_API does not list them: {missing}"
    )


def test_the_scan_finds_compaction_async_in_every_agents_request_type() -> None:
    found = {(field.module.rsplit(".", 1)[1], field.path) for field in documented_as_ignored()}
    assert {
        ("agent_create_params", "compaction.async"),
        ("agent_update_params", "compaction.async"),
        ("session_create_params", "agent.compaction.async"),
        ("automation_target_param", "agent.compaction.async"),
    } <= found, found


def test_every_declared_field_is_documented_so_by_the_installed_sdk() -> None:
    documented = documented_as_ignored()
    for row in IGNORED_BY_API:
        wordings = {" ".join(f.docstring.split()) for f in documented if f.matches(row.wire)}
        assert row.wording in wordings, (row.wire, wordings)
        assert tuple(map(int, row.since.split("."))) <= tuple(map(int, openai.__version__.split(".")[:3]))
