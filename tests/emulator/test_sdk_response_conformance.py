"""Every response of the Agents API that the installed openai SDK declares, served strictly.

The methods are found by walking `client.beta.agents` (openai/resources/beta/agents) and reading
each method's return annotation: a model, a union of models (automations, session items), a page of
them (its `data` items), None (202, no body), or a client-side helper whose result holds models. Each
method is one test, named `resource.method:Type`, that drives the real SDK over real HTTP against
the emulator and validates the raw JSON body strictly (pydantic strict mode; no undeclared keys at
any depth). So an SDK release that adds a required field to a response fails the one test that
names that type; one that adds a method fails `test_every_sdk_method_is_served_or_listed` until the
method is served here or listed, with its reason, in NOT_SERVED.
"""

from __future__ import annotations

import base64
import dataclasses
import inspect
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Union

import openai
import pydantic
import pytest
from openai._base_client import BasePage
from openai._resource import SyncAPIResource
from openai.resources.beta.agents import Agents

from .sdk_checks import assert_no_extras

NONE = {"type": "none"}
HOSTED = {"type": "openai_hosted"}
ADD = {"type": "function", "name": "add", "description": "Add", "parameters": {"type": "object"}}
RUN_AT = 4_102_444_800  # 2100-01-01, always in the future

STREAMING = (
    "Streaming (server-sent events) is not emulated: sessions are polled, as openai-poll-after-ms says."
)
NO_SUBAGENTS = "The built-in model never starts subagents, so there are none to list or read."
# served, and checked in a module of their own (a stream is many responses of a union type)
CHECKED_ELSEWHERE: dict[str, str] = {
    "sessions.events.stream": "tests/emulator/test_session_events.py validates every event it replays strictly",
}
NOT_SERVED: dict[str, str] = {
    "sessions.stream": STREAMING,
    "sessions.artifacts.list": "The built-in model produces no artifacts (files a session publishes).",
    "sessions.artifacts.retrieve": "The built-in model produces no artifacts.",
    "sessions.artifacts.content": "The built-in model produces no artifacts.",
    "sessions.artifacts.delete": "The built-in model produces no artifacts.",
    "sessions.artifacts.for_result": "A client-side helper over the artifacts endpoints, which are not served.",
    "sessions.traces.list": "The emulator records no traces of model calls.",
    "sessions.subagents.list": NO_SUBAGENTS,
    "sessions.subagents.retrieve": NO_SUBAGENTS,
    "sessions.subagents.items.list": NO_SUBAGENTS,
    "sessions.subagents.turns.list": NO_SUBAGENTS,
    "sessions.subagents.turns.retrieve": NO_SUBAGENTS,
    "sessions.subagents.turns.items.list": NO_SUBAGENTS,
}


# -- the SDK's methods and their declared response types ---------------------------------------


def sdk_methods(resource: type[SyncAPIResource] = Agents, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted method path under client.beta.agents, return annotation) for every public method."""
    for name, member in inspect.getmembers(resource):
        if name.startswith("_") or name in ("with_raw_response", "with_streaming_response"):
            continue
        if isinstance(member, cached_property):
            child = typing.get_type_hints(member.func).get("return")
            if isinstance(child, type) and issubclass(child, SyncAPIResource):
                yield from sdk_methods(child, f"{prefix}{name}.")
        elif inspect.isfunction(member):
            yield f"{prefix}{name}", typing.get_type_hints(member).get("return")


def models_in(annotation: Any) -> list[Any]:
    """The pydantic models (or unions of them) a return annotation declares, streams left out."""
    if typing.get_origin(annotation) is typing.Annotated:
        return models_in(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if models_in(arg)]
        return [Union[tuple(members)]] if len(members) > 1 else members  # noqa: UP007
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return [annotation]
    return []


def unannotated(annotation: Any) -> Any:
    return typing.get_args(annotation)[0] if typing.get_origin(annotation) is typing.Annotated else annotation


def type_name(annotation: Any) -> str:
    """The type's name; a union by the alias the SDK exports it as (AgentSessionItem, Automation)."""
    for module in (openai.types.beta, openai.types.beta.agents):
        for name, value in vars(module).items():
            if not isinstance(value, type) and unannotated(value) == unannotated(annotation):
                return name
    if typing.get_origin(annotation) is typing.Annotated:
        return type_name(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return "|".join(type_name(arg) for arg in typing.get_args(annotation))
    return getattr(annotation, "__name__", str(annotation))


@dataclass(frozen=True)
class Declared:
    """What a method answers: `model` (a type; the page's item type for a list), `page` for lists,
    `empty` for a 202 with no body, `helper` for a client-side result holding models."""

    model: Any = None
    page: type[BasePage[Any]] | None = None
    empty: bool = False
    helper: type | None = None

    @property
    def label(self) -> str:
        if self.empty:
            return "None"
        if self.helper is not None:
            return self.helper.__name__
        inner = type_name(self.model)
        return f"Page[{inner}]" if self.page is not None else inner


def declared(annotation: Any) -> Declared:
    if annotation is type(None) or annotation is None:
        return Declared(empty=True)
    if isinstance(annotation, type) and issubclass(annotation, BasePage):
        item = typing.get_args(annotation.model_fields["data"].annotation)[0]
        return Declared(model=item, page=annotation)
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return Declared(helper=annotation)
    found = models_in(annotation)
    assert len(found) == 1, f"no response model in {annotation!r}"
    return Declared(model=found[0])


METHODS: dict[str, Declared] = {}
for _path, _annotation in sdk_methods():
    if _path not in NOT_SERVED and _path not in CHECKED_ELSEWHERE:
        METHODS[_path] = declared(_annotation)


def check_strictly(model: Any, data: Any, where: str) -> None:
    """Validate like sdk_checks.strict, for unions and annotated unions too."""
    if isinstance(data, pydantic.BaseModel):
        data = data.model_dump(mode="json", by_alias=True, exclude_unset=True)
    value = pydantic.TypeAdapter(model).validate_python(data, strict=True)
    assert isinstance(value, pydantic.BaseModel), where
    assert_no_extras(value, where)


# -- a world of objects to read, change and delete ---------------------------------------------


class World:
    """Objects made on demand through the SDK, for the scenario that needs them."""

    def __init__(self, client: openai.OpenAI, tmp_path: Path) -> None:
        self.client = client
        self.agents = client.beta.agents
        self.tmp_path = tmp_path

    def raw(self, dotted: str, /, *args: Any, **kwargs: Any) -> Any:
        """Call `client.beta.agents.<dotted>` through the SDK's raw-response wrapper; the JSON body, or None."""
        *resources, method = dotted.split(".")
        target: Any = self.agents
        for name in resources:
            target = getattr(target, name)
        response = getattr(target.with_raw_response, method)(*args, **kwargs).http_response
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    @cached_property
    def agent_id(self) -> str:
        return self.agents.create(model="gpt-5.4", instructions="Be brief.", tools=[ADD]).id

    @cached_property
    def session_id(self) -> str:
        """A session whose turn called a function, had its result and replied: four kinds of item."""
        session = self.agents.sessions.create(
            environment=NONE, agent_id=self.agent_id, input='/call add {"a": 1}'
        )
        (action,) = self.agents.sessions.retrieve(session.id).required_actions
        result = {
            "type": "agent.session.input.tool_result",
            "turn_id": action.turn_id,  # type: ignore[union-attr]
            "call_id": action.call_id,
            "success": True,
            "output": "2",
        }  # type: ignore[union-attr]
        self.agents.sessions.events.create(session.id, events=[result])  # type: ignore[list-item]
        kinds = [item.type for item in self.agents.sessions.items.list(session.id, order="asc")]
        assert kinds == ["message", "function_call", "function_call_output", "message"], kinds
        return session.id

    @cached_property
    def turn_id(self) -> str:
        return self.agents.sessions.turns.list(self.session_id).data[0].id

    @cached_property
    def environment_id(self) -> str:
        environment = self.agents.environments.create(environment=HOSTED)
        self.agents.environments.files.create(
            environment.id, type="inline", data=base64.b64encode(b"hi").decode(), path="/workspace/hi.txt"
        )
        return environment.id

    @cached_property
    def template_id(self) -> str:
        return self.agents.environments.templates.create(
            name="env", files=[{"type": "inline", "data": "aGk=", "path": "/workspace/hi.txt"}]
        ).id

    @cached_property
    def vault_id(self) -> str:
        return self.agents.vaults.create(name="crm").id

    @cached_property
    def credential_id(self) -> str:
        auth = {"type": "static_bearer", "mcp_server_url": "https://mcp.example.com", "token": "secret"}
        return self.agents.vaults.credentials.create(self.vault_id, name="crm-token", auth=auth).id  # type: ignore[arg-type]

    def target(self) -> dict[str, Any]:
        message = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Go"}]}
        return {"type": "new_session", "agent_id": self.agent_id, "environment": NONE, "input": [message]}

    @cached_property
    def automation_id(self) -> str:
        return self.agents.automations.create(  # type: ignore[call-overload]
            type="periodic", name="daily", expression="0 7 * * *", timezone="UTC", target=self.target()
        ).id

    @cached_property
    def invocation_id(self) -> str:
        return self.agents.automations.invocations.create(self.automation_id).id


def prepared_files(w: World) -> Any:
    source = w.tmp_path / "notes.txt"
    source.write_bytes(b"notes")
    prepared = w.agents.environments.files.prepare({"/workspace/in/notes.txt": source})
    # what prepare made is what an environment is created with
    check_strictly(
        openai.types.beta.agents.EnvironmentInfo,
        w.raw("environments.create", environment={**HOSTED, "files": prepared.files}),
        "environments.create",
    )
    return prepared


def prepared_directory(w: World) -> Any:
    root = w.tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "main.py").write_text("print('hi')\n")
    prepared = w.agents.environments.files.prepare_directory(
        root, destination="/workspace/project", include=["**/*.py"]
    )
    assert [f["path"] for f in prepared.files] == ["/workspace/project/src/main.py"]
    return prepared


Scenario = Callable[[World], Any]
SESSION_INPUT = {
    "type": "agent.session.input.message",
    "input": [{"role": "user", "content": [{"type": "input_text", "text": "again"}]}],
}
SCENARIOS: dict[str, Scenario] = {
    "create": lambda w: w.raw("create", model="gpt-5.4", name="a", instructions="i", tools=[ADD]),
    "retrieve": lambda w: w.raw("retrieve", w.agent_id),
    "update": lambda w: w.raw("update", w.agent_id, name="renamed", metadata={"k": "v"}),
    "list": lambda w: (w.agent_id, w.raw("list"))[1],
    "delete": lambda w: w.raw("delete", w.agent_id),
    "automations.create": lambda w: w.raw(
        "automations.create", type="once", name="launch", run_at=RUN_AT, target=w.target()
    ),
    "automations.retrieve": lambda w: w.raw("automations.retrieve", w.automation_id),
    "automations.update": lambda w: w.raw("automations.update", w.automation_id, name="renamed"),
    "automations.list": lambda w: (w.automation_id, w.raw("automations.list"))[1],
    "automations.delete": lambda w: w.raw("automations.delete", w.automation_id),
    "automations.pause": lambda w: w.raw("automations.pause", w.automation_id),
    "automations.resume": lambda w: (
        w.agents.automations.pause(w.automation_id),
        w.raw("automations.resume", w.automation_id),
    )[1],
    "automations.invocations.create": lambda w: w.raw("automations.invocations.create", w.automation_id),
    "automations.invocations.retrieve": lambda w: w.raw(
        "automations.invocations.retrieve", w.invocation_id, automation_id=w.automation_id
    ),
    "automations.invocations.list": lambda w: (
        w.invocation_id,
        w.raw("automations.invocations.list", w.automation_id),
    )[1],
    "environments.create": lambda w: w.raw(
        "environments.create", environment={**HOSTED, "container_size": "small"}
    ),
    "environments.retrieve": lambda w: w.raw("environments.retrieve", w.environment_id),
    "environments.list": lambda w: (w.environment_id, w.raw("environments.list"))[1],
    "environments.files.create": lambda w: w.raw(
        "environments.files.create", w.environment_id, type="inline", data="aGk=", path="/workspace/b.txt"
    ),
    "environments.files.list": lambda w: w.raw("environments.files.list", w.environment_id),
    "environments.files.upload": lambda w: w.agents.environments.files.upload(
        w.environment_id, file=("up.txt", b"up"), path="/workspace/up.txt"
    ),
    "environments.files.prepare": prepared_files,
    "environments.files.prepare_directory": prepared_directory,
    "environments.templates.create": lambda w: w.raw(
        "environments.templates.create",
        name="t",
        packages={"python": ["pandas"]},
        network={"access": "disabled"},
    ),
    "environments.templates.retrieve": lambda w: w.raw("environments.templates.retrieve", w.template_id),
    "environments.templates.update": lambda w: w.raw(
        "environments.templates.update", w.template_id, name="u"
    ),
    "environments.templates.list": lambda w: (w.template_id, w.raw("environments.templates.list"))[1],
    "environments.templates.delete": lambda w: w.raw("environments.templates.delete", w.template_id),
    "sessions.create": lambda w: w.raw(
        "sessions.create", environment=NONE, agent_id=w.agent_id, input="hi", spend_control={"limit": 100}
    ),
    "sessions.retrieve": lambda w: w.raw("sessions.retrieve", w.session_id),
    "sessions.update": lambda w: w.raw(
        "sessions.update",
        w.session_id,
        metadata={"k": "v"},
        spend_control={"limit": 5},
        vault_ids=[w.vault_id],
    ),
    "sessions.list": lambda w: (w.session_id, w.raw("sessions.list"))[1],
    "sessions.delete": lambda w: w.raw("sessions.delete", w.session_id),
    "sessions.events.create": lambda w: w.raw("sessions.events.create", w.session_id, events=[SESSION_INPUT]),
    "sessions.items.list": lambda w: w.raw("sessions.items.list", w.session_id),
    "sessions.turns.list": lambda w: w.raw("sessions.turns.list", w.session_id),
    "sessions.turns.retrieve": lambda w: w.raw("sessions.turns.retrieve", w.turn_id, session_id=w.session_id),
    "sessions.turns.items.list": lambda w: w.raw(
        "sessions.turns.items.list", w.turn_id, session_id=w.session_id
    ),
    "vaults.create": lambda w: w.raw("vaults.create", name="v", metadata={"k": "v"}),
    "vaults.retrieve": lambda w: w.raw("vaults.retrieve", w.vault_id),
    "vaults.update": lambda w: w.raw("vaults.update", w.vault_id, name="w"),
    "vaults.list": lambda w: (w.vault_id, w.raw("vaults.list"))[1],
    "vaults.delete": lambda w: w.raw("vaults.delete", w.vault_id),
    "vaults.credentials.create": lambda w: w.raw(
        "vaults.credentials.create",
        w.vault_id,
        name="env",
        auth={
            "type": "environment_variable",
            "secret_name": "TOKEN",
            "secret_value": "s",
            "networking": {"type": "limited", "allowed_hosts": ["api.example.com"]},
        },
    ),
    "vaults.credentials.retrieve": lambda w: w.raw(
        "vaults.credentials.retrieve", w.credential_id, vault_id=w.vault_id
    ),
    "vaults.credentials.update": lambda w: w.raw(
        "vaults.credentials.update", w.credential_id, vault_id=w.vault_id, metadata={"r": "2"}
    ),
    "vaults.credentials.list": lambda w: (w.credential_id, w.raw("vaults.credentials.list", w.vault_id))[1],
    "vaults.credentials.delete": lambda w: w.raw(
        "vaults.credentials.delete", w.credential_id, vault_id=w.vault_id
    ),
}


# -- the tests ---------------------------------------------------------------------------------


def test_every_sdk_method_is_served_or_listed() -> None:
    found = {path for path, _ in sdk_methods()}
    assert found, "no methods found under client.beta.agents"
    new = sorted(found - set(SCENARIOS) - set(NOT_SERVED) - set(CHECKED_ELSEWHERE))
    assert not new, f"the SDK has Agents API methods neither served here nor listed in NOT_SERVED: {new}"
    gone = sorted((set(SCENARIOS) | set(NOT_SERVED) | set(CHECKED_ELSEWHERE)) - found)
    assert not gone, f"listed here but no longer in the SDK: {gone}"
    assert not set(SCENARIOS) & set(NOT_SERVED)


def test_the_check_refuses_an_undeclared_key() -> None:
    body = {"id": "vault_1", "created_at": 1, "metadata": {}, "name": None, "object": "vault"}
    check_strictly(openai.types.beta.agents.Vault, body, "vault")
    with pytest.raises(AssertionError, match="undeclared fields"):
        check_strictly(openai.types.beta.agents.Vault, {**body, "secret": "x"}, "vault")
    with pytest.raises(pydantic.ValidationError):
        check_strictly(
            openai.types.beta.agents.Vault, {k: v for k, v in body.items() if k != "created_at"}, "v"
        )


@pytest.mark.parametrize(
    "method", sorted(METHODS), ids=[f"agents.{m}:{METHODS[m].label}" for m in sorted(METHODS)]
)
def test_response_is_strictly_what_the_sdk_declares(
    client: openai.OpenAI, tmp_path: Path, method: str
) -> None:
    spec = METHODS[method]
    body = SCENARIOS[method](World(client, tmp_path))
    if spec.empty:
        assert body is None, f"{method} declares no body but got {body!r}"
    elif spec.helper is not None:
        assert isinstance(body, spec.helper)
        models = 0
        for field in dataclasses.fields(body):
            for model in models_in(typing.get_type_hints(spec.helper)[field.name]):
                check_strictly(model, getattr(body, field.name), f"{method}.{field.name}")
                models += 1
        if spec.helper.__name__ == "PreparedAgentFiles":
            assert body.uploaded_file_ids and all(w.startswith("file-") for w in body.uploaded_file_ids)
        else:
            assert models, f"{spec.helper.__name__} holds no response model to check"
    elif spec.page is not None:
        assert spec.page.model_validate({**body, "data": []}, strict=True)  # its own fields, typed
        assert body["data"], f"{method}: the scenario should list at least one item"
        for index, item in enumerate(body["data"]):
            check_strictly(spec.model, item, f"{method}.data[{index}]")
    else:
        check_strictly(spec.model, body, method)
