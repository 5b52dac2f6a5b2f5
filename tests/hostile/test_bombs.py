"""Resource bombs (issue 14, item 3): refused with a diagnostic within seconds and bounded memory.

Each runs the real CLI in a child process and measures it. The bounds are generous (10 s, 500 MB)
so the tests are not flaky; before the limits these ran past 25 s and 1.5-2.5 GB, or crashed.
"""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest

from tests.conftest import TEST_KEY
from tests.support.live import snapshot
from tests.support.processes import Measured, run_measured
from tests.support.projects import write, write_yaml

SECONDS = 10.0
PEAK_MB = 500.0


def _alias_bomb(levels: int = 10, width: int = 10) -> str:
    lines = [f"  a0: &a0 [{', '.join(['x'] * width)}]"]
    lines += [f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def _bounded(result: Measured) -> None:
    assert result.exit_code is not None, f"killed after {result.seconds:.1f} s"
    assert result.seconds < SECONDS, f"{result.seconds:.1f} s"
    assert result.peak_mb < PEAK_MB, f"{result.peak_mb:.0f} MB"
    assert "Traceback" not in result.output and "This is a bug" not in result.output
    assert TEST_KEY not in result.output


def _run(project: Path, *args: str) -> Measured:
    return run_measured(
        ["-C", str(project), *args],
        timeout=SECONDS * 2,
        env={"TEST_ORCHESTRATOR_KEY": TEST_KEY, "ORCHESTRATOR_TODAY": "2026-11-26"},
    )


# -- YAML ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["validate"], ["diff"], ["apply", "--yes"]])
def test_a_yaml_alias_bomb_in_a_spec_is_refused(
    command: list[str], project: Path, sdk: openai.OpenAI
) -> None:
    write(
        project / "specs" / "bomb.yaml",
        "version: 1\nname: bomb\nmodel: gpt-5.4\ninstructions: hi\nmetadata:\n" + _alias_bomb(),
    )
    before = snapshot(sdk)
    result = _run(project, *command)
    _bounded(result)
    assert result.exit_code == 1
    assert "specs/bomb.yaml:" in result.stderr and "excessive aliasing" in result.stderr
    assert snapshot(sdk) == before


def test_import_and_completion_read_a_bombed_spec_within_bounds(project: Path, sdk: openai.OpenAI) -> None:
    """import and shell completion read spec files too: with the same bounded loader, not yaml.safe_load."""
    write(
        project / "specs" / "bomb.yaml",
        "version: 1\nname: bomb\nmodel: gpt-5.4\ninstructions: hi\nmetadata:\n" + _alias_bomb(),
    )
    sdk.beta.assistants.create(model="gpt-5.4", name="Loose", instructions="x")
    result = _run(project, "import", "--all-unmanaged", "--dry-run")
    _bounded(result)
    assert result.exit_code == 0, result.stderr


def test_a_yaml_alias_bomb_in_the_project_file_is_refused(project: Path) -> None:
    text = (project / "orchestrator.yaml").read_text()
    write(project / "orchestrator.yaml", text + "x-anchors:\n" + _alias_bomb())
    result = _run(project, "validate")
    _bounded(result)
    assert result.exit_code == 1
    assert "orchestrator.yaml:" in result.stderr and "excessive aliasing" in result.stderr


def test_a_spec_file_over_the_size_limit_is_refused_before_it_is_parsed(project: Path) -> None:
    write(
        project / "specs" / "big.yaml",
        "version: 1\nname: big\nmodel: gpt-5.4\ninstructions: |\n" + ("  " + "x" * 98 + "\n") * 20_000,
    )
    result = _run(project, "validate")
    _bounded(result)
    assert result.exit_code == 1
    assert "specs/big.yaml: error: file is 2,020,0" in result.stderr
    assert "the limit for a spec file is 1,048,576" in result.stderr


def test_a_document_of_too_many_values_is_refused_before_nodes_are_built(project: Path) -> None:
    write(
        project / "specs" / "wide.yaml",
        "version: 1\nname: wide\nmodel: gpt-5.4\ninstructions: hi\n"
        "metadata: {k: v}\nx: [" + "1," * 400_000 + "1]\n",
    )
    result = _run(project, "validate")
    _bounded(result)
    assert result.exit_code == 1
    assert "more than 100,000 values" in result.stderr


def test_a_parameters_file_nested_too_deep_is_a_diagnostic(project: Path) -> None:
    write(project / "specs" / "deep.json", "[" * 200_000 + "]" * 200_000)
    write_yaml(
        project / "specs" / "deep.yaml",
        {
            "version": 1,
            "name": "deep",
            "model": "gpt-5.4",
            "instructions": "hi",
            "functions": [{"name": "f", "parameters": "deep.json"}],
        },
    )
    result = _run(project, "validate")
    _bounded(result)
    assert result.exit_code == 1
    assert "specs/deep.json" in result.stderr and "nesting is too deep" in result.stderr


# -- templates -------------------------------------------------------------------------------

TEMPLATES = {
    "nested_range_loops": (
        "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
        "the rendered instructions exceed 1,000,000 characters",
    ),
    "nested_loops_without_output": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "rendering took longer than 2 s",
    ),
    "center_filter": ("{{ 'x'|center(2000000000) }}", "`center` with a width of 2,000,000,000"),
    "format_filter": ("{{ '%2000000000s'|format('x') }}", "a format width of 2,000,000,000"),
    "percent_operator": ("{{ '%2000000000s' % 'x' }}", "a format width of 2,000,000,000"),
    "str_method_width": ("{{ 'x'.ljust(2000000000) }}", "`ljust` with a width of 2,000,000,000"),
    "brace_format_width": ("{{ '{:>2000000000}'.format('x') }}", "a format width of 2,000,000,000"),
    "tilde_doubling": (
        "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}{{ ns.s }}",
        "text joined with `~` would be longer than 1,000,000",
    ),
    "plus_doubling": (
        "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}"
        "{% endfor %}{{ ns.s }}",
        "joined with `+` would be longer than 1,000,000",
    ),
    "shared_list_output": (
        "{% set a = ['x' * 100] * 100 %}{% set b = [a, a, a, a, a, a, a, a, a, a] %}"
        "{% set c = [b, b, b, b, b, b, b, b, b, b] %}{{ c }}",
        "a value the template outputs",
    ),
    "join_of_shared_items": (
        "{% set a = ['x' * 100] * 1000 %}{{ [a, a, a, a, a, a, a, a, a, a]|join }}",
        "the joined text would be longer than 1,000,000",
    ),
    "replace_growth": ("{{ ('x' * 1000000)|replace('x', 'yy') }}", "the result of `replace`"),
    "indent_width": ("{{ 'a\\nb'|indent(2000000000) }}", "the result of `indent`"),
    "batch_fill": ("{{ [1]|batch(2000000000, 'x')|list }}", "`batch` into 2,000,000,000 parts"),
    "lipsum": ("{{ lipsum(2000000000) }}", "`lipsum` of more than 100 paragraphs"),
    "macro_fan_out": (
        "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}",
        "rendering took longer than 2 s",
    ),
    "accumulated_values": (
        "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}"
        "{% set _ = ns.l.append(('x' * 999990) ~ i) %}{% endfor %}{{ ns.l|length }}",
        "of values in all",
    ),
    "big_integer": (
        "{% set ns = namespace(n=2) %}{% for i in range(40) %}{% set ns.n = ns.n * ns.n %}{% endfor %}"
        "{{ ns.n }}",
        "a number of more than 100,000 bits",
    ),
    "power_of_a_big_base": ("{{ (2 ** 10000) ** 10000 }}", "a number of more than 100,000 bits"),
}


@pytest.mark.parametrize("case", list(TEMPLATES))
def test_a_template_bomb_is_refused_in_seconds(case: str, project: Path, sdk: openai.OpenAI) -> None:
    source, expected = TEMPLATES[case]
    write(project / "templates" / "bomb.md.j2", source)
    write_yaml(
        project / "specs" / "bomb.yaml",
        {"version": 1, "name": "bomb", "model": "gpt-5.4", "instructions": {"template": "bomb.md.j2"}},
    )
    before = snapshot(sdk)
    result = _run(project, "diff", "--output", "json")
    _bounded(result)
    assert result.exit_code == 1, result.output
    assert "templates/bomb.md.j2" in result.stderr and "error: template refused: " in result.stderr
    assert expected in result.stderr, result.stderr
    assert "rendering the instructions of specs/bomb.yaml" in result.stderr
    assert snapshot(sdk) == before


def test_an_inline_template_bomb_is_refused_too(project: Path) -> None:
    write_yaml(
        project / "specs" / "bomb.yaml",
        {
            "version": 1,
            "name": "bomb",
            "model": "gpt-5.4",
            "instructions": {"inline": "{{ 'x'|center(2000000000) }}"},
        },
    )
    result = _run(project, "render", "bomb")
    _bounded(result)
    assert result.exit_code == 1
    assert (
        "specs/bomb.yaml:5:11: error: template refused: `center` with a width of 2,000,000,000"
        in result.stderr
    )


def test_a_template_file_over_the_size_limit_is_refused(project: Path) -> None:
    write(project / "templates" / "big.md.j2", "x" * 600_000)
    write_yaml(
        project / "specs" / "big.yaml",
        {"version": 1, "name": "big", "model": "gpt-5.4", "instructions": {"template": "big.md.j2"}},
    )
    result = _run(project, "validate", "--output", "json")
    _bounded(result)
    assert result.exit_code == 1
    messages = [item["message"] for item in json.loads(result.stdout)]
    assert any("is 600,000 bytes; the limit for a template is 524,288" in m for m in messages), messages


def test_instructions_just_over_the_api_limit_still_report_their_length(project: Path) -> None:
    """The output limit stops runaway growth; a near miss keeps its exact figure."""
    write(project / "templates" / "long.md.j2", "{% for i in range(260) %}" + "x" * 1000 + "{% endfor %}")
    write_yaml(
        project / "specs" / "long.yaml",
        {"version": 1, "name": "long", "model": "gpt-5.4", "instructions": {"template": "long.md.j2"}},
    )
    result = _run(project, "validate")
    assert result.exit_code == 1
    assert "rendered instructions are 260,000 characters long; the API allows 256,000" in result.stderr


def test_ordinary_templates_render_as_before(project: Path) -> None:
    """Loops, macros, filters and `~` within the bounds behave exactly as in plain Jinja."""
    write(
        project / "templates" / "ok.md.j2",
        (
            "{% macro item(x) %}- {{ x|title }}{% endmacro %}"
            "{% for x in ['a', 'b'] %}{{ item(x) }}\n{% endfor %}"
            "{{ 'ab'|center(6) }}|{{ '%05d'|format(42) }}|{{ '{:>4}'.format('z') }}|{{ 'x' ~ 1 ~ 'y' }}|"
            "{{ [1, 2, 3]|join(',') }}|{{ 'a\\nb'|indent(2) }}|{{ range(3)|list }}|{{ 2 ** 10 }}|{{ 'ab' * 2 }}\n"
            "{% for x in [[1, [2]], [3, []]] recursive %}{{ x if x is number else loop(x) }}{% endfor %}"
        ),
    )
    write_yaml(
        project / "specs" / "ok.yaml",
        {"version": 1, "name": "ok", "model": "gpt-5.4", "instructions": {"template": "ok.md.j2"}},
    )
    result = _run(project, "render", "ok", "--output", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["instructions"] == (
        "- A\n- B\n  ab  |00042|   z|x1y|1,2,3|a\n  b|[0, 1, 2]|1024|abab\n123"
    )
