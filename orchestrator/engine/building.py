"""Assembling the desired state: the Builder reads every spec file and resolves the references between specs.

Discover (engine.spec_discovery) -> read each file (engine.spec_reading, engine.environment_reading, a kind's
own reader) -> resolve references and map to the target's kinds (here). Runs offline and never imports
handler code.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from orchestrator.diagnostics import UNDEPLOYED, Diagnostic, Diagnostics, Severity, error, warning
from orchestrator.engine.desired import (
    ENVIRONMENT_KIND,
    ENVIRONMENT_REFERENCE_KEY,
    TEST_KIND,
    DesiredEnvironment,
    DesiredSpec,
    DesiredState,
    knowledge_resources,
)
from orchestrator.engine.environment_reading import EnvironmentReading
from orchestrator.engine.migration import map_to_agents
from orchestrator.engine.spec_discovery import data_files, discover_specs
from orchestrator.engine.spec_reading import SpecReading
from orchestrator.kind_registry import deploys, spec_kinds
from orchestrator.spec.confinement import Refused, resolved, resolving_once
from orchestrator.spec.loading import Document
from orchestrator.spec.project import Environment, Project, Target
from orchestrator.spec.rendering import Renderer


class Builder(SpecReading, EnvironmentReading):
    """Builds DesiredSpecs; keeps caches (templates, schema files) that watch reuses between cycles."""

    def __init__(
        self,
        project: Project,
        environment: Environment,
        target: Target,
        *,
        today: date,
        vars_over: Mapping[str, Any] | None = None,
    ) -> None:
        from orchestrator.spec.schemas import validator_for

        self.vars_over = dict(vars_over or {})  # a behaviour test's `vars`, over every spec's own
        self.project = project
        self.environment = environment
        self.target = target
        self.today = today
        self.renderer = Renderer(project.templates_dir, project.root)
        self.validator = validator_for("spec")
        self._json_cache: dict[Path, tuple[int, Any, Diagnostic | None]] = {}
        self._paths: dict[tuple[Path, str], tuple[Path, str, Refused | None]] = {}
        self._environment_validator: Any = None
        # specs whose `environments` leave this one out (a build resets it; watch's builds of one file add to it)
        self.skipped: list[str] = []

    def build(self, files: list[Path] | None = None) -> DesiredState:
        with resolving_once():  # each folder's real path found once in this build
            return self._build(files)

    def _build(self, files: list[Path] | None) -> DesiredState:
        diagnostics = Diagnostics()
        every_spec = files is None
        if files is None:
            discovery = discover_specs(self.project)
            files = list(discovery.files)
            diagnostics.extend(discovery.diagnostics)
        specs: dict[str, Any] = {}
        first_seen: dict[str, str] = {}
        self.skipped: list[str] = []
        if not self.project.specs_dir.is_dir():
            diagnostics.add(
                error(
                    "orchestrator.yaml",
                    f"specs folder `{self.project.display(self.project.specs_dir)}` does not exist",
                )
            )
        self._names: dict[Path, tuple[str, int | None, int | None]] = {}
        built = [(path, *self.build_one(path)) for path in files]
        data = data_files([spec for _, spec, _ in built if spec is not None])
        for path, spec, found in built:
            if resolved(path) in data:
                continue  # a YAML knowledge or code file of a spec: data, not a spec
            diagnostics.extend(found)
            if spec is None:
                # an invalid spec still claims its name: report a duplicate now, not after the fix
                claimed = self._names.get(path)
                if claimed is not None:
                    name, line, column = claimed
                    shown = self.project.display(path)
                    if name in first_seen:
                        diagnostics.add(
                            error(
                                shown,
                                f"spec name `{name}` is already used by {first_seen[name]}",
                                line=line,
                                column=column,
                                pointer="/name",
                                hint="spec names are identities and must be unique in the project",
                            )
                        )
                    elif name not in self.skipped:
                        first_seen[name] = f"{shown}:{line}:{column}"
                continue
            if spec.name in first_seen:
                diagnostics.add(
                    error(
                        spec.file,
                        f"spec name `{spec.name}` is already used by {first_seen[spec.name]}",
                        line=spec.name_line,
                        column=spec.name_column,
                        pointer="/name",
                        hint="spec names are identities and must be unique in the project",
                    )
                )
                continue
            first_seen[spec.name] = f"{spec.file}:{spec.name_line}:{spec.name_column}"
            specs[spec.name] = spec
        tests = {
            name: specs.pop(name)
            for name in [n for n, s in specs.items() if getattr(s, "kind", None) == TEST_KIND]
        }
        assistants, resources = self.split_kinds(specs, diagnostics)
        tests = self._check_tests(tests, assistants, specs, diagnostics)
        diagnostics, accepted = self.set_aside_accepted(diagnostics, every_spec=every_spec)
        return DesiredState(
            self.project,
            self.environment,
            self.target,
            MappingProxyType(assistants),
            diagnostics,
            tuple(files),
            tuple(sorted(self.skipped)),
            resources,
            accepted,
            MappingProxyType(tests),
        )

    def set_aside_accepted(
        self, diagnostics: Diagnostics, *, every_spec: bool = True, names: Mapping[str, str] | None = None
    ) -> tuple[Diagnostics, tuple[Diagnostic, ...]]:
        """(the diagnostics to show, the warnings this environment's `accept:` covers). With every spec built,
        an acceptance naming an unknown spec is an error and one that covers no warning is reported (stale)."""
        from dataclasses import replace

        from orchestrator.spec.project import PROJECT_FILE

        rules = self.environment.accept
        if not rules:
            return diagnostics, ()
        if names is None:  # spec file as shown -> spec name, of every file this build read
            names = {
                self.project.display(path): claimed[0]
                for path, claimed in getattr(self, "_names", {}).items()
            }
        shown, accepted, used = Diagnostics(), [], set()
        for item in diagnostics:
            rule = (
                next((r for r in rules if r.covers(names.get(item.file), item.pointer)), None)
                if item.code == UNDEPLOYED and item.severity is Severity.WARNING
                else None
            )
            if rule is None:
                shown.add(item)
            else:
                accepted.append(
                    replace(
                        item,
                        hint=f"accepted in environment `{self.environment.name}` "
                        f"({PROJECT_FILE}:{rule.line})",
                    )
                )
                used.add(rule)
        doc = self.project.document
        if not every_spec or doc is None:
            return shown, tuple(accepted)
        known = set(names.values()) | set(self.skipped)
        for rule in rules:
            if rule.spec is not None and rule.spec not in known:
                close = difflib.get_close_matches(rule.spec, sorted(known), n=1, cutoff=0.6)
                shown.add(
                    doc.error_at(
                        f"{rule.pointer}/spec",
                        f"unknown spec `{rule.spec}`"
                        + (f"; did you mean `{close[0]}`?" if close else "")
                        + f" (specs: {', '.join(f'`{n}`' for n in sorted(known)) or 'none'})",
                    )
                )
            elif rule not in used and not diagnostics.has_errors:
                shown.add(
                    doc.warning_at(
                        rule.pointer,
                        f"accepted difference {rule.describe()} matches no warning "
                        f"in environment `{self.environment.name}` (target `{self.target.name}`)",
                        hint="remove it from `accept:`: the spec or the target changed",
                    )
                )
        return shown, tuple(accepted)

    def _check_tests(
        self,
        tests: Mapping[str, Any],
        assistants: Mapping[str, DesiredSpec],
        built: Mapping[str, Any],
        diagnostics: Diagnostics,
    ) -> dict[str, Any]:
        """A test's spec must be an assistant of the project and every function it names one of that spec's;
        a test of a spec left out of this environment is left out with it."""
        import difflib

        kept: dict[str, Any] = {}
        claimed = {claim[0] for claim in getattr(self, "_names", {}).values()}
        for name, test in sorted(tests.items()):
            use = test.spec_use
            spec = assistants.get(test.spec)
            if spec is None:
                if test.spec in self.skipped:
                    self.skipped.append(name)
                    continue
                other = built.get(test.spec)
                if (other is None and test.spec in claimed) or isinstance(other, DesiredSpec):
                    continue  # the spec is invalid: its own diagnostics say why, the test waits for it
                if other is not None:
                    why = f"`{test.spec}` is a {getattr(other, 'kind', 'environment')} spec; a test talks to an assistant"
                else:
                    close = difflib.get_close_matches(test.spec, list(assistants), n=1, cutoff=0.6)
                    why = (
                        f"unknown spec `{test.spec}`"
                        + (f"; did you mean `{close[0]}`?" if close else "")
                        + " (assistant specs: "
                        + (", ".join(f"`{a}`" for a in sorted(assistants)) or "none")
                        + ")"
                    )
                diagnostics.add(error(test.file, why, line=use.line, column=use.column, pointer=use.pointer))
                continue
            functions = [f.name for f in spec.functions]
            unknown = [u for u in test.tool_uses if u.name not in functions]
            for tool in unknown:
                close = difflib.get_close_matches(tool.name, functions, n=1, cutoff=0.6)
                diagnostics.add(
                    error(
                        test.file,
                        f"spec `{spec.name}` has no function `{tool.name}`"
                        + (f"; did you mean `{close[0]}`?" if close else "")
                        + " (functions: "
                        + (", ".join(f"`{f}`" for f in functions) or "none")
                        + ")",
                        line=tool.line,
                        column=tool.column,
                        pointer=tool.pointer,
                    )
                )
            if not unknown:
                kept[name] = test
        return kept

    def deploys(self, kind: str) -> bool:
        """Whether the target's backend has kind: its definition names the backend (orchestrator/kinds/)."""
        return deploys(self.target.backend, kind)

    def split_kinds(
        self, built: Mapping[str, Any], diagnostics: Diagnostics
    ) -> tuple[dict[str, DesiredSpec], Mapping[str, Mapping[str, Any]]]:
        """Specs of every kind by name -> the assistants (references resolved) and the graph's other kinds."""
        environments = {n: s for n, s in built.items() if isinstance(s, DesiredEnvironment)}
        others: dict[str, dict[str, Any]] = {}  # vault, skill, automation, ...: kind -> name -> spec
        assistants: dict[str, DesiredSpec] = {}
        defined = spec_kinds()
        for name, spec in built.items():
            if isinstance(spec, DesiredEnvironment) or getattr(spec, "kind", None) == TEST_KIND:
                continue  # a test is never deployed (Builder._build checks it against the assistants)
            if getattr(spec, "kind", None) in defined:
                others.setdefault(spec.kind, {})[name] = spec
            else:
                assistants[name] = spec
        if self.deploys("agent"):  # the target's own kind: assistant specs are deployed as agents
            assistants, environments = self._map_to_agents(assistants, environments, diagnostics)
        specs = self._resolve_references(assistants, environments, diagnostics)
        resources: dict[str, Mapping[str, Any]] = {}
        if self.deploys("vector_store"):  # knowledge in file_search stores (else in the agent's workspace)
            resources.update(knowledge_resources(specs))
        if not self.deploys("environment"):
            for env_spec in environments.values():
                self._left_out(env_spec, "environment templates exist", diagnostics)
        environments = self._pin_skills(environments, others.get("skill", {}), diagnostics)
        others = self._resolve_agent_kinds(specs, environments, others, diagnostics)
        specs = self._resolve_credentials(specs, others.get("vault", {}), diagnostics)
        for kind, group in others.items():
            for other in () if self.deploys(kind) else group.values():
                self._left_out(other, "it exists", diagnostics)
        resources.update(
            {kind: MappingProxyType(group) for kind, group in sorted(others.items()) if self.deploys(kind)}
        )
        if environments and self.deploys("environment"):
            resources[ENVIRONMENT_KIND] = MappingProxyType(environments)
            resources.update(
                knowledge_resources({}, resources[ENVIRONMENT_KIND], stores=False)
            )  # their uploads
        return specs, MappingProxyType(resources)

    def _left_out(self, spec: Any, what: str, diagnostics: Diagnostics) -> None:
        """Warn that spec (a kind this target's backend lacks) is not deployed to it."""
        kind = "environment" if isinstance(spec, DesiredEnvironment) else spec.kind
        diagnostics.add(
            warning(
                spec.file,
                f"{kind} `{spec.name}` is left out of target `{self.target.name}`: "
                f"{what} only on Agents API targets",
                line=spec.name_line,
                column=spec.name_column,
                pointer="/kind",
            )
        )

    def _map_to_agents(
        self,
        specs: dict[str, DesiredSpec],
        environments: Mapping[str, DesiredEnvironment],
        diagnostics: Diagnostics,
    ) -> tuple[dict[str, DesiredSpec], dict[str, DesiredEnvironment]]:
        """The assistant specs as agents (orchestrator.engine.migration), and the environment templates made
        for the ones whose knowledge and code files (or code_interpreter) need one of their own."""
        result, templates = map_to_agents(specs, self.project, self.target, diagnostics)
        found = dict(environments)
        for name, spec in templates.items():
            found[name] = DesiredEnvironment(
                name=name,
                file=spec.file,
                path=spec.path,
                files=spec.workspace_files,
                dependencies=frozenset(
                    {
                        spec.path.resolve(),
                        *(f.local.absolute for f in spec.workspace_files if f.local is not None),
                    }
                ),
                name_line=spec.name_line,
                name_column=spec.name_column,
                origin=name,
            )
        return result, found

    def _resolve_credentials(
        self, specs: dict[str, DesiredSpec], vaults: Mapping[str, Any], diagnostics: Diagnostics
    ) -> dict[str, DesiredSpec]:
        """An MCP tool's `credential` must name a credential of a vault spec deployed here: written as
        `vault/credential` into the tool, and the vault named in the agent's metadata (`orchestrator.vault`)."""
        from dataclasses import replace

        from orchestrator.spec.agent_kinds import check_credential_references
        from orchestrator.spec.loading import load_yaml_file

        result = dict(specs)
        for name, spec in specs.items():
            if not any(t.get("type") == "mcp" and "credential" in t for t in spec.tools):
                continue
            doc = load_yaml_file(spec.path, spec.file, root=self.project.root)
            resolved, problems = check_credential_references(doc, spec.tools, vaults)
            if problems:
                diagnostics.extend(problems)
                del result[name]
                continue
            settings = {f"{v.name}/{c.name}": c.auth for v in vaults.values() for c in v.credentials}
            tools = tuple(
                MappingProxyType({**t, "credential": resolved[i], "credential_auth": settings[resolved[i]]})
                if i in resolved
                else t
                for i, t in enumerate(spec.tools)
            )
            used = sorted({ref.split("/", 1)[0] for ref in resolved.values()})
            metadata = {**spec.metadata, "orchestrator.vault": ",".join(used)}
            result[name] = replace(spec, tools=tools, metadata=MappingProxyType(metadata))
        return result

    def _pin_skills(
        self, environments: dict[str, DesiredEnvironment], skills: Mapping[str, Any], diagnostics: Diagnostics
    ) -> dict[str, DesiredEnvironment]:
        """An environment's `skills` must name skill specs deployed here; each is pinned (to the version its
        skill spec makes, or the version written) and named in its metadata (`orchestrator.skill`), so the
        skill is applied first."""
        from dataclasses import replace

        from orchestrator.spec.agent_kinds import check_skill_references
        from orchestrator.spec.loading import load_yaml_file

        result = dict(environments)
        for name, env_spec in environments.items():
            if not env_spec.skills:
                continue
            doc = load_yaml_file(env_spec.path, env_spec.file, root=self.project.root)
            problems = check_skill_references(doc, env_spec.skills, skills, skipped=self.skipped)
            if problems:
                diagnostics.extend(problems)
                del result[name]
                continue
            metadata = {**env_spec.metadata, "orchestrator.skill": ",".join(sorted(env_spec.skills))}
            pinned = {n: skills[n] for n in env_spec.skills if n not in env_spec.skill_pins}
            result[name] = replace(
                env_spec, skill_specs=MappingProxyType(pinned), metadata=MappingProxyType(metadata)
            )
        return result

    def _resolve_references(
        self,
        specs: dict[str, DesiredSpec],
        environments: Mapping[str, DesiredEnvironment],
        diagnostics: Diagnostics,
    ) -> dict[str, DesiredSpec]:
        """An agent's `environment: NAME` must name a `kind: environment` spec deployed here; on an agents
        target it is written into the agent's metadata, so it is diffed, owned and read back like any field."""
        import difflib
        from dataclasses import replace

        result: dict[str, DesiredSpec] = {}
        for name, spec in specs.items():
            wanted = spec.environment
            if wanted is None:
                result[name] = spec
                continue
            line, column = spec.environment_position or (spec.name_line, spec.name_column)
            if wanted not in environments:
                if wanted in self.skipped:
                    why = (
                        f"environment `{wanted}` is not deployed to environment `{self.environment.name}` "
                        "(its `environments` list leaves it out)"
                    )
                elif wanted in specs:
                    why = f"`{wanted}` is a spec of kind assistant, not an environment"
                else:
                    close = difflib.get_close_matches(wanted, list(environments), n=1, cutoff=0.6)
                    known = ", ".join(f"`{e}`" for e in sorted(environments)) or "none"
                    why = (
                        f"unknown environment `{wanted}`"
                        + (f"; did you mean `{close[0]}`?" if close else "")
                        + f" (environment specs: {known})"
                    )
                diagnostics.add(
                    error(
                        spec.file,
                        why,
                        line=line,
                        column=column,
                        pointer="/environment",
                        hint="add a spec with `kind: environment` and this name",
                    )
                )
                continue
            if not self.deploys("environment"):
                diagnostics.add(
                    warning(
                        spec.file,
                        f"`environment: {wanted}` is ignored on target `{self.target.name}`: "
                        "environments exist only on Agents API targets",
                        line=line,
                        column=column,
                        pointer="/environment",
                    )
                )
                result[name] = spec
                continue
            metadata = {**spec.metadata, ENVIRONMENT_REFERENCE_KEY: wanted}
            result[name] = replace(spec, metadata=MappingProxyType(metadata))
        return result

    def _build_agent_kind(self, doc: Document) -> tuple[Any, list[Diagnostic]]:
        """A kind its definition reads (vault, skill, automation, ...); `environments` as for any spec."""
        from orchestrator.spec.agent_kinds import read_resource

        data = doc.data
        left_out = self._left_out_here(doc, data)
        if left_out is not None:
            return None, left_out
        return read_resource(doc, self.project.root)

    def _resolve_agent_kinds(
        self,
        specs: Mapping[str, DesiredSpec],
        environments: Mapping[str, Any],
        others: dict[str, dict[str, Any]],
        diagnostics: Diagnostics,
    ) -> dict[str, dict[str, Any]]:
        """Each kind's step of the desired state (its definition's `resolve`: an automation's agent,
        environment and vaults must be specs of the project deployed here), given every spec name's kinds."""
        from orchestrator.kind_registry import definitions
        from orchestrator.spec.loading import load_yaml_file

        names: dict[str, set[str]] = {}  # an agent and the template made from its files share a name
        for kind, group in (("assistant", specs), ("environment", environments), *others.items()):
            for n in group:
                names.setdefault(n, set()).add(kind)
        known = {n: frozenset(k) for n, k in names.items()}
        for defined in definitions():
            group = others.get(defined.name, {})
            if defined.resolve is None:
                continue
            for name, spec in list(group.items()):
                doc = load_yaml_file(spec.path, spec.file, root=self.project.root)
                resolved, problems = defined.resolve(spec, doc, known)
                if resolved is None:
                    diagnostics.extend(problems)
                    del group[name]
                    continue
                group[name] = resolved
        return {kind: group for kind, group in others.items() if group}


def build_desired(project: Project, environment: Environment, target: Target, *, today: date) -> DesiredState:
    return Builder(project, environment, target, today=today).build()
