"""`orchestrator import` for vaults, skills and automations (agents targets), beside agents.

Read here (the connection is open): the kinds' live objects and, for each skill to import, the files of
its default version. Built by engine.importing_kinds, checked by a build in the scratch copy of the
project as agents are (app.importing.verify_round_trip), with one difference said plainly: a vault's
secrets cannot be read, so the round trip lists the `from_env` placeholders to set before apply.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.engine.importing import (
    Claims,
    ImportedSpec,
    Layout,
    Verdict,
    choose_name,
    classify,
)
from orchestrator.engine.importing_kinds import kind_importers
from orchestrator.kind_registry import definition, spec_kinds

if TYPE_CHECKING:
    from orchestrator.app.live import Live
    from orchestrator.engine.live import LiveState

ORDER = spec_kinds()  # referenced kinds first: automations name the vaults (and agents) imported before them


def refers_to_others(kind: str) -> bool:
    """Whether kind's objects name others (its definition's refers_to): its importer reads their spec names."""
    found = definition(kind)
    return found is not None and bool(found.refers_to)


@dataclass
class KindObjects:
    """The live vaults, skills and automations by id, and the spec names of the objects this project owns."""

    objects: dict[str, tuple[str, Mapping[str, Any]]] = field(default_factory=dict)  # id -> (kind, raw)
    contents: dict[str, dict[str, bytes]] = field(
        default_factory=dict
    )  # skill id -> files of its default version
    owned: dict[str, str] = field(
        default_factory=dict
    )  # "<kind>:<id>" -> spec name (agent, environment, vault)


def read_kind_objects(live: Live, state: LiveState, project: str, environment: str) -> KindObjects:
    found = KindObjects()
    for kind in live.kinds:
        for obj in state.kinds.get(kind.name, ()):
            if kind.name in ORDER:
                found.objects[obj.id] = (kind.name, obj.raw)
            if obj.owner and (obj.owner.project, obj.owner.environment) == (project, environment):
                found.owned[f"{kind.name}:{obj.id}"] = obj.owner.spec
    for obj in state:
        if obj.owner and (obj.owner.project, obj.owner.environment) == (project, environment):
            found.owned[f"agent:{obj.id}"] = obj.owner.spec
    return found


def fetch_skill_contents(live: Live, found: KindObjects, wanted: Collection[str]) -> None:
    """The files of each skill to import (one download each), while the connection is open."""
    skills = next((k.client for k in live.kinds if k.name == "skill"), None)
    for object_id in wanted:
        kind, _ = found.objects.get(object_id, ("", {}))
        if kind == "skill" and skills is not None:
            found.contents[object_id] = skills.content(object_id)


@dataclass(frozen=True, slots=True)
class KindImports:
    imports: tuple[ImportedSpec, ...] = ()
    raws: tuple[Mapping[str, Any], ...] = ()
    skipped: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


def wanted_ids(found: KindObjects, ids: Sequence[str], all_unmanaged: bool) -> list[str]:
    chosen = [i for i in dict.fromkeys(ids) if i in found.objects]
    if all_unmanaged:
        chosen += [i for i in found.objects if i not in chosen]
    return sorted(chosen, key=lambda i: ORDER.index(found.objects[i][0]))


def import_kinds(
    found: KindObjects,
    wanted: Sequence[str],
    explicit: Collection[str],
    *,
    project: str,
    environment: str,
    adopt_ids: Mapping[str, str],
    spec_names: Collection[str],
    claims: Claims,
    layout: Layout,
    schema_path: str,
    name_from: str,
    batch: Mapping[str, str],
) -> KindImports:
    """Spec files for the unmanaged objects among wanted; batch: "agent:<id>" -> the spec name an agent of
    this run is imported as (automations may target it)."""
    from orchestrator.engine.importing_kinds import skill_name

    importers = kind_importers()
    names = {**found.owned, **batch}
    imports: list[ImportedSpec] = []
    raws: list[Mapping[str, Any]] = []
    skipped: list[str] = []
    errors: list[str] = []
    for object_id in wanted:
        kind, raw = found.objects[object_id]
        verdict = classify(
            raw, project=project, environment=environment, adopt_ids=adopt_ids, spec_names=spec_names
        )
        if verdict.verdict is not Verdict.IMPORT:
            refused = verdict.verdict in (Verdict.FOREIGN, Verdict.UNFIT)
            (errors if refused and object_id in explicit else skipped).append(
                f"{object_id}: {'refused: ' if refused else ''}{verdict.message}"
            )
            continue
        named = {**raw, "name": skill_name(raw)} if kind == "skill" and name_from == "display" else raw
        extra: dict[str, Any] = {}
        if kind == "skill":
            extra["content"] = found.contents.get(object_id, {})
        elif refers_to_others(kind):  # an automation: the spec names of what it targets
            extra["names"] = names
        name = choose_name(named, name_from, claims, layout)
        try:
            item = importers[kind](
                raw, name=name, claims=claims, layout=layout, schema_path=schema_path, **extra
            )
        except KeyError as exc:
            claims.names.discard(name)
            what = str(exc.args[0]) if exc.args else "a target"
            message = (
                f"{object_id}: the automation targets {what}, which is neither a spec of this project nor "
                "imported in this run; import it in the same run"
            )
            (errors if object_id in explicit else skipped).append(message)
            continue
        if kind == "vault":
            names.update({f"vault:{object_id}": name})
        imports.append(item)
        raws.append(raw)
    return KindImports(tuple(imports), tuple(raws), tuple(skipped), tuple(errors))


def build_noted(builder: Any, root: Path, item: ImportedSpec, found: list[str]) -> Any:
    """The imported spec built as validate will build it (None when it will not), each diagnostic noted in
    found as what validate will then say."""
    spec, diagnostics = builder.build_one(root / item.spec_path)
    found.extend(
        ("validate will fail: " if d.severity == "error" else "validate warns: ")
        + d.message
        + (f" (at {d.pointer})" if d.pointer else "")
        for d in diagnostics
    )
    return spec


def verify_kinds(
    imports: Sequence[ImportedSpec],
    raws: Sequence[Mapping[str, Any]],
    builder: Any,
    root: Path,
    names: Mapping[str, str],
) -> dict[str, list[str]]:
    """Each imported spec built as the project would, compared with its live object: what apply changes."""
    from orchestrator.backends import kind_mappings
    from orchestrator.engine.importing_kinds import secret_placeholders
    from orchestrator.engine.live import References

    mappings = kind_mappings("agents")
    references = References(
        {f"{key.split(':', 1)[0]}:{spec}": key.split(":", 1)[1] for key, spec in names.items()}
    )  # "<kind>:<spec name>" -> id, the specs this project owns or imports now
    notes: dict[str, list[str]] = {}
    for item, raw in zip(imports, raws, strict=True):
        found = notes.setdefault(item.object_id, [])
        spec = build_noted(builder, root, item, found)
        if spec is None:
            continue
        kind = item.data["kind"]
        mapping = mappings[kind]
        want = mapping.desired_essence(spec)
        have = mapping.live_essence(raw, references=references if refers_to_others(kind) else None)
        if kind == "vault":
            want = {**want, "credentials": {n: {**c, "secret": None} for n, c in want["credentials"].items()}}
            have = {**have, "credentials": {n: {**c, "secret": None} for n, c in have["credentials"].items()}}
            for placeholder in secret_placeholders(item):
                found.append(
                    f"secret placeholder: set {placeholder.variable} (credential {placeholder.credential}, "
                    f"{placeholder.field}) before apply; the adopting apply writes it (secret changed)"
                )
        for key in sorted(set(want) | set(have)):
            if key not in mapping.write_only and want.get(key) != have.get(key):
                found.append(f"the round trip is not exact: apply will change `{key}`")
    return notes


def name_credentials(
    agents: Sequence[ImportedSpec],
    raws: Sequence[Mapping[str, Any]],
    found: KindObjects,
    vaults: Sequence[ImportedSpec],
    *,
    project: str,
    environment: str,
    claims: Claims,
    schema_path: str | None,
) -> list[ImportedSpec]:
    """Imported agents whose MCP tool uses a credential of a vault this project owns or imports now: the
    tool names it (`credential: vault/name`) instead of losing it, and its spec file is written again."""
    from dataclasses import replace

    from orchestrator.engine.importing import PlannedFile, render_spec
    from orchestrator.engine.ownership import parse_owner

    refs: dict[str, str] = {}
    imported = {item.object_id: item.name for item in vaults}
    for object_id, (kind, raw) in found.objects.items():
        owner = parse_owner(raw.get("metadata"))
        owned = owner is not None and (owner.project, owner.environment) == (project, environment)
        vault = imported.get(object_id) or (owner.spec if owned and owner else None)
        if kind == "vault" and vault:
            refs.update({str(c["id"]): f"{vault}/{c['name']}" for c in raw.get("credentials") or []})
    result = []
    for item, raw in zip(agents, raws, strict=True):
        used = {
            str(t.get("server_label")): refs[t["credential_id"]]
            for t in raw.get("tools") or []
            if t.get("type") == "mcp" and t.get("credential_id") in refs
        }
        if not used:
            result.append(item)
            continue
        data = dict(item.data)
        data["tools"] = [
            {**t, "credential": used[t["server_label"]]}
            if isinstance(t, dict) and t.get("type") == "mcp" and t.get("server_label") in used
            else t
            for t in data.get("tools") or []
        ]
        text = render_spec(data, object_id=item.object_id, kind="agent", schema_path=schema_path)
        claims.planned[item.spec_path] = text
        lost = tuple(f"MCP server `{label}`: credential_id cannot" for label in used)
        warnings = tuple(w for w in item.warnings if not w.startswith(lost))
        result.append(
            replace(
                item, data=data, files=(PlannedFile(item.spec_path, text), *item.files[1:]), warnings=warnings
            )
        )
    return result


def credentials_named(
    want: Mapping[str, Any], have: Mapping[str, Any], notes: list[str]
) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """An imported agent's essence and its live one, with a credential named by the spec set aside (the
    same credential: its id is put in at the adopting apply, once its vault is adopted), said in notes."""
    tools = want.get("tools")
    if not isinstance(tools, Mapping) or not any(
        "credential" in o for o in tools.values() if isinstance(o, Mapping)
    ):
        return want, have
    keys = ("credential", "credential_settings", "credential_id")

    def plain(essence: Mapping[str, Any]) -> dict[str, Any]:
        return {
            **essence,
            "tools": {
                label: {k: v for k, v in o.items() if k not in keys} if isinstance(o, Mapping) else o
                for label, o in (essence.get("tools") or {}).items()
            },
        }

    for label, options in sorted(tools.items()):
        if isinstance(options, Mapping) and "credential" in options:
            notes.append(
                f"MCP server `{label[4:]}` names credential {options['credential']}; the adopting apply "
                "points it there by id (the same credential)"
            )
    return plain(want), plain(have)
