"""Automations (`/v1/agents/automations`, OpenAI-Beta: agents=v1): one `kind: automation` spec each.

The essence and the payload name what the automation starts by *spec name* (`agent`, `environment`,
`vaults`; a payload's target is a SessionTarget): the plan is readable and stable before the referenced
objects exist, and a saved plan holds no ids. The client resolves names to the ids of the objects this
project and environment own at the HTTP call (after the graph created them), and reads live ids back as
names (the References each live object carries). `paused` is reconciled through `pause` / `resume`;
invocations are not managed (`list_invocations` only reads them).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orchestrator.backends.listings import Listings, SeparateListings
from orchestrator.backends.wire import Shape, check_deleted, read_list, read_object
from orchestrator.engine.live import Kind, LiveObject, ObjectReferences, References
from orchestrator.engine.ownership import user_metadata
from orchestrator.spec.cron import cron_problem, next_runs

AUTOMATION = Shape("agent.automation")
INVOCATION = Shape("agent.automation.invocation")
PAGE_SIZE = 100
SCHEDULE_KEYS = {"periodic": ("expression", "timezone"), "once": ("run_at",)}


@dataclass(frozen=True, slots=True)
class SessionTarget:
    """What an automation starts, by spec name: a payload's `target` (a plan holds no ids). The client
    resolves it to the API's new-session target at the call (resolve), once the graph created what it names."""

    agent: str
    environment: str | None
    vaults: tuple[str, ...]
    input: str

    @classmethod
    def of(cls, target: Mapping[str, Any]) -> SessionTarget:
        """The essence's target (a KeyError or TypeError for one that does not fit: a hostile saved plan)."""
        return cls(target["agent"], target["environment"], tuple(target["vaults"]), target["input"])

    def resolve(self, refs: References) -> dict[str, Any]:
        """The API's new-session target, the names resolved to ids through refs."""
        environment = (
            {"type": "openai_hosted", "environment_template_id": refs.id_of("environment", self.environment)}
            if self.environment
            else {"type": "none"}
        )
        return {
            "type": "new_session",
            "agent_id": refs.id_of("agent", self.agent),
            "environment": environment,
            "vault_ids": [refs.id_of("vault", name) for name in self.vaults],
            "input": [
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": self.input}]}
            ],
        }


class AutomationsMapping:
    backend = "agents"
    object_kind = "automation"
    write_only: frozenset[str] = frozenset()

    def __init__(self, references: References | None = None) -> None:
        self.references = references or References()

    def desired_essence(self, spec: Any) -> dict[str, Any]:
        essence: dict[str, Any] = {
            "name": spec.display_name,
            "type": spec.type,
            "paused": spec.paused,
            "target": {
                "agent": spec.agent,
                "environment": spec.environment,
                "vaults": sorted(spec.vaults),
                "input": spec.input,
            },
            "metadata": dict(spec.metadata),
        }
        if spec.type == "periodic":
            essence.update(expression=spec.expression, timezone=spec.timezone)
        else:
            essence["run_at"] = spec.run_at
        return essence

    def plan_notes(self, spec: Any) -> tuple[str, ...]:
        """A periodic automation's next three runs in its own time zone (shown in the plan, never compared)."""
        if spec.type != "periodic" or not spec.expression or cron_problem(spec.expression) is not None:
            return ()
        try:
            zone = zoneinfo.ZoneInfo(spec.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return ()
        runs = next_runs(spec.expression, zone)
        shown = ", ".join(moment.strftime("%a %Y-%m-%d %H:%M") for moment in runs)
        return (f"next runs ({spec.timezone}): {shown}",) if runs else ()

    def live_essence(
        self, raw: Mapping[str, Any], view: Any = None, references: ObjectReferences | None = None
    ) -> dict[str, Any]:
        """references: the names the client resolved (LiveObject.references); else this mapping's own."""
        target = raw.get("target") or {}
        environment = target.get("environment") or {}
        texts = [
            part.get("text", "")
            for item in target.get("input") or []
            for part in item.get("content") or []
            if part.get("type") == "input_text"
        ]
        refs = references if isinstance(references, References) else self.references
        essence: dict[str, Any] = {
            "name": raw.get("name"),
            "type": raw.get("type"),
            "paused": raw.get("status") == "paused",
            "target": {
                "agent": refs.name_of("agent", target.get("agent_id")),
                "environment": refs.name_of("environment", environment.get("environment_template_id")),
                "vaults": sorted(refs.name_of("vault", v) or v for v in target.get("vault_ids") or []),
                "input": "\n".join(texts),
            },
            "metadata": user_metadata(raw.get("metadata")),
        }
        for key in SCHEDULE_KEYS.get(str(raw.get("type")), ()):
            essence[key] = raw.get(key)
        return essence

    def needs_resources(self, essence: Mapping[str, Any], changed: Sequence[str], creating: bool) -> bool:
        return False

    def _target(self, essence: Mapping[str, Any]) -> SessionTarget:
        """The target by name; the client resolves it to ids at apply (SessionTarget.resolve)."""
        return SessionTarget.of(essence["target"])

    def create_payload(self, essence: Mapping[str, Any], metadata: Mapping[str, str]) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "type": essence["type"],
            "name": essence["name"],
            "metadata": dict(metadata),
            "target": self._target(essence),
            "paused": essence["paused"],
        }
        for key in SCHEDULE_KEYS[essence["type"]]:
            payload[key] = essence[key]
        return payload

    def update_payload(
        self, essence: Mapping[str, Any], changed: Sequence[str], metadata: Mapping[str, str]
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"metadata": dict(metadata)}
        for key in changed:
            if key == "target":
                payload["target"] = self._target(essence)
            elif key in ("name", "expression", "timezone", "run_at", "paused"):
                payload[key] = essence[key]
        return payload


class AutomationsClient:
    """client.beta.agents.automations; `paused` in a payload becomes a pause or resume call."""

    def __init__(
        self,
        sdk: Any,
        project: Any = None,
        environment: str | None = None,
        references: References | None = None,
        listings: Listings | None = None,
    ) -> None:
        self._sdk = sdk
        self._sdk_once = sdk.with_options(max_retries=0)
        self._project = project
        self._environment = environment
        self._references = references
        self._listings = listings or SeparateListings()  # the run's: the kinds named are listed once per read

    def references(self) -> References:
        """Ids of the agents, vaults and environment templates this project and environment own, by spec name,
        as this run lists them (the listings of those kinds' own reads; listed again after a write of theirs)."""
        if self._references is not None:
            return self._references
        from orchestrator.backends.agents import AgentsClient
        from orchestrator.backends.environments import EnvironmentsClient
        from orchestrator.backends.vaults import VaultsClient

        ids: dict[str, str] = {}
        for kind, objects in (
            ("agent", AgentsClient(self._sdk, self._listings).listed()),
            ("vault", VaultsClient(self._sdk, {}, self._listings).listed()),
            (
                "environment",
                EnvironmentsClient(
                    self._sdk, self._project.name, self._project.root, listings=self._listings
                ).listed(),
            ),
        ):
            for obj in sorted(objects, key=lambda o: o.created_at):  # stable: ties keep the listing's order
                owner = obj.owner
                if owner and owner.project == self._project.name and owner.environment == self._environment:
                    # the oldest wins, as the plan resolves duplicates (engine.planning keeps the first of its sort)
                    ids.setdefault(f"{kind}:{owner.spec}", obj.id)
        return References(ids)

    def _named(self, raw: Mapping[str, Any], refs: References) -> LiveObject:
        """The live automation with the spec names of what it targets (LiveObject.references)."""
        target = raw.get("target") or {}
        pointed = [
            ("agent", target.get("agent_id")),
            ("environment", (target.get("environment") or {}).get("environment_template_id")),
            *(("vault", v) for v in target.get("vault_ids") or []),
        ]
        return LiveObject.from_raw(raw, refs.among(pointed))

    def _payload(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        fields = {k: v for k, v in payload.items() if k != "paused"}
        if "target" in fields:
            fields["target"] = _session_target(fields["target"]).resolve(self.references())
        return fields

    def list_all(self) -> list[LiveObject]:
        resource = self._sdk.beta.agents.automations

        def fetch(query: dict[str, Any]) -> Any:
            return resource.with_raw_response.list(limit=PAGE_SIZE, order="asc", **query).http_response

        items = read_list(fetch, AUTOMATION, page_size=PAGE_SIZE)
        refs = (
            self.references() if items and (self._project is not None or self._references) else References()
        )
        return [self._named(item, refs) for item in items]

    def retrieve(self, object_id: str) -> LiveObject | None:
        import openai

        try:
            response = self._sdk.beta.agents.automations.with_raw_response.retrieve(object_id).http_response
        except openai.NotFoundError:
            return None
        return self._named(read_object(response, AUTOMATION), self.references())

    def create(self, payload: Mapping[str, Any]) -> LiveObject:
        response = self._sdk_once.beta.agents.automations.with_raw_response.create(
            **self._payload(payload)
        ).http_response
        body = read_object(response, AUTOMATION)
        if payload.get("paused"):
            body = self._set_paused(str(body["id"]), True)
        return self._named(body, self.references())

    def update(self, object_id: str, payload: Mapping[str, Any]) -> LiveObject:
        response = self._sdk.beta.agents.automations.with_raw_response.update(
            object_id, **self._payload(payload)
        ).http_response
        body = read_object(response, AUTOMATION)
        if "paused" in payload and (body.get("status") == "paused") != payload["paused"]:
            body = self._set_paused(object_id, bool(payload["paused"]))
        return self._named(body, self.references())

    def read_view(self, objects: Sequence[LiveObject], wanted: bool) -> None:
        return None

    def _set_paused(self, object_id: str, paused: bool) -> dict[str, Any]:
        resource = self._sdk.beta.agents.automations.with_raw_response
        call = resource.pause if paused else resource.resume
        return read_object(call(object_id).http_response, AUTOMATION)

    def delete(self, object_id: str) -> None:
        import openai

        try:
            response = self._sdk.beta.agents.automations.with_raw_response.delete(object_id).http_response
        except openai.NotFoundError:
            return
        check_deleted(response, AUTOMATION, object_id)

    def list_invocations(self, object_id: str) -> list[dict[str, Any]]:
        resource = self._sdk.beta.agents.automations.invocations

        def fetch(query: dict[str, Any]) -> Any:
            return resource.with_raw_response.list(
                object_id, limit=PAGE_SIZE, order="asc", **query
            ).http_response

        return read_list(fetch, INVOCATION, page_size=PAGE_SIZE)


def _session_target(target: object) -> SessionTarget:
    if not isinstance(target, SessionTarget):  # a payload the mapping did not build: a bug, never sent
        raise TypeError(f"an automation payload's target is a SessionTarget, not {type(target).__name__}")
    return target


def automation_kind(context: Any) -> Kind:
    """The automations of a run (backends.KindContext): they name agents, vaults and templates through the
    run's listings."""
    return Kind(
        "automation",
        AutomationsMapping(),
        AutomationsClient(context.sdk, context.project, context.environment, listings=context.listings),
    )
