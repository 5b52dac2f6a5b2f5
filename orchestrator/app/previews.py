"""Preview environments: an environment's specs deployed as copies owned by a preview NAME (`pr-123`).

A preview is the long-lived cousin of the copies `orchestrator test` makes (test_copies.py): its objects
are owned by `<project>/<environment>~preview-<NAME>/<spec>`. No environment name can contain `~`, so the
environment's own diff, apply, list and destroy never see them (never an orphan, never drift), and a
preview never touches the environment's objects. The spec names stay (references between kinds resolve
inside the preview); the API names carry a ` [preview NAME]` suffix; automations are created paused.

Every write of `apply --preview` records its time in the ownership hash (`;at=<unix seconds>`, beside the
claim and revision): the sweeper (`destroy --previews --older-than`) judges a preview's age by its newest
object, so a preview updated yesterday is not swept for having been created last month.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from orchestrator.engine.ownership import PREVIEW_MARK, PREVIEW_NAME, split_preview
from orchestrator.errors import OrchestratorError

if TYPE_CHECKING:
    from orchestrator.engine.desired import DesiredState
    from orchestrator.engine.live import LiveObject, LiveState
    from orchestrator.engine.planning import Plan
    from orchestrator.spec.project import Environment

NAME_PATTERN = PREVIEW_NAME
split_owner_environment = split_preview  # (environment, preview name) of a preview's owner environment
NAME_SUFFIX = " [preview {name}]"
DURATION = re.compile(r"^(\d{1,6})([smhdw])$")
UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def now() -> float:
    """The clock previews are dated by (one place, so tests can move it)."""
    return time.time()


def check_name(name: str) -> str:
    """NAME, or an error saying what a preview name may be."""
    if not NAME_PATTERN.match(name):
        raise OrchestratorError(
            f"--preview {name!r}: a preview name is 1 to 32 lowercase letters, digits and "
            "dashes, starting and ending with a letter or digit (e.g. `pr-123`)"
        )
    return name


def owner_environment(environment: str, name: str) -> str:
    """The environment name a preview's objects are owned by."""
    return f"{environment}{PREVIEW_MARK}{name}"


def preview_of(owner_env: str, environment: str) -> str | None:
    """The preview name of an owner environment when it is a preview of `environment`, else None."""
    prefix = environment + PREVIEW_MARK
    if not owner_env.startswith(prefix):
        return None
    name = owner_env[len(prefix) :]
    return name if NAME_PATTERN.match(name) else None


def preview_environment(environment: Environment, name: str) -> Environment:
    """The Environment a preview's objects are owned by (the environment's settings, a name of its own)."""
    return replace(environment, name=owner_environment(environment.name, check_name(name)))


def preview_state(state: DesiredState, name: str) -> DesiredState:
    """The desired state of preview NAME of state's environment: its specs, renamed for people (API names
    with a suffix), automations paused, owned by the preview."""
    suffix = NAME_SUFFIX.format(name=check_name(name))
    specs = {key: _renamed(spec, suffix) for key, spec in state.specs.items()}
    resources = {
        kind: MappingProxyType({key: _paused(_renamed(spec, suffix)) for key, spec in found.items()})
        for kind, found in state.resources.items()
    }
    return replace(
        state,
        environment=preview_environment(state.environment, name),
        specs=MappingProxyType(specs),
        resources=MappingProxyType(resources),
    )


def _renamed(spec: Any, suffix: str) -> Any:
    names = {f.name for f in fields(spec)} if hasattr(spec, "__dataclass_fields__") else set()
    if "display_name" not in names or not isinstance(spec.display_name, str):
        return spec
    room = 256 - len(suffix.encode("utf-8"))  # the APIs' limit is 256 UTF-8 bytes
    base = spec.display_name.encode("utf-8")[:room].decode("utf-8", "ignore")
    return replace(spec, display_name=base + suffix)


def _paused(spec: Any) -> Any:
    """Automations of a preview are created paused: a review copy must not start sessions on a schedule."""
    names = {f.name for f in fields(spec)} if hasattr(spec, "__dataclass_fields__") else set()
    return replace(spec, paused=True) if "paused" in names and "expression" in names else spec


def stamp_applied_at(plan: Plan, at: float | None = None) -> Plan:
    """The plan's creates and updates carrying the time of this apply in their ownership hash."""
    from orchestrator.engine.ownership import with_applied_at
    from orchestrator.engine.planning import Action

    moment = int(now() if at is None else at)
    return replace(
        plan,
        changes=tuple(
            replace(c, metadata=with_applied_at(c.metadata, moment))
            if c.action in (Action.CREATE, Action.UPDATE) and c.metadata
            else c
            for c in plan.changes
        ),
    )


# -- finding previews ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Preview:
    name: str
    objects: int
    last_applied: int  # unix seconds: the newest object's creation or last write

    def age_s(self, now: float) -> float:
        return max(0.0, now - self.last_applied)


def find_previews(project: str, environment: str, objects: LiveState) -> list[Preview]:
    """The previews of (project, environment) among live objects of every kind, by name."""
    from orchestrator.engine.ownership import parse_applied_at, parse_name_stamp

    counts: dict[str, int] = {}
    newest: dict[str, int] = {}
    for obj in _everything(objects):
        owner = obj.owner
        if owner is None or owner.project != project:
            continue
        name = preview_of(owner.environment, environment)
        if name is None:
            continue
        raw = obj.raw if isinstance(obj.raw, Mapping) else {}
        metadata = (
            raw.get("metadata")
            if isinstance(raw.get("metadata"), Mapping)
            else parse_name_stamp(raw.get("name"))
        )
        moment = max(obj.created_at, parse_applied_at(metadata) or 0)
        counts[name] = counts.get(name, 0) + 1
        newest[name] = max(newest.get(name, 0), moment)
    return [Preview(name, counts[name], newest[name]) for name in sorted(counts)]


def _everything(objects: LiveState) -> Iterator[LiveObject]:
    yield from objects
    for kind in getattr(objects, "kinds", {}).values():
        yield from kind


def parse_duration(text: str) -> int:
    """Seconds of a duration such as `7d`, `12h`, `30m`, `2w`."""
    match = DURATION.match(text.strip())
    if not match:
        raise OrchestratorError(
            f"--older-than {text!r}: expected a number and a unit s, m, h, d or w (e.g. 7d, 12h)"
        )
    return int(match.group(1)) * UNIT_S[match.group(2)]


def describe_age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"
