"""Every secret a plan's writes will read, checked to be there before the first write (presence only: no
value is read, so `diff` can run it too)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from orchestrator.engine.planning import Plan

if TYPE_CHECKING:
    from orchestrator.engine.desired import DesiredState
    from orchestrator.spec.agent_kinds import VaultSpec

SECRET_WARNING = "secret not available here"  # how diff's warnings about secrets begin


def missing_secrets(plan: Plan, environ: Mapping[str, str], state: DesiredState | None = None) -> list[str]:
    """One line per secret source the plan's writes need and cannot read here, `file:line: vault V, credential
    C: why` (the spec's place when the run loaded the specs, state; a saved plan names vault and credential)."""
    from orchestrator.backends.vaults import secrets_read_by
    from orchestrator.secret_sources import presence_problem

    vaults = state.of_kind("vault") if state is not None else {}
    found = []
    for change in plan.changes:
        for credential, pointer, source in secrets_read_by(change):
            problem = presence_problem(source, environ)
            if problem is None:
                continue
            found.append(
                f"{_place(vaults.get(change.name), credential, pointer)}vault `{change.name}`, "
                f"credential `{credential}`: {problem}"
            )
    return found


def _place(spec: VaultSpec | None, credential: str, pointer: str) -> str:
    if spec is None or not spec.file:
        return ""
    cred = next((c for c in spec.credentials if c.name == credential), None)
    line = cred.lines.get(pointer) if cred is not None else None
    line = line or spec.name_line
    return f"{spec.file}:{line}: " if line else f"{spec.file}: "


def with_secret_warnings(plan: Plan, environ: Mapping[str, str], state: DesiredState | None = None) -> Plan:
    """diff: a source missing here is a warning of the plan (a pull request plans with no write secrets);
    apply refuses the same plan before its first write (refusal_of)."""
    from dataclasses import replace

    missing = missing_secrets(plan, environ, state)
    if not missing:
        return plan
    return replace(
        plan,
        warnings=(
            *plan.warnings,
            *(f"{SECRET_WARNING} (apply refuses until it is): {line}" for line in missing),
        ),
    )


def refusal_of(plan: Plan, environ: Mapping[str, str], state: DesiredState | None = None) -> str | None:
    """apply: the error (None: every secret is there) that stops it before anything is written."""
    missing = missing_secrets(plan, environ, state)
    if not missing:
        return None
    count = len(missing)
    return "\n".join(
        [
            f"error: {count} secret{'s' if count != 1 else ''} this plan writes {'are' if count != 1 else 'is'} "
            "not available; nothing was changed:",
            *(f"  - {line}" for line in missing),
            "Set each one (or point the spec's from_env / from_file at one that is there) and run apply again.",
        ]
    )
