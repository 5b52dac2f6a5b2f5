"""Behaviour tests (`kind: test`): read, schema-check and diagnose one test file; never deployed.

`read_test(doc)` returns a frozen BehaviourTest (or None with the diagnostics saying why). The names a
test uses (the spec under test, the functions in `tool_called`, `not_tool_called`, `tool` and a model
script's `call`) are kept with their positions, so the engine, which knows the project's specs, reports
an unknown one at its line (engine.building).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.diagnostics import Diagnostic
from orchestrator.spec.loading import Document

KIND = "test"
# an expectation names exactly one of these; the others are options of one of them
CHECKS = (
    "tool_called",
    "not_tool_called",
    "tool_output",
    "reply",
    "citation",
    "max_tokens",
    "max_cost_usd",
    "max_latency_s",
    "max_tool_rounds",
    "graded",
)
OPTIONS = {
    "arguments": "tool_called",
    "arguments_schema": "tool_called",
    "count": "tool_called",
    "order": "tool_called",
    "tool": "tool_output",
}
STEP_KINDS = ("call", "parallel", "reply", "fail", "search")


@dataclass(frozen=True, slots=True)
class ScriptedCall:
    name: str
    arguments: Mapping[str, Any]
    pointer: str


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a scripted model: calls (several = parallel calls), a reply, or a failure."""

    calls: tuple[ScriptedCall, ...] = ()
    reply: str | None = None
    fail: str | None = None
    search: str | None = None  # file_search over the spec's knowledge: the reply is the best chunk, cited


@dataclass(frozen=True, slots=True)
class Expectation:
    check: str  # one of CHECKS
    value: Any
    options: Mapping[str, Any]
    pointer: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Turn:
    user: str
    script: tuple[Step, ...] | None  # None: no `model:` (the turn needs a real model)
    expect: tuple[Expectation, ...]


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    turns: tuple[Turn, ...]
    repeat: int | None = None
    pass_at: int | None = None
    expect_failure: bool = False
    line: int | None = None

    @property
    def scripted(self) -> bool:
        return all(turn.script is not None for turn in self.turns)

    @property
    def graded(self) -> bool:
        return any(e.check == "graded" for turn in self.turns for e in turn.expect)

    @property
    def cites(self) -> bool:
        return any(e.check == "citation" for turn in self.turns for e in turn.expect)


@dataclass(frozen=True, slots=True)
class NameUse:
    """A name the test refers to, where it stands (for a diagnostic when the project has no such thing)."""

    name: str
    pointer: str
    line: int | None
    column: int | None


@dataclass(frozen=True, slots=True)
class GraderConfig:
    """The test file's `grader:`: the model judging `graded` rubrics and its prompt (None: the defaults)."""

    model: str | None = None
    prompt: str | None = None


@dataclass(frozen=True, slots=True)
class BehaviourTest:
    name: str
    spec: str
    vars: Mapping[str, Any]
    cases: tuple[Case, ...]
    path: Path
    spec_use: NameUse
    tool_uses: tuple[NameUse, ...] = ()
    kind: str = KIND
    file: str = ""
    name_line: int | None = None
    name_column: int | None = None
    adopt_id: str | None = None
    dependencies: frozenset[Path] = field(default_factory=frozenset)
    grader: GraderConfig = GraderConfig()


def read_test(doc: Document) -> tuple[BehaviourTest | None, list[Diagnostic]]:
    """The test in doc, or None with the diagnostics saying why (schema first, then what a schema cannot say)."""
    from orchestrator.spec.schema_errors import schema_diagnostics
    from orchestrator.spec.schemas import validator_for

    found = schema_diagnostics(doc, validator_for(KIND))
    if found:
        return None, found
    data = doc.data
    uses: list[NameUse] = []
    cases: list[Case] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(data["cases"]):
        where = f"/cases/{index}"
        if raw["name"] in seen:
            found.append(
                doc.error_at(
                    f"{where}/name",
                    f"case `{raw['name']}` is named twice in this test "
                    f"(first as case {seen[raw['name']] + 1})",
                )
            )
        seen.setdefault(raw["name"], index)
        repeat, pass_at = raw.get("repeat"), raw.get("pass_at")
        if pass_at is not None and pass_at > (repeat or 1):
            found.append(
                doc.error_at(
                    f"{where}/pass_at",
                    f"pass_at {pass_at} is more than the {repeat or 1} "
                    f"run{'s' if (repeat or 1) != 1 else ''} of the case",
                    hint="set `repeat` to at least pass_at",
                )
            )
        turns = tuple(
            _turn(doc, f"{where}/turns/{i}", turn, uses, found) for i, turn in enumerate(raw["turns"])
        )
        position = doc.position(f"{where}/name")
        cases.append(
            Case(
                raw["name"],
                turns,
                repeat,
                pass_at,
                bool(raw.get("expect_failure", False)),
                position.line if position else None,
            )
        )
    if any(d.severity == "error" for d in found):
        return None, found
    name_at, spec_at = doc.position("/name"), doc.position("/spec")
    test = BehaviourTest(
        data["name"],
        data["spec"],
        dict(data.get("vars") or {}),
        tuple(cases),
        doc.path,
        NameUse(
            data["spec"], "/spec", spec_at.line if spec_at else None, spec_at.column if spec_at else None
        ),
        tuple(uses),
        file=doc.display,
        name_line=name_at.line if name_at else None,
        name_column=name_at.column if name_at else None,
        dependencies=frozenset({doc.path.resolve()}),
        grader=GraderConfig(
            (data.get("grader") or {}).get("model"), (data.get("grader") or {}).get("prompt")
        ),
    )
    return test, found


def _use(doc: Document, name: str, pointer: str, uses: list[NameUse]) -> None:
    where = doc.position(pointer)
    uses.append(NameUse(name, pointer, where.line if where else None, where.column if where else None))


def _turn(
    doc: Document, where: str, raw: Mapping[str, Any], uses: list[NameUse], found: list[Diagnostic]
) -> Turn:
    script: tuple[Step, ...] | None = None
    if "model" in raw:
        steps = []
        last = len(raw["model"]) - 1
        for index, item in enumerate(raw["model"]):
            pointer = f"{where}/model/{index}"
            kinds = [k for k in STEP_KINDS if k in item]
            if len(kinds) != 1:
                what = "none" if not kinds else " and ".join(f"`{k}`" for k in kinds)
                found.append(
                    doc.error_at(
                        pointer,
                        f"a model step does one thing: `call`, `parallel`, `reply`, "
                        f"`search` or `fail` (this one has {what})",
                        hint="put parallel calls in one `parallel:` list; a new step for each round",
                    )
                )
                continue
            if "arguments" in item and kinds[0] != "call":
                found.append(
                    doc.error_at(f"{pointer}/arguments", "`arguments` belongs to a `call` step", key=True)
                )
                continue
            if kinds[0] in ("reply", "fail", "search") and index != last:
                found.append(
                    doc.error_at(
                        f"{pointer}/{kinds[0]}",
                        f"`{kinds[0]}` ends the turn: it must be the last step of the model script",
                        key=True,
                    )
                )
            if kinds[0] == "call":
                _use(doc, item["call"], f"{pointer}/call", uses)
                steps.append(
                    Step(
                        calls=(
                            ScriptedCall(
                                item["call"], dict(item.get("arguments") or {}), f"{pointer}/arguments"
                            ),
                        )
                    )
                )
            elif kinds[0] == "parallel":
                calls = []
                for i, call in enumerate(item["parallel"]):
                    _use(doc, call["call"], f"{pointer}/parallel/{i}/call", uses)
                    calls.append(
                        ScriptedCall(
                            call["call"],
                            dict(call.get("arguments") or {}),
                            f"{pointer}/parallel/{i}/arguments",
                        )
                    )
                steps.append(Step(calls=tuple(calls)))
            elif kinds[0] == "reply":
                steps.append(Step(reply=item["reply"]))
            elif kinds[0] == "search":
                steps.append(Step(search=item["search"]))
            else:
                steps.append(Step(fail=item["fail"]))
        script = tuple(steps)
    expectations = []
    for index, item in enumerate(raw.get("expect") or []):
        expectation = _expectation(doc, f"{where}/expect/{index}", item, uses, found)
        if expectation is not None:
            expectations.append(expectation)
    return Turn(raw["user"], script, tuple(expectations))


def _expectation(
    doc: Document, pointer: str, item: Mapping[str, Any], uses: list[NameUse], found: list[Diagnostic]
) -> Expectation | None:
    checks = [k for k in CHECKS if k in item]
    if len(checks) != 1:
        what = "none" if not checks else " and ".join(f"`{k}`" for k in checks)
        found.append(
            doc.error_at(
                pointer,
                f"an expectation checks one thing (this one has {what})",
                hint="one of " + ", ".join(CHECKS) + "; write each as its own list item",
            )
        )
        return None
    check = checks[0]
    for option, owner in OPTIONS.items():
        if option in item and owner != check:
            found.append(
                doc.error_at(
                    f"{pointer}/{option}", f"`{option}` is an option of `{owner}`, not of `{check}`", key=True
                )
            )
    if "arguments" in item and "arguments_schema" in item:
        found.append(
            doc.error_at(
                f"{pointer}/arguments_schema",
                "give `arguments` (a JSON subset) or `arguments_schema` (a JSON Schema), not both",
                key=True,
            )
        )
    value = item[check]
    if check in ("tool_called", "not_tool_called"):
        _use(doc, value, f"{pointer}/{check}", uses)
    if check == "tool_output" and "tool" in item:
        _use(doc, item["tool"], f"{pointer}/tool", uses)
    for key, schema in (
        ("arguments_schema", item.get("arguments_schema")),
        ("json_schema", value.get("json_schema") if isinstance(value, Mapping) else None),
    ):
        if schema is not None:
            problem = _schema_problem(schema)
            if problem:
                at = f"{pointer}/{key}" if key == "arguments_schema" else f"{pointer}/{check}/json_schema"
                found.append(doc.error_at(at, f"not a valid JSON Schema: {problem}"))
    if isinstance(value, Mapping) and "regex" in value:
        try:
            re.compile(value["regex"])
        except re.error as exc:
            found.append(doc.error_at(f"{pointer}/{check}/regex", f"not a regular expression: {exc}"))
    options = {k: item[k] for k in OPTIONS if k in item}
    where = doc.position(pointer)
    return Expectation(check, value, options, pointer, where.line if where else None)


def _schema_problem(schema: Any) -> str | None:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return exc.message
    return None
