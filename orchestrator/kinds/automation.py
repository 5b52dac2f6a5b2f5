"""`automation`: a schedule that starts a session of an agent (the whole kind in one definition).

The files of this kind: this definition (spec checks, desired-state step, references, importer),
orchestrator/backends/automations.py (mapping and client), orchestrator/emulator/automations.py,
schemas/automation.schema.json and tests/kinds/automation/. An automation names its agent, environment and
vaults by spec name; they must be specs of the project deployed here (`resolve`), and the graph creates them
before it and deletes them after it (`refers_to`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from orchestrator.kind_registry import KindDefinition

if TYPE_CHECKING:  # the registry imports every definition to list the kinds: a definition imports little
    from orchestrator.diagnostics import Diagnostic
    from orchestrator.engine.importing import Claims, ImportedSpec, Layout
    from orchestrator.spec.loading import Document

CRON_FIELD = re.compile(
    r"^(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?)*$"
)


@dataclass(frozen=True, slots=True)
class AutomationSpec:
    name: str
    display_name: str
    type: str  # "periodic" | "once"
    expression: str | None
    timezone: str | None
    run_at: int | None
    paused: bool
    agent: str
    environment: str | None
    vaults: tuple[str, ...]
    input: str
    metadata: Mapping[str, str]
    path: Path
    kind: str = "automation"
    # where the spec stands, for plans and diagnostics (set by read_resource), and the engine's common fields
    file: str = ""
    name_line: int | None = None
    name_column: int | None = None
    adopt_id: str | None = None
    dependencies: frozenset[Path] = frozenset()


def read_automation(
    doc: Document, data: dict[str, Any], root: Path, found: list[Diagnostic]
) -> AutomationSpec:
    import zoneinfo
    from datetime import datetime

    from orchestrator.spec.cron import cron_problem

    expression = timezone = None
    run_at: int | None = None
    if data["type"] == "periodic":
        expression = " ".join(str(data["expression"]).split())
        fields = expression.split()
        if len(fields) != 5 or not all(CRON_FIELD.match(f) for f in fields):
            found.append(
                doc.error_at(
                    "/expression",
                    f"`{data['expression']}` is not a five-field cron expression",
                    hint='minute hour day-of-month month day-of-week, e.g. "0 7 * * *"',
                )
            )
        elif (problem := cron_problem(expression)) is not None:
            found.append(
                doc.error_at(
                    "/expression",
                    f"`{data['expression']}` is not a valid cron expression: {problem}",
                    hint='minute hour day-of-month month day-of-week, e.g. "0 7 * * *"',
                )
            )
        timezone = data["timezone"]
        try:
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            found.append(
                doc.error_at(
                    "/timezone",
                    f"`{timezone}` is not an IANA time zone",
                    hint="for example Europe/Madrid or UTC",
                )
            )
    else:
        try:
            moment = datetime.fromisoformat(str(data["run_at"]).replace("Z", "+00:00"))
        except ValueError:
            found.append(doc.error_at("/run_at", f"`{data['run_at']}` is not an RFC 3339 time"))
        else:
            if moment.tzinfo is None:
                found.append(doc.error_at("/run_at", "run_at needs an offset (`Z` or `+02:00`)"))
            else:
                run_at = int(moment.timestamp())
    target = data["target"]
    return AutomationSpec(
        data["name"],
        data.get("display_name", data["name"]),
        data["type"],
        expression,
        timezone,
        run_at,
        bool(data.get("paused", False)),
        target["agent"],
        target.get("environment"),
        tuple(target.get("vaults") or ()),
        target["input"],
        dict(data.get("metadata") or {}),
        doc.path,
    )


def check_references(
    doc: Document, spec: AutomationSpec, names: Mapping[str, str | frozenset[str]]
) -> list[Diagnostic]:
    """Unknown spec names an automation refers to (names: spec name -> its kind, or kinds: an assistant on
    an agents target shares its name with the environment template made from its files)."""
    wanted = [("/target/agent", spec.agent, "assistant")]
    if spec.environment:
        wanted.append(("/target/environment", spec.environment, "environment"))
    wanted += [(f"/target/vaults/{i}", name, "vault") for i, name in enumerate(spec.vaults)]
    found = []
    for pointer, name, kind in wanted:
        known = names.get(name)
        kinds = frozenset({known}) if isinstance(known, str) else frozenset(known or ())
        if kind not in kinds:
            what = (
                f"is a {'/'.join(sorted(kinds))} spec, not an {kind}"
                if kinds
                else "is not a spec of this project"
            )
            found.append(doc.error_at(pointer, f"`{name}` {what}"))
    return found


def resolve(
    spec: AutomationSpec, doc: Document, names: Mapping[str, frozenset[str]]
) -> tuple[AutomationSpec | None, list[Diagnostic]]:
    """The desired automation: its agent, environment and vaults must be specs of the project deployed here
    (names: spec name -> its kinds); they are written into its metadata (`orchestrator.<kind>: NAME`), so
    the graph orders apply by them."""
    problems = check_references(doc, spec, names)
    if problems:
        return None, problems
    refs = {"orchestrator.agent": spec.agent}
    if spec.environment:
        refs["orchestrator.environment"] = spec.environment
    if spec.vaults:
        refs["orchestrator.vault"] = ",".join(sorted(spec.vaults))
    return replace(spec, metadata=MappingProxyType({**spec.metadata, **refs})), []


def import_automation(
    raw: Mapping[str, Any],
    *,
    name: str,
    claims: Claims,
    layout: Layout | None = None,
    schema_path: str | None = None,
    names: Mapping[str, str],
) -> ImportedSpec:
    """An automation spec targeting by spec name; names: "<kind>:<live id>" -> spec name (kind: agent,
    environment, vault), for the objects this project owns or imports in the same run. KeyError names
    the first id that has no spec."""
    from datetime import UTC, datetime

    from orchestrator.engine.importing import Layout
    from orchestrator.engine.importing import _metadata as user_metadata
    from orchestrator.engine.importing_kinds import finish_spec, spec_name_of

    warnings: list[str] = []
    target = raw.get("target") or {}
    data: dict[str, Any] = {"version": 1, "kind": "automation", "name": name}
    if raw.get("name") and raw["name"] != name:
        data["display_name"] = raw["name"]
    data["type"] = raw.get("type")
    if raw.get("type") == "periodic":
        data["expression"] = raw.get("expression")
        data["timezone"] = raw.get("timezone")
    else:
        data["run_at"] = (
            datetime.fromtimestamp(int(raw.get("run_at") or 0), UTC).isoformat().replace("+00:00", "Z")
        )
    data["paused"] = raw.get("status") == "paused"
    spec_target: dict[str, Any] = {"agent": spec_name_of(names, "agent", target.get("agent_id"))}
    environment = (target.get("environment") or {}).get("environment_template_id")
    if environment:
        spec_target["environment"] = spec_name_of(names, "environment", environment)
    vaults = [spec_name_of(names, "vault", v) for v in target.get("vault_ids") or []]
    if vaults:
        spec_target["vaults"] = vaults
    texts = [
        part.get("text", "")
        for item in target.get("input") or []
        for part in item.get("content") or []
        if part.get("type") == "input_text"
    ]
    spec_target["input"] = "\n".join(texts)
    data["target"] = spec_target
    metadata = user_metadata(
        {
            k: v
            for k, v in (raw.get("metadata") or {}).items()
            if k not in ("orchestrator.agent", "orchestrator.environment", "orchestrator.vault")
        },
        warnings,
    )
    if metadata:
        data["metadata"] = metadata
    data["adopt_id"] = str(raw["id"])
    return finish_spec(raw, data, "automation", claims, layout or Layout(), schema_path, [], warnings)


DEFINITION = KindDefinition(
    "automation",
    refers_to=frozenset({"agent", "environment", "vault"}),
    schema="automation.schema.json",
    read=read_automation,
    resolve=resolve,
    importer="orchestrator.kinds.automation:import_automation",
    mapping="orchestrator.backends.automations:AutomationsMapping",
    client="orchestrator.backends.automations:automation_kind",
    plan_rank=7,
)
