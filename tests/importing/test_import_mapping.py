"""The pure importer: live wire objects -> spec files whose desired essence equals the live essence."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchestrator.backends import mapping_for
from orchestrator.engine.importing import (
    INLINE_INSTRUCTIONS_MAX,
    Claims,
    Layout,
    Verdict,
    choose_name,
    classify,
    import_object,
    slugify,
)
from tests.importing.roundtrip import build_spec, essences, write_planned
from tests.support.projects import make_project

REASONING_NOTE = "reasoning_effort is not readable"

TEXTS = [
    "",
    "You are terse.",
    "Braces stay: {{ name }} {% if x %}{# note #}",
    "Ends with {% endraw %} and {% raw %} too",
    "Ünïcödé: ñ, 日本語, emoji 🎉, RTL שלום",
    "Two lines\nof text\n",
    "Windows\r\nline endings\r\n",
    "Trailing blank lines\n\n\n",
    "  leading and trailing spaces  ",
    "x" * (INLINE_INSTRUCTIONS_MAX + 1),
    "# A heading\n\n- {{ not a var }}\n- {%- raw -%}\n" + "long line " * 80 + "\n",
    "yes",
    "null",
    "- a list-looking string",
    "key: value-looking string",
    "\u2028separator\u2029and\x85next line",
]

SCHEMAS = [
    {"type": "object", "properties": {}},
    {
        "type": "object",
        "properties": {"city": {"type": "string", "description": "Ciudad, 都市"}},
        "required": ["city"],
    },
    {
        "type": "object",
        "properties": {
            "on": {"type": "boolean"},
            "yes": {"type": "integer", "minimum": 1.5},
            "null": {"type": ["string", "null"]},
        },
        "required": ["on", "yes", "null"],
        "additionalProperties": False,
    },
    {
        "type": "object",
        "properties": {f"field_{i}": {"type": "string", "enum": ["a", "b", "c"]} for i in range(12)},
        "required": [f"field_{i}" for i in range(12)],
        "additionalProperties": False,
    },
]


def random_assistant(rng: random.Random, index: int) -> dict[str, Any]:
    tools: list[dict[str, Any]] = []
    if rng.random() < 0.5:
        tools.append({"type": "code_interpreter"})
    if rng.random() < 0.5:
        options: dict[str, Any] = {
            "max_num_results": rng.choice([20, 5, 1, 50]),
            "ranking_options": {
                "ranker": rng.choice(["auto", "default_2024_08_21"]),
                "score_threshold": rng.choice([0.0, 0.25, 1.0]),
            },
        }
        tools.append({"type": "file_search", "file_search": options})
    for number in range(rng.randint(0, 3)):
        schema = rng.choice(SCHEMAS)
        strict = schema.get("additionalProperties") is False and rng.random() < 0.7
        tools.append(
            {
                "type": "function",
                "function": {
                    "name": f"fn_{number}",
                    "description": rng.choice([None, "", "Does a thing"]),
                    "parameters": rng.choice([schema, None]) if not strict else schema,
                    "strict": strict,
                },
            }
        )
    rng.shuffle(tools)
    response_format: Any = rng.choice(
        [
            "auto",
            {"type": "text"},
            {"type": "json_object"},
            {
                "type": "json_schema",
                "json_schema": {"name": "answer", "description": None, "strict": None, "schema": SCHEMAS[1]},
            },
            {
                "type": "json_schema",
                "json_schema": {
                    "name": "strict_answer",
                    "description": "An answer",
                    "strict": True,
                    "schema": SCHEMAS[2],
                },
            },
        ]
    )
    return {
        "id": f"asst_{index:04d}",
        "object": "assistant",
        "created_at": 1_790_000_000 + index,
        "name": rng.choice(["Helper", "Spanish Tutor", "Ünïcödé helper", "日本語"]),
        "description": rng.choice([None, "", "Helps with things"]),
        "model": rng.choice(["gpt-5.4", "gpt-4.1"]),
        "instructions": rng.choice([*TEXTS, None]),
        "tools": tools,
        "tool_resources": {},
        "metadata": rng.choice([{}, {"team": "lingua", "cost_center": "42"}, {"ünï": "çödé"}]),
        "temperature": rng.choice([1.0, 0.2, 1.7, None]),
        "top_p": rng.choice([1.0, 0.5, None]),
        "response_format": response_format,
    }


def random_agent(rng: random.Random, index: int) -> dict[str, Any]:
    tools: list[dict[str, Any]] = []
    if rng.random() < 0.6:
        tools.append(
            {
                "type": "web_search",
                "allowed_domains": rng.choice([None, ["example.com", "docs.rs"]]),
                "context_size": rng.choice(["low", "medium", "high"]),
                "location": None,
                "mode": rng.choice(["live", "cached", "disabled"]),
            }
        )
    for label in rng.sample(["docs", "crm", "tickets"], rng.randint(0, 2)):
        tools.append(
            {
                "type": "mcp",
                "server_label": label,
                "allowed_tools": rng.choice([None, ["search"], []]),
                "connection_origin": "service",
                "credential_id": None,
                "request_metadata": {},
                "required": rng.choice([True, False]),
                "transport": {
                    "type": "http",
                    "server_url": f"https://{label}.example.com/mcp",
                    "headers": rng.choice([{}, {"X-Team": "lingua"}]),
                },
            }
        )
    for number in range(rng.randint(0, 3)):
        tools.append(
            {
                "type": "function",
                "name": f"tool_{number}",
                "description": rng.choice([None, "Looks up"]),
                "parameters": rng.choice([None, *SCHEMAS]),
                "strict": None,
                "defer_loading": False,
            }
        )
    text_format = rng.choice(
        [{"type": "text"}, {"type": "json_schema", "name": "reply", "schema": SCHEMAS[1]}]
    )
    return {
        "id": f"agent_{index:04d}",
        "object": "agent",
        "created_at": 1_790_000_000 + index,
        "updated_at": 1_790_000_000 + index,
        "model": "gpt-5.4",
        "name": rng.choice(["Support agent", "Soporte técnico", None]),
        "instructions": rng.choice([*TEXTS, None]),
        "metadata": rng.choice([{}, {"team": "support"}]),
        "tools": tools,
        "reasoning": {"effort": rng.choice([None, "low", "high"]), "summary": None},
        "text": {"format": text_format, "verbosity": rng.choice(["low", "medium", "high"])},
        "service_tier": rng.choice(["auto", "flex", "priority"]),
        "compaction": {"async": False},
        "multi_agent": {"enabled": False, "max_concurrent_subagents": None},
        "experimental": {"time_awareness": False},
    }


def import_all(root: Path, raws: list[dict[str, Any]], backend: str) -> list[Any]:
    claims = Claims(
        lambda path: (root / path).read_text(encoding="utf-8") if (root / path).exists() else None
    )
    layout = Layout()
    imported = []
    for raw in raws:
        name = choose_name(raw, "display", claims, layout)
        imported.append(
            import_object(raw, mapping=mapping_for(backend), name=name, claims=claims, layout=layout)
        )
    return imported


@pytest.mark.parametrize(("backend", "factory"), [("assistants", random_assistant), ("agents", random_agent)])
def test_imported_specs_build_to_the_live_essence_for_many_objects(
    tmp_path: Path, backend: str, factory: Callable[[random.Random, int], dict[str, Any]]
) -> None:
    rng = random.Random(20261115)
    raws = [factory(rng, index) for index in range(60)]
    root = make_project(tmp_path / "project", backend=backend)
    imported = import_all(root, raws, backend)
    assert len({item.name for item in imported}) == len(raws)
    for item, raw in zip(imported, raws, strict=True):
        want, have = essences(root, item, raw, backend)
        if not raw.get("name"):  # a nameless object gets its spec name: said in a warning, shown by diff
            assert any("has no name" in w for w in item.warnings)
            have["name"] = item.name
        assert want == have, item.files[0].text
        assert [w for w in item.warnings if REASONING_NOTE not in w and "has no name" not in w] == []


def test_long_or_multiline_instructions_go_verbatim_to_a_file_under_templates(tmp_path: Path) -> None:
    text = "Line {{ one }}\r\n{% endraw %}{# two #}\n\n"
    raw = random_assistant(random.Random(1), 1) | {"instructions": text, "name": "Tutor"}
    root = make_project(tmp_path / "project")
    [item] = import_all(root, [raw], "assistants")
    assert item.data["instructions"] == {"file": "imported/tutor.md"}
    assert [f.path for f in item.files] == ["specs/tutor.yaml", "templates/imported/tutor.md"]
    assert item.files[1].text == text
    write_planned(root, item)
    spec, _ = build_spec(root, item)
    assert spec is not None and spec.instructions == text


def test_short_instructions_stay_a_literal_yaml_string(tmp_path: Path) -> None:
    raw = random_assistant(random.Random(2), 2) | {"instructions": "Use {{ braces }} and {% tags %} freely"}
    [item] = import_all(make_project(tmp_path / "project"), [raw], "assistants")
    assert item.data["instructions"] == "Use {{ braces }} and {% tags %} freely"
    assert len(item.files) == 1


def test_large_parameter_schemas_go_to_schemas_functions_and_small_ones_stay_inline(tmp_path: Path) -> None:
    raw = {
        "id": "asst_1",
        "name": "Filer",
        "model": "gpt-5.4",
        "instructions": "x",
        "metadata": {},
        "tools": [
            {"type": "function", "function": {"name": "big", "parameters": SCHEMAS[3], "strict": True}},
            {"type": "function", "function": {"name": "small", "parameters": SCHEMAS[1]}},
        ],
    }
    root = make_project(tmp_path / "project")
    [item] = import_all(root, [raw], "assistants")
    big, small = item.data["functions"]
    assert big == {"name": "big", "parameters": "../schemas/functions/big.json", "strict": True}
    assert small["parameters"] == SCHEMAS[1]
    assert json.loads(item.files[1].text) == SCHEMAS[3]
    want, have = essences(root, item, raw, "assistants")
    assert want == have


def test_a_function_schema_file_with_other_content_is_never_overwritten(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    existing = root / "schemas" / "functions" / "big.json"
    existing.parent.mkdir(parents=True)
    existing.write_text('{"type": "object"}\n', encoding="utf-8")
    raw = {
        "id": "asst_1",
        "name": "Filer",
        "model": "gpt-5.4",
        "instructions": "x",
        "tools": [
            {"type": "function", "function": {"name": "big", "parameters": SCHEMAS[3], "strict": True}}
        ],
    }
    [item] = import_all(root, [raw], "assistants")
    assert item.files[1].path == "schemas/functions/filer-big.json"


def test_an_identical_existing_file_is_referenced_not_rewritten(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    text = "Same text\n" * 60
    (root / "templates" / "imported").mkdir(parents=True)
    (root / "templates" / "imported" / "same.md").write_text(text, encoding="utf-8")
    raw = {"id": "asst_1", "name": "Same", "model": "gpt-5.4", "instructions": text}
    [item] = import_all(root, [raw], "assistants")
    assert item.files[1].path == "templates/imported/same.md" and not item.files[1].write


def test_two_objects_with_the_same_display_name_get_distinct_spec_names(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    raws = [
        {"id": f"asst_{i}", "name": "Spanish Tutor", "model": "gpt-5.4", "instructions": "x"}
        for i in range(3)
    ]
    assert [item.name for item in import_all(root, raws, "assistants")] == [
        "spanish-tutor",
        "spanish-tutor-2",
        "spanish-tutor-3",
    ]


def test_existing_spec_files_and_names_are_never_reused() -> None:
    on_disk = {"specs/tutor.yml": "x"}
    claims = Claims(on_disk.get, names={"tutor-2"})
    assert choose_name({"id": "asst_1", "name": "Tutor"}, "display", claims, Layout()) == "tutor-3"


@pytest.mark.parametrize(
    ("display", "expected"),
    [
        ("Spanish Language Tutor", "spanish-language-tutor"),
        ("  Ünïcödé — Helper!! ", "unicode-helper"),
        ("日本語", "asst-abc123xyz"),
        (None, "asst-abc123xyz"),
        ("A" * 80, "a" * 64),
    ],
)
def test_spec_names_are_slugified_display_names_or_the_id(display: str | None, expected: str) -> None:
    claims = Claims(lambda _: None)
    assert choose_name({"id": "asst_abc123XYZ", "name": display}, "display", claims, Layout()) == expected


def test_name_from_id_uses_the_id() -> None:
    claims = Claims(lambda _: None)
    assert choose_name({"id": "asst_AB_12", "name": "Tutor"}, "id", claims, Layout()) == "asst-ab-12"


def test_a_numbered_name_stays_within_64_characters() -> None:
    claims = Claims(lambda _: None, names={"b" * 64})
    name = choose_name({"id": "asst_1", "name": "B" * 70}, "display", claims, Layout())
    assert name == "b" * 62 + "-2" and len(name) == 64


def test_slugify_never_returns_an_invalid_name() -> None:
    for text in ["--", "a--b", "-x-", "Ω", "x" * 70 + "-y"]:
        slug = slugify(text)
        assert slug == "" or (slug[0] != "-" and slug[-1] != "-" and len(slug) <= 64 and "--" not in slug)


@pytest.mark.parametrize(
    ("owner", "verdict"),
    [
        (None, Verdict.IMPORT),
        ("test-project/dev/tutor", Verdict.MANAGED),
        ("other-project/dev/tutor", Verdict.FOREIGN),
        ("test-project/prod/tutor", Verdict.FOREIGN),
    ],
)
def test_objects_are_classified_by_their_owner(owner: str | None, verdict: Verdict) -> None:
    raw = {"id": "asst_1", "metadata": {"orchestrator.owner": owner} if owner else {}}
    assert classify(raw, project="test-project", environment="dev").verdict is verdict


def test_an_object_named_by_an_existing_specs_adopt_id_is_pending() -> None:
    found = classify(
        {"id": "asst_1", "metadata": {}},
        project="p",
        environment="dev",
        adopt_ids={"asst_1": "specs/tutor.yaml"},
    )
    assert found.verdict is Verdict.PENDING and "specs/tutor.yaml" in found.message


def test_foreign_refusal_names_the_owner_and_why() -> None:
    found = classify(
        {"id": "asst_1", "metadata": {"orchestrator.owner": "test-project/prod/tutor"}},
        project="test-project",
        environment="dev",
    )
    assert "another environment (test-project/prod/tutor)" in found.message


def test_a_vector_store_and_code_files_are_imported_as_references(tmp_path: Path) -> None:
    raw = {
        "id": "asst_1",
        "name": "Reader",
        "model": "gpt-5.4",
        "instructions": "x",
        "tools": [{"type": "file_search"}, {"type": "code_interpreter"}],
        "tool_resources": {
            "file_search": {"vector_store_ids": ["vs_abc"]},
            "code_interpreter": {"file_ids": ["file-1", "file-2"]},
        },
    }
    [item] = import_all(make_project(tmp_path / "project"), [raw], "assistants")
    assert item.data["knowledge"] == {"vector_store_id": "vs_abc"}
    assert item.data["code_files"] == [{"file_id": "file-1"}, {"file_id": "file-2"}]
    assert not any("code" in w for w in item.warnings)


def test_what_a_spec_cannot_express_is_reported_per_object(tmp_path: Path) -> None:
    raw = {
        "id": "asst_1",
        "name": None,
        "model": "gpt-5.4",
        "instructions": "x",
        "tools": [{"type": "retrieval"}],
        "tool_resources": {"file_search": {"vector_store_ids": ["vs_1"]}},
        "metadata": {"orchestrator.extra": "1", **{f"k{i}": "v" for i in range(15)}},
    }
    [item] = import_all(make_project(tmp_path / "project"), [raw], "assistants")
    text = "\n".join(item.warnings)
    for expected in [
        "has no name",
        "`retrieval` tool",
        "without the file_search tool",
        "`orchestrator.extra`",
        "metadata key `k14`",
        REASONING_NOTE,
    ]:
        assert expected in text


def test_agent_features_without_a_spec_form_are_reported(tmp_path: Path) -> None:
    raw = {
        "id": "agent_1",
        "name": "Ops",
        "model": "gpt-5.4",
        "instructions": "x",
        "tools": [
            {"type": "mcp", "server_label": "local", "transport": {"type": "stdio", "command": "srv"}},
            {
                "type": "mcp",
                "server_label": "crm",
                "credential_id": "cred_1",
                "transport": {
                    "type": "http",
                    "server_url": "https://crm.example.com",
                    "headers": {"Authorization": "Bearer sk-secret", "X-Team": "ops"},
                },
            },
            {"type": "web_search", "location": {"country": "ES"}},
            {"type": "computer_use"},
            {"type": "function", "name": "f", "strict": True, "defer_loading": True},
        ],
        "text": {"format": {"type": "json_object"}, "verbosity": "medium"},
        "reasoning": {"effort": None, "summary": "auto"},
        "multi_agent": {"enabled": True},
    }
    [item] = import_all(make_project(tmp_path / "project", backend="agents"), [raw], "agents")
    text = "\n".join(item.warnings)
    for expected in [
        "`stdio` transport",
        "Authorization",
        "credential_id",
        "is strict",
        "text format `json_object`",
    ]:
        assert expected in text
    for expressed in ("location", "computer_use", "defer_loading", "summary", "multi_agent"):
        assert expressed not in text
    assert "sk-secret" not in item.files[0].text
    assert item.data["tools"][0]["headers"] == {"X-Team": "ops"}


def test_the_spec_file_starts_with_the_schema_modeline_and_names_its_origin(tmp_path: Path) -> None:
    claims = Claims(lambda _: None)
    raw = {"id": "asst_1", "name": "Tutor", "model": "gpt-5.4", "instructions": "x"}
    item = import_object(
        raw,
        mapping=mapping_for("assistants"),
        name="tutor",
        claims=claims,
        schema_path="../schemas/spec.schema.json",
    )
    first, second = item.files[0].text.splitlines()[:2]
    assert first == "# yaml-language-server: $schema=../schemas/spec.schema.json"
    assert "asst_1" in second
    assert item.data["adopt_id"] == "asst_1"


def test_every_agent_field_a_spec_can_hold_is_imported_and_builds_to_the_live_essence(tmp_path: Path) -> None:
    raw = random_agent(random.Random(3), 3) | {
        "reasoning": {"effort": "low", "summary": "detailed"},
        "compaction": {"async": True},
        "multi_agent": {"enabled": True, "max_concurrent_subagents": 4},
        "experimental": {"time_awareness": True},
        "tools": [
            {
                "type": "function",
                "name": "f",
                "description": "F",
                "parameters": SCHEMAS[1],
                "defer_loading": True,
                "async": True,
            },
            {"type": "tool_search"},
            {"type": "programmatic_tool_calling", "enabled": False},
            {"type": "computer_use", "include_screenshots": True},
            {"type": "automations"},
            {
                "type": "web_search",
                "allowed_domains": None,
                "context_size": "medium",
                "mode": "live",
                "location": {"city": "Madrid", "country": "ES", "region": None, "timezone": None},
            },
            {
                "type": "mcp",
                "server_label": "local",
                "allowed_tools": None,
                "connection_origin": "service",
                "credential_id": None,
                "request_metadata": {},
                "required": True,
                "transport": {"type": "stdio", "command": "srv", "cwd": "/w", "args": ["-q"], "env_vars": []},
            },
        ],
    }
    root = make_project(tmp_path / "project", backend="agents")
    [item] = import_all(root, [raw], "agents")
    assert [w for w in item.warnings if REASONING_NOTE not in w] == []
    assert item.data["multi_agent"] == {"enabled": True, "max_concurrent_subagents": 4}
    want, have = essences(root, item, raw, "agents")
    assert want == have, item.files[0].text
