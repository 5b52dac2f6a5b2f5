"""Bounds of the renderer, and the failures the fuzz test found: each a diagnostic, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.diagnostics import error
from orchestrator.spec.loading import LoadError, load_yaml_bytes
from orchestrator.spec.rendering import MAX_SEQUENCE, Renderer, RenderError, weight

ORIGIN = error("specs/helper.yaml", "", line=5, column=11, pointer="/instructions/inline")


def render(tmp_path: Path, source: str) -> str:
    (tmp_path / "templates").mkdir(exist_ok=True)
    return Renderer(tmp_path / "templates", tmp_path).render_inline(source, {"x": "x"}, origin=ORIGIN).text


def refusal(tmp_path: Path, source: str) -> str:
    with pytest.raises(RenderError) as caught:
        render(tmp_path, source)
    return caught.value.diagnostic.message


def test_weight_counts_shared_parts_each_time_and_stops_past_the_limit() -> None:
    shared = ["x" * 1000] * 1000
    assert weight("abc") == 3
    assert weight([shared] * 10) > MAX_SEQUENCE
    cyclic: list[object] = []
    cyclic.append(cyclic)
    assert weight(cyclic) > MAX_SEQUENCE  # str() shows `[[...]]`, but the walk must end


def test_a_filter_assertion_is_a_template_error(tmp_path: Path) -> None:
    """jinja's `truncate` asserts its length; found by the fuzz test as 'This is a bug'."""
    assert "template error: AssertionError: expected length >= 3, got 0" in refusal(
        tmp_path, "{{ 'abc'|truncate(0) }}"
    )


def test_a_sandbox_refusal_while_compiling_is_a_diagnostic(tmp_path: Path) -> None:
    """Constant folding runs template code at compile time; found by the fuzz test as 'This is a bug'."""
    message = refusal(tmp_path, "{{ ''.__class__ ~ 'a' }}")
    assert "the sandbox blocked access to `__class__`" in message


def test_a_bound_is_checked_while_compiling_too(tmp_path: Path) -> None:
    assert "`center` with a width of 2,000,000,000" in refusal(tmp_path, "{{ 'x'|center(2000000000) }}")


def test_an_inline_template_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    assert "the inline template is 600,000 characters long" in refusal(tmp_path, "x" * 600_000)


def test_recursive_loops_count_every_level(tmp_path: Path) -> None:
    source = (
        "{% for x in range(100000) recursive %}{% if loop.depth < 3 %}{{ loop(range(100000)) }}"
        "{% endif %}{% endfor %}"
    )
    assert "rendering took longer than 2 s" in refusal(tmp_path, source)


def test_autoescape_blocks_still_escape_text_joined_with_tilde(tmp_path: Path) -> None:
    assert render(tmp_path, "{% autoescape true %}{{ '<b>' ~ x }}{% endautoescape %}") == "&lt;b&gt;x"


def _alias_document(levels: int, width: int) -> bytes:
    lines = ["version: 1", "x:", f"  a0: &a0 [{', '.join(['v'] * width)}]"]
    lines += [f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return ("\n".join(lines) + "\n").encode()


def test_modest_aliasing_loads() -> None:
    document = load_yaml_bytes(_alias_document(3, 5), Path("a.yaml"), "a.yaml")
    assert len(document.data["x"]["a2"]) == 5


def test_alias_expansion_is_refused_long_before_it_blows_up() -> None:
    with pytest.raises(LoadError) as caught:
        load_yaml_bytes(_alias_document(10, 10), Path("a.yaml"), "a.yaml")
    assert "excessive aliasing" in caught.value.diagnostic.message
