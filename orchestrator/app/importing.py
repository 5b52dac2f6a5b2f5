"""Import: spec files for existing live objects; the next apply adopts them, keeping their ids.

Nothing live is touched. Every spec written is checked before it is written: built in a scratch copy
of the project and compared with the live object, so an inexact round trip is reported, not hidden.
"""

from __future__ import annotations

import dataclasses
import posixpath
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.app.live import connect, read_live
from orchestrator.app.project import Selection, today
from orchestrator.app.report import Reporter
from orchestrator.backends import mapping_for
from orchestrator.engine.building import Builder
from orchestrator.engine.importing import (
    KIND_IMPORTERS,
    Claims,
    ImportedSpec,
    Layout,
    Verdict,
    adopt_ids_of,
    choose_name,
    classify,
    import_object,
    import_resource,
)
from orchestrator.engine.spec_discovery import discover_spec_files
from orchestrator.errors import OrchestratorError
from orchestrator.kind_registry import primary_on
from orchestrator.spec.confinement import Refused, read_confined
from orchestrator.spec.loading import LoadError, load_yaml_file
from orchestrator.spec.writing import WriteRefused, check_writable, create_file

if TYPE_CHECKING:
    from orchestrator.app.live import Live
    from orchestrator.engine.importing import ReadFile
    from orchestrator.engine.live import LiveObject, LiveState, ObjectReferences
    from orchestrator.engine.ownership import Owner
    from orchestrator.secrets import Redacting
    from orchestrator.spec.project import Project

SCHEMA_FILE = "schemas/spec.schema.json"


def import_result(found: FoundImports, selection: Selection, *, dry_run: bool) -> dict[str, Any]:
    """An import as data: `import --output json` prints it, the MCP `import` tool answers it."""
    return {
        "dry_run": dry_run,
        "written": not dry_run and bool(found.imports),
        "project": selection.project.name,
        "environment": selection.environment.name,
        "target": selection.target.name,
        "imported": [
            {
                "id": item.object_id,
                "name": item.name,
                "spec_file": item.spec_path,
                "files": [{"path": f.path, "text": f.text, "new": f.write} for f in item.files],
                "warnings": [*item.warnings, *found.notes.get(item.object_id, [])],
            }
            for item in found.imports
        ],
        "skipped": list(found.skipped),
    }


@dataclass(frozen=True, slots=True)
class FoundImports:
    """What an import would write (with round-trip notes per object id), what it skipped, what it refused."""

    kind: str  # assistant | agent
    imports: tuple[ImportedSpec, ...] = ()
    raws: tuple[Mapping[str, Any], ...] = ()
    notes: Mapping[str, list[str]] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


@dataclass
class GraphObjects:
    """The live objects of the graph's importable kinds (KIND_IMPORTERS): kind, owner and live essence by id."""

    kinds: dict[str, str] = field(default_factory=dict)
    owners: dict[str, Owner | None] = field(default_factory=dict)
    essences: dict[str, Mapping[str, Any]] = field(default_factory=dict)

    def read(self, live: Live, state: LiveState, objects: dict[str, LiveObject]) -> None:
        for kind in live.kinds:
            found = state.kinds.get(kind.name)
            if kind.name not in KIND_IMPORTERS or found is None:
                continue
            for obj in found:
                objects[obj.id] = obj
                self.kinds[obj.id], self.owners[obj.id] = kind.name, obj.owner
                self.essences[obj.id] = kind.mapping.live_essence(obj.raw, found.view, obj.references)


def prepare_import(
    selection: Selection,
    ids: Sequence[str],
    *,
    all_unmanaged: bool,
    name_from: str,
    reporter: Reporter | None = None,
) -> FoundImports:
    """Read the live objects and build the spec files for them; nothing is written, nothing live is touched."""
    project = selection.project
    kind = primary_on(selection.target.backend).name
    existing = _existing_specs(selection)
    from orchestrator.app import importing_kinds as other

    graph = (
        GraphObjects()
    )  # environment templates (KIND_IMPORTERS); vaults, skills, automations: importing_kinds
    with connect(project, selection.target, selection.environment, reporter=reporter) as live:
        state = read_live(live)
        objects = {obj.id: obj for obj in state}  # with what each refers to (LiveObject.references)
        graph.read(live, state, objects)
        kinds_found = other.read_kind_objects(live, state, project.name, selection.environment.name)
        missing = [
            i
            for i in dict.fromkeys(ids)
            if i not in objects and i not in kinds_found.objects and not _fetch(live, i, objects)
        ]
        kind_wanted = other.wanted_ids(kinds_found, ids, all_unmanaged)
        other.fetch_skill_contents(
            live,
            kinds_found,
            [
                i
                for i in kind_wanted
                if kinds_found.objects[i][1].get("metadata", {}).get("orchestrator.owner") is None
            ],
        )
    adopt_ids = adopt_ids_of(existing)
    errors = [f"{i}: no {kind} with this id on target `{selection.target.name}`" for i in missing]
    skipped: list[str] = []
    candidates: list[LiveObject] = []
    wanted = [i for i in dict.fromkeys(ids) if i in objects]
    if all_unmanaged:
        wanted += [i for i in objects if i not in wanted]
    for object_id in wanted:
        obj = objects[object_id]
        verdict = classify(
            obj.raw,
            project=project.name,
            environment=selection.environment.name,
            adopt_ids=adopt_ids,
            spec_names={_name_of(path, data) for path, data in existing},
            owner=graph.owners.get(object_id, False),
        )
        if verdict.verdict is Verdict.IMPORT:
            candidates.append(obj)
        elif verdict.verdict in (Verdict.FOREIGN, Verdict.UNFIT) and object_id in ids:
            errors.append(f"{object_id}: refused: {verdict.message}")
        else:
            skipped.append(f"{object_id}: {verdict.message}")
    if errors:
        return FoundImports(kind, skipped=tuple(skipped), errors=tuple(errors))
    layout = _layout(selection)
    schema_path = posixpath.relpath(SCHEMA_FILE, layout.specs)
    claims = Claims(_reader(project.root), names={_name_of(path, data) for path, data in existing})
    imports = [
        import_resource(
            obj.raw,
            graph.essences[obj.id],
            importer=KIND_IMPORTERS[graph.kinds[obj.id]],
            name=choose_name(obj.raw, name_from, claims, layout),
            claims=claims,
            layout=layout,
            schema_path=posixpath.relpath(f"schemas/{graph.kinds[obj.id]}.schema.json", layout.specs),
        )
        if obj.id in graph.kinds
        else import_object(
            obj.raw,
            mapping=mapping_for(selection.target.backend),
            name=choose_name(obj.raw, name_from, claims, layout),
            claims=claims,
            layout=layout,
            schema_path=schema_path,
            references=obj.references,
        )
        for obj in candidates
    ]
    kinds = other.import_kinds(
        kinds_found,
        kind_wanted,
        ids,
        project=project.name,
        environment=selection.environment.name,
        adopt_ids=adopt_ids,
        spec_names={_name_of(path, data) for path, data in existing},
        claims=claims,
        layout=layout,
        schema_path=None,
        name_from=name_from,
        batch={f"agent:{item.object_id}": item.name for item in imports},
    )
    if kinds.errors:
        return FoundImports(kind, skipped=(*skipped, *kinds.skipped), errors=kinds.errors)
    imports = other.name_credentials(
        imports,
        [obj.raw for obj in candidates],
        kinds_found,
        [i for i in kinds.imports if i.data["kind"] == "vault"],
        project=project.name,
        environment=selection.environment.name,
        claims=claims,
        schema_path=schema_path,
    )
    names = {
        **kinds_found.owned,
        **{f"agent:{i.object_id}": i.name for i in imports},
        **{f"{i.data['kind']}:{i.object_id}": i.name for i in kinds.imports},
    }
    imports += kinds.imports
    raws = [*(obj.raw for obj in candidates), *kinds.raws]
    refused = [problem for item in imports for problem in secret_problems(item, kind)]
    if refused:  # a known secret in live data is a diagnostic, never a file or a line of output
        return FoundImports(kind, skipped=tuple(skipped), errors=tuple(refused))
    notes = verify_round_trip(
        imports,
        raws,
        selection,
        names=names,
        essences=graph.essences,
        references={obj.id: obj.references for obj in candidates if obj.references is not None},
    )
    label = kind if not kinds.imports else "object"
    return FoundImports(label, tuple(imports), tuple(raws), notes, (*skipped, *kinds.skipped))


def secret_problems(item: ImportedSpec, kind: str) -> list[str]:
    """Where the files an import would write hold a value the run's redactor hides (the API key, a vault
    secret, a URL password, an `sk-` key): each a refusal naming the field or file, never the value."""
    from orchestrator.secrets import active

    redactor = active()
    found = [f"at `{pointer}`" for pointer in _secret_pointers(item.data, "", redactor)]
    for planned in item.files[1:]:
        text = planned.text if planned.data is None else planned.data.decode("utf-8", "replace")
        if redactor.redact(text) != text:
            found.append(f"in {planned.path}")
    noun = item.kind or kind
    return [
        f"{item.object_id}: the live {noun} holds a secret value {where} (a key or secret this project "
        "names, a URL password or an `sk-` key); it is not written into a spec: remove it from the live "
        "object first"
        for where in found
    ]


def _secret_pointers(value: Any, pointer: str, redactor: Redacting) -> list[str]:
    if isinstance(value, str):
        return [pointer or "/"] if redactor.redact(value) != value else []
    if isinstance(value, Mapping):
        found = []
        for key, item in value.items():
            here = f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"
            found += [here] if redactor.redact(str(key)) != str(key) else []
            found += _secret_pointers(item, here, redactor)
        return found
    if isinstance(value, list | tuple):
        return [
            p
            for index, item in enumerate(value)
            for p in _secret_pointers(item, f"{pointer}/{index}", redactor)
        ]
    return []


def verify_round_trip(
    imports: Sequence[ImportedSpec],
    raws: Sequence[Mapping[str, Any]],
    selection: Selection,
    names: Mapping[str, str] | None = None,
    *,
    essences: Mapping[str, Mapping[str, Any]] | None = None,
    references: Mapping[str, ObjectReferences] | None = None,
) -> dict[str, list[str]]:
    """Build each spec in a scratch copy of the project (with the project files a graph kind's spec names);
    report validate problems and inexact fields. essences: the live essences of graph-kind objects, by id;
    references: what the other live objects refer to (LiveObject.references), by id."""
    from orchestrator.backends import kind_mappings, mapping_for

    primary = mapping_for(selection.target.backend)
    mappings = kind_mappings(selection.target.backend)
    notes: dict[str, list[str]] = {}
    project = selection.project
    with tempfile.TemporaryDirectory(prefix="orchestrator-import-") as scratch:
        root = Path(scratch)
        mirror = dataclasses.replace(
            project,
            root=root,
            specs_dir=root / _relative(project, project.specs_dir),
            templates_dir=root / _relative(project, project.templates_dir),
        )
        mirror.specs_dir.mkdir(parents=True, exist_ok=True)
        mirror.templates_dir.mkdir(parents=True, exist_ok=True)
        for item in imports:  # the scratch copy is a private temp folder, written through the same gate
            for planned in item.files:
                _create(
                    root,
                    planned.path,
                    planned.data if planned.data is not None else planned.text,
                    exclusive=False,
                )
            _mirror_sources(project.root, root, item)
        builder = Builder(mirror, selection.environment, selection.target, today=today())
        from orchestrator.app import importing_kinds as other
        from orchestrator.app.importing_kinds import ORDER, verify_kinds

        others = [
            (item, raw) for item, raw in zip(imports, raws, strict=True) if item.data.get("kind") in ORDER
        ]
        notes.update(verify_kinds([i for i, _ in others], [r for _, r in others], builder, root, names or {}))
        for item, raw in zip(imports, raws, strict=True):
            if item.data.get("kind") in ORDER:
                continue
            found = notes.setdefault(item.object_id, [])
            spec = other.build_noted(builder, root, item, found)
            if spec is None:
                continue
            mapping = mappings[item.kind] if item.kind else primary
            want, have = other.credentials_named(
                mapping.desired_essence(spec),
                (essences or {}).get(item.object_id)
                or mapping.live_essence(raw, None, (references or {}).get(item.object_id)),
                found,
            )
            for key in sorted(set(want) | set(have)):
                if key not in mapping.write_only and want.get(key) != have.get(key):
                    found.append(f"the round trip is not exact: apply will change `{key}`")
    return notes


MAX_MIRRORED_BYTES = 64 * 1024 * 1024


def _mirror_sources(source: Path, mirror: Path, item: ImportedSpec) -> None:
    """Copy the project files a spec's `files` name into the scratch copy (read through the read gate: only
    files inside the project, never a private folder)."""
    folder = posixpath.dirname(item.spec_path)
    inside = source.resolve()
    for entry in item.data.get("files") or ():
        relative = posixpath.normpath(posixpath.join(folder, str(entry.get("from") or "")))
        if relative.startswith(("/", "../")) or relative in ("..", "."):
            continue
        try:
            data = read_confined(
                inside / relative, inside, limit=MAX_MIRRORED_BYTES, what="an environment file"
            )
            _create(mirror, relative, data, exclusive=False)
        except (OSError, Refused, WriteRefused):
            continue  # the build in the scratch copy reports the file as missing


def _fetch(live: Live, object_id: str, objects: dict[str, LiveObject]) -> bool:
    """Look an id up directly (lists can lag); True when found."""
    from orchestrator.engine.applying import describe_error

    try:
        found = live.client.retrieve(object_id)
    except Exception as exc:
        import openai

        if isinstance(exc, openai.BadRequestError | openai.NotFoundError):
            return False
        raise OrchestratorError(f"cannot read {object_id}: {describe_error(exc)}") from None
    if found is None:
        return False
    objects[found.id] = found
    return True


def _existing_specs(selection: Selection) -> list[tuple[str, dict[str, Any]]]:
    """(file, data) of every spec file, loaded leniently: import must work even beside a broken spec."""
    result: list[tuple[str, dict[str, Any]]] = []
    for path in discover_spec_files(selection.project):
        try:  # the project's bounded, confined loader: a spec in a pull request may be hostile
            data = load_yaml_file(path).data
        except LoadError:
            data = None
        result.append((selection.project.display(path), data if isinstance(data, dict) else {}))
    return result


def _name_of(path: str, data: Mapping[str, Any]) -> str:
    name = data.get("name")
    return name if isinstance(name, str) else Path(path).stem


def _layout(selection: Selection) -> Layout:
    project = selection.project
    return Layout(
        specs=_relative(project, project.specs_dir),
        templates=_relative(project, project.templates_dir),
        schemas="schemas",
    )


def _relative(project: Project, path: Path) -> str:
    return path.resolve().relative_to(project.root).as_posix()


TAKEN = "\0(not a file)"  # a path that exists but cannot be read as a file: never free, never equal


def _reader(root: Path) -> ReadFile:
    """The text at a project path for the claims (None when free), read through the read gate: a link out
    of the project counts as taken, and is never read."""
    inside = root.resolve()

    def read(relative: str) -> str | None:
        path = root / relative
        if not (path.exists() or path.is_symlink()):
            return None
        try:
            return read_confined(path, inside, limit=MAX_MIRRORED_BYTES, what="a file").decode(
                "utf-8", "replace"
            )
        except (OSError, Refused):
            return TAKEN

    return read


def _create(root: Path, relative: str, text: str | bytes, *, exclusive: bool) -> None:
    """Through the write gate: inside root, never through a link; bytes, so newlines are kept exactly."""
    create_file(
        root, relative, text if isinstance(text, bytes) else text.encode("utf-8"), exclusive=exclusive
    )


def write_imports(root: Path, imports: Sequence[ImportedSpec]) -> None:
    """Create every new file of the imports; never overwrite a file that appeared meanwhile. Every path is
    checked before the first file is written, so a refused one (a link on the way) leaves nothing half-done."""
    planned_files = list(
        {planned.path: planned for item in imports for planned in item.files if planned.write}.values()
    )  # two objects may share one identical side file
    for planned in planned_files:
        try:
            check_writable(root, planned.path)
        except FileExistsError:
            raise OrchestratorError(
                f"{planned.path} already exists; it was not overwritten (run the import again)"
            ) from None
        except WriteRefused as exc:
            raise OrchestratorError(f"cannot write {planned.path}: {exc}. Nothing was written") from None
    for planned in planned_files:
        try:
            _create(
                root, planned.path, planned.data if planned.data is not None else planned.text, exclusive=True
            )
        except FileExistsError:
            raise OrchestratorError(
                f"{planned.path} appeared while importing; it was not overwritten (run the import again)"
            ) from None
