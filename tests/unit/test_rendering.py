"""Sandboxed, strict rendering: variable precedence, shared partials, dependencies, errors at the template line."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from orchestrator.diagnostics import error
from orchestrator.engine.building import Builder
from orchestrator.engine.desired import DesiredState
from orchestrator.spec.project import load_project
from orchestrator.spec.rendering import Renderer, RenderError

ORIGIN = error("specs/helper.yaml", "", line=5, column=13, pointer="/instructions/template")


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def build(root: Path, environment: str | None = None) -> DesiredState:
    project, diagnostics = load_project(root)
    assert project is not None, [d.message for d in diagnostics]
    env = project.environment(environment)
    return Builder(project, env, project.target(env.target), today=date(2026, 11, 26)).build()


def renderer(tmp_path: Path, files: dict[str, str]) -> Renderer:
    write(tmp_path / "templates", files)
    return Renderer(tmp_path / "templates", tmp_path)


def render_error(render: Renderer, name: str, variables: dict[str, object]) -> RenderError:
    with pytest.raises(RenderError) as caught:
        render.render_file(name, variables, origin=ORIGIN)
    return caught.value


PRECEDENCE_PROJECT = {
    "orchestrator.yaml": """\
        version: 1
        project: precedence
        vars: {tone: project-tone, company: Acme, region: project-region}
        environments:
          dev: {target: local, vars: {tone: env-tone, region: env-region}}
          prod: {target: local, vars: {tone: prod-tone}}
        """,
    "specs/a.yaml": """\
        version: 1
        name: alpha
        model: gpt-5.4
        instructions:
          template: show.md.j2
          vars: {tone: spec-tone}
        """,
    "templates/show.md.j2": "{{ tone }}|{{ region }}|{{ company }}|{{ environment }}|{{ project }}",
}


def test_variables_resolve_spec_over_environment_over_project(tmp_path: Path) -> None:
    state = build(write(tmp_path, PRECEDENCE_PROJECT))
    assert state.ok, list(state.diagnostics)
    assert state.specs["alpha"].instructions == "spec-tone|env-region|Acme|dev|precedence"


def test_the_environment_decides_what_the_spec_does_not_set(tmp_path: Path) -> None:
    state = build(write(tmp_path, PRECEDENCE_PROJECT), "prod")
    assert state.specs["alpha"].instructions == "spec-tone|project-region|Acme|prod|precedence"


SHARED_PARTIAL_PROJECT = {
    "orchestrator.yaml": "version: 1\nproject: shared\nvars: {company: Acme}\n",
    "specs/tutor.yaml": "version: 1\nname: tutor\nmodel: gpt-5.4\ninstructions: {template: tutor.md.j2}\n",
    "specs/analyst.yaml": "version: 1\nname: analyst\nmodel: gpt-5.4\ninstructions: {template: analyst.md.j2}\n",
    "templates/tutor.md.j2": """\
        {% from "partials/style.md.j2" import house_style with context %}
        {{- house_style("a tutor") }}
        Teach well.
        """,
    "templates/analyst.md.j2": """\
        {% include "partials/footer.md.j2" %}
        {% from "partials/style.md.j2" import house_style with context %}
        {{- house_style("an analyst") }}
        """,
    "templates/partials/style.md.j2": """\
        {% macro house_style(role) -%}
        You are {{ role }} at {{ company }}. Be concise.
        {%- endmacro %}
        """,
    "templates/partials/footer.md.j2": "Footer.\n",
}


def test_a_change_to_a_shared_partial_changes_every_spec_using_it(tmp_path: Path) -> None:
    root = write(tmp_path, SHARED_PARTIAL_PROJECT)
    before = build(root)
    assert "You are a tutor at Acme. Be concise." in before.specs["tutor"].instructions
    assert "You are an analyst at Acme. Be concise." in before.specs["analyst"].instructions
    (root / "templates/partials/style.md.j2").write_text(
        "{% macro house_style(role) -%}\nYou are {{ role }} at {{ company }}. Be thorough.\n{%- endmacro %}\n"
    )
    after = build(root)
    assert "Be thorough." in after.specs["tutor"].instructions
    assert "Be thorough." in after.specs["analyst"].instructions
    partial = (root / "templates/partials/style.md.j2").resolve()
    assert partial in after.specs["tutor"].dependencies
    assert partial in after.specs["analyst"].dependencies


def test_one_builder_sees_a_partial_edited_between_builds(tmp_path: Path) -> None:
    root = write(tmp_path, SHARED_PARTIAL_PROJECT)
    project, _ = load_project(root)
    assert project is not None
    env = project.environment(None)
    builder = Builder(project, env, project.target(env.target), today=date(2026, 11, 26))
    assert "Be concise." in builder.build().specs["tutor"].instructions
    style = root / "templates/partials/style.md.j2"
    style.write_text("{% macro house_style(role) -%}\nEdited for {{ role }}.\n{%- endmacro %}\n")
    builder.renderer.forget()
    assert "Edited for a tutor." in builder.build().specs["tutor"].instructions


def test_dependencies_list_includes_and_imports_transitively(tmp_path: Path) -> None:
    render = renderer(
        tmp_path,
        {
            "main.md.j2": '{% include "a.md.j2" %}{% import "lib/macros.md.j2" as m %}',
            "a.md.j2": '{% include "lib/b.md.j2" %}',
            "lib/b.md.j2": '{% from "lib/c.md.j2" import x %}',
            "lib/c.md.j2": "{% macro x() %}c{% endmacro %}",
            "lib/macros.md.j2": "{% macro y() %}y{% endmacro %}",
            "unrelated.md.j2": "not used",
        },
    )
    assert render.dependencies("main.md.j2") == frozenset(
        {"main.md.j2", "a.md.j2", "lib/b.md.j2", "lib/c.md.j2", "lib/macros.md.j2"}
    )


def test_dependencies_survive_include_cycles(tmp_path: Path) -> None:
    render = renderer(tmp_path, {"a.j2": '{% include "b.j2" %}', "b.j2": '{% include "a.j2" %}'})
    assert render.dependencies("a.j2") == frozenset({"a.j2", "b.j2"})


def test_rendered_result_lists_the_templates_used(tmp_path: Path) -> None:
    render = renderer(tmp_path, {"main.j2": '{% include "part.j2" %} {{ x }}', "part.j2": "part"})
    rendered = render.render_file("main.j2", {"x": 1}, origin=ORIGIN)
    assert rendered.text == "part 1"
    assert rendered.templates == frozenset({"main.j2", "part.j2"})


def test_an_undefined_variable_is_an_error_at_the_template_line_and_column(tmp_path: Path) -> None:
    render = renderer(tmp_path, {"main.j2": "Hello.\nWork for {{ compnay }}.\n"})
    problem = render_error(render, "main.j2", {"company": "Acme"}).diagnostic
    assert (problem.file, problem.line, problem.column) == ("templates/main.j2", 2, 13)
    assert problem.message.startswith("undefined variable `compnay`")
    assert problem.hint is not None
    assert "did you mean `company`?" in problem.hint
    assert "specs/helper.yaml:5:13 [/instructions/template]" in problem.hint


def test_an_undefined_variable_inside_an_included_partial_is_reported_in_the_partial(tmp_path: Path) -> None:
    render = renderer(
        tmp_path, {"main.j2": 'Intro\n{% include "p/part.j2" %}', "p/part.j2": "one\ntwo {{ missing }}\n"}
    )
    problem = render_error(render, "main.j2", {}).diagnostic
    assert (problem.file, problem.line, problem.column) == ("templates/p/part.j2", 2, 8)


def test_an_undefined_attribute_is_an_error_not_an_empty_string(tmp_path: Path) -> None:
    render = renderer(tmp_path, {"main.j2": "{{ user.name }}"})
    problem = render_error(render, "main.j2", {"user": {}}).diagnostic
    assert "undefined attribute `name`" in problem.message


def test_a_typo_at_a_macro_call_site_is_reported_there_with_the_chain(tmp_path: Path) -> None:
    """The undefined value is raised inside the partial's macro, but the typo is in the caller (issue 29, 7)."""
    render = renderer(
        tmp_path,
        {
            "support.md.j2": (
                '{% from "partials/escalation.md.j2" import escalation %}\n'
                "You help customers.\n\n\n\n\n"
                "{{ escalation(escalation_mail) }}\n"
            ),
            "partials/escalation.md.j2": "{% macro escalation(address) -%}\nEscalate to {{ address }}.\n{%- endmacro %}\n",
        },
    )
    problem = render_error(render, "support.md.j2", {"escalation_email": "help@acme.test"}).diagnostic
    assert (problem.file, problem.line, problem.column) == ("templates/support.md.j2", 7, 15)
    assert problem.message == (
        "undefined variable `escalation_mail`; set it in the spec's `instructions.vars`, the environment's `vars` "
        "or the project's `vars` (in templates/partials/escalation.md.j2:2, from templates/support.md.j2:7)"
    )
    assert problem.hint is not None
    assert problem.hint.startswith(
        "did you mean `escalation_email`? Rendering the instructions of specs/helper.yaml"
    )
    assert "?;" not in problem.hint


def test_an_include_chain_is_named_innermost_first(tmp_path: Path) -> None:
    render = renderer(
        tmp_path,
        {
            "main.j2": 'Intro\n{% include "a.j2" %}',
            "a.j2": 'A\n\n{% include "p/b.j2" %}',
            "p/b.j2": "one\ntwo {{ missing }}\n",
        },
    )
    problem = render_error(render, "main.j2", {}).diagnostic
    assert (problem.file, problem.line, problem.column) == ("templates/p/b.j2", 2, 8)
    assert problem.message.endswith(
        "(in templates/p/b.j2:2, from templates/a.j2:3, from templates/main.j2:2)"
    )


def test_a_syntax_error_is_reported_at_the_template_file_and_line(tmp_path: Path) -> None:
    render = renderer(tmp_path, {"main.j2": "a\nb\n{% if x %}\n"})
    problem = render_error(render, "main.j2", {"x": 1}).diagnostic
    assert (problem.file, problem.line) == ("templates/main.j2", 3)
    assert problem.message.startswith("template syntax error")


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ joiner.__init__.__globals__.os }}",
        "{{ ().__class__.__base__.__subclasses__() }}",
        "{% for c in [].__class__.__base__.__subclasses__() %}{% endfor %}",
        "{{ lipsum.__globals__ }}",
    ],
)
def test_the_sandbox_blocks_reaching_python_internals(tmp_path: Path, source: str) -> None:
    render = renderer(tmp_path, {"main.j2": source})
    problem = render_error(render, "main.j2", {}).diagnostic
    assert "the sandbox blocked" in problem.message or "undefined" in problem.message
    assert problem.file == "templates/main.j2"


@pytest.mark.parametrize("name", ["../secret.txt", "/etc/passwd", "sub/../../secret.txt"])
def test_a_template_path_cannot_leave_the_templates_folder(tmp_path: Path, name: str) -> None:
    (tmp_path / "secret.txt").write_text("hunter2")
    render = renderer(tmp_path, {"sub/x.j2": "x"})
    problem = render_error(render, name, {}).diagnostic
    assert "outside the templates folder" in problem.message
    assert (problem.file, problem.line, problem.column, problem.pointer) == (
        "specs/helper.yaml",
        5,
        13,
        "/instructions/template",
    )


def test_an_include_cannot_leave_the_templates_folder(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("hunter2")
    render = renderer(tmp_path, {"main.j2": '{% include "../secret.txt" %}'})
    problem = render_error(render, "main.j2", {}).diagnostic
    assert "not found" in problem.message
    assert "hunter2" not in problem.message


def test_a_missing_template_suggests_a_close_name(tmp_path: Path) -> None:
    render = renderer(tmp_path, {"language_tutor.md.j2": "x"})
    problem = render_error(render, "langauge_tutor.md.j2", {}).diagnostic
    assert problem.message.endswith("did you mean `language_tutor.md.j2`?")


def test_inline_templates_render_with_the_same_rules(tmp_path: Path) -> None:
    render = renderer(tmp_path, {"p.j2": "partial"})
    assert render.render_inline('{% include "p.j2" %} {{ x }}', {"x": 2}, origin=ORIGIN).text == "partial 2"
    with pytest.raises(RenderError, match="undefined variable `y`"):
        render.render_inline("{{ y }}", {}, origin=ORIGIN)
