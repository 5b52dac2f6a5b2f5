"""Fuzzing spec documents and templates (issue 14): never a traceback, never a hang, never a live change on failure.

Hypothesis builds spec files (schema-shaped mappings with hostile values, and raw YAML-ish text)
and templates (a small Jinja grammar with loops, filters, operators and huge numbers); the real
CLI validates each, and every run that fails validation is also applied against a served
emulator, which must not change.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from orchestrator.emulator import EmulatorServer
from tests.conftest import TEST_KEY
from tests.support.fuzzing import fuzz_settings
from tests.support.live import snapshot
from tests.support.projects import make_project, run_cli, write

SECONDS = 10.0
SETTINGS = fuzz_settings(60)


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    monkeypatch.setenv("ORCHESTRATOR_TODAY", "2026-11-26")


# -- strategies ------------------------------------------------------------------------------

HUGE = st.sampled_from([0, 1, 3, -1, 255, 10**6, 2**31, 2_000_000_000, 10**100])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    HUGE,
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["", "gpt-5.4", "gpt-4-turbo", "~", "*a", "&a", "!!str"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)

EXPRESSIONS = st.sampled_from(
    [
        "'x'",
        "x",
        "name",
        "company",
        "range(3)",
        "range(100000)",
        "[1, 2, 3]",
        "'x' * 1000",
        "'%5s' % 'y'",
        "undefined_thing",
        "''.__class__",
        "lipsum(2)",
        "namespace(a=1)",
        "{'k': 'v'}",
        "2 ** 64",
        "loop",
    ]
)
FILTERS = st.sampled_from(
    [
        "upper",
        "title",
        "center({n})",
        "indent({n})",
        "format({n})",
        "join(',')",
        "replace('x', 'xx')",
        "list",
        "batch({n})",
        "slice({n})",
        "truncate({n})",
        "wordwrap({n})",
        "tojson({n})",
        "string",
        "length",
        "sum",
        "default('d')",
        "first",
        "unique",
        "sort",
        "reverse",
        "int",
        "round({n})",
        "attr('__class__')",
        "e",
    ]
)


@st.composite
def expressions(draw: Any) -> str:
    expression = draw(EXPRESSIONS)
    for template in draw(st.lists(FILTERS, max_size=3)):
        expression = f"({expression})|" + template.format(n=draw(HUGE))
    operator = draw(st.sampled_from(["", " ~ ", " + ", " * ", " % "]))
    if operator:
        expression = f"({expression}){operator}({draw(EXPRESSIONS)})"
    return expression


@st.composite
def templates(draw: Any, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(
            st.sampled_from(
                ["text", "output", "for", "if", "set", "macro", "include", "broken"]
                if depth < 2
                else ["text", "output", "set"]
            )
        )
        if kind == "text":
            parts.append(draw(st.text(alphabet="ab {}%#-\n", max_size=12)))
        elif kind == "output":
            parts.append("{{ " + draw(expressions()) + " }}")
        elif kind == "for":
            parts.append(f"{{% for x in {draw(expressions())} %}}{draw(templates(depth + 1))}{{% endfor %}}")
        elif kind == "if":
            parts.append(f"{{% if {draw(expressions())} %}}{draw(templates(depth + 1))}{{% endif %}}")
        elif kind == "set":
            parts.append(f"{{% set x = {draw(expressions())} %}}")
        elif kind == "macro":
            parts.append(
                f"{{% macro m(n) %}}{draw(templates(depth + 1))}{{{{ m(n) }}}}{{% endmacro %}}{{{{ m(1) }}}}"
            )
        elif kind == "include":
            parts.append(
                "{% include '"
                + draw(st.sampled_from(["partial.md.j2", "missing.j2", "../x", "/etc/passwd"]))
                + "' %}"
            )
        else:
            parts.append(
                draw(st.sampled_from(["{% for %}", "{{", "{% endif %}", "{{ x|nosuch }}", "{% raw %}"]))
            )
    return "".join(parts)


@st.composite
def spec_documents(draw: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "version": draw(st.sampled_from([1, 1, 1, 2, "1"])),
        "name": draw(st.sampled_from(["fuzz", "fuzz", "Fuzz_Bad", ""]) | st.text(max_size=10)),
        "model": draw(st.sampled_from(["gpt-5.4", "gpt-4.1", "gpt-4-turbo", ""]) | SCALARS),
        "instructions": draw(
            st.one_of(
                st.text(max_size=40),
                st.builds(lambda t: {"inline": t}, templates()),
                st.just({"template": "main.md.j2"}),
                st.just({"file": "main.md.j2"}),
                VALUES,
            )
        ),
    }
    optional = {
        "temperature": SCALARS,
        "top_p": SCALARS,
        "tools": st.lists(
            st.sampled_from(["code_interpreter", "file_search", "web_search", "nosuch"]) | VALUES, max_size=3
        ),
        "metadata": st.dictionaries(st.text(max_size=70), SCALARS, max_size=17),
        "functions": st.lists(
            st.fixed_dictionaries(
                {
                    "name": st.sampled_from(["f", "g", "bad name"]),
                    "parameters": st.sampled_from(["p.json", "../../etc/x.json", "missing.json"]) | VALUES,
                }
            ),
            max_size=2,
        ),
        "knowledge": st.fixed_dictionaries(
            {"files": st.lists(st.sampled_from(["kb/*.md", "**", "../**", "/etc/*"]), max_size=2)}
        ),
        "code_files": st.lists(st.sampled_from(["data.csv", "../*", "**/*"]), max_size=2),
        "response_format": st.sampled_from(["auto", "json_object", "text"]) | VALUES,
        "extra": VALUES,
    }
    for key in draw(st.lists(st.sampled_from(sorted(optional)), unique=True, max_size=4)):
        document[key] = draw(optional[key])
    return document


RAW_YAML = st.text(alphabet="ab:-[]{}&*!|>'\"#,\n \t1.%@`?", max_size=200).map(
    lambda text: "version: 1\nname: fuzz\nmodel: gpt-5.4\n" + text
)


# -- the property ----------------------------------------------------------------------------


def _check(served: EmulatorServer, sdk: openai.OpenAI, spec_text: str, template: str) -> None:
    root = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        make_project(root, base_url=served.base_url, project="fuzz")
        write(root / "specs" / "fuzz.yaml", spec_text)
        write(root / "templates" / "main.md.j2", template)
        write(root / "templates" / "partial.md.j2", "Partial {{ company }}.")
        write(root / "specs" / "p.json", '{"type": "object", "properties": {}}')
        write(root / "specs" / "kb" / "a.md", "A")
        write(root / "specs" / "data.csv", "a,b\n")
        started = time.monotonic()
        result = run_cli(["-C", str(root), "validate"])
        assert time.monotonic() - started < SECONDS, "validate took too long"
        assert result.exit_code in (0, 1), result.output
        for marker in ("Traceback", "This is a bug"):
            assert marker not in result.output, result.output
        assert not result.stderr.startswith("error: unexpected "), result.output  # the crash handler's line
        if result.exit_code == 1:
            before = snapshot(sdk)
            applied = run_cli(["-C", str(root), "apply", "--yes"])
            assert applied.exit_code == 1, applied.output
            assert "Traceback" not in applied.output and "This is a bug" not in applied.output
            assert snapshot(sdk) == before, "a run that failed validation changed live objects"
        assert TEST_KEY not in result.output
    finally:
        shutil.rmtree(root, ignore_errors=True)


@SETTINGS
@given(document=spec_documents(), template=templates())
def test_fuzzed_spec_documents_never_crash_hang_or_change_live_state(
    served_once: EmulatorServer, sdk_once: openai.OpenAI, document: dict[str, Any], template: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        _check(served_once, sdk_once, yaml.safe_dump(document, allow_unicode=True), template)


@SETTINGS
@given(text=RAW_YAML)
def test_fuzzed_yaml_text_never_crashes_or_hangs(
    served_once: EmulatorServer, sdk_once: openai.OpenAI, text: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        _check(served_once, sdk_once, text, "Hello.")


@SETTINGS
@given(template=templates())
def test_fuzzed_templates_never_crash_or_hang(
    served_once: EmulatorServer, sdk_once: openai.OpenAI, template: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        _check(
            served_once,
            sdk_once,
            "version: 1\nname: fuzz\nmodel: gpt-5.4\ninstructions:\n  template: main.md.j2\n",
            template,
        )
