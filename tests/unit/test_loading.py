"""YAML loading: plain data, a position for every value and key, and errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.spec.loading import (
    Document,
    LoadError,
    Position,
    load_yaml_bytes,
    load_yaml_file,
    locate_json,
)


def load(text: str | bytes) -> Document:
    raw = text.encode() if isinstance(text, str) else text
    return load_yaml_bytes(raw, Path("spec.yaml"), "spec.yaml")


def failure(text: str | bytes) -> LoadError:
    with pytest.raises(LoadError) as caught:
        load(text)
    return caught.value


def test_values_and_keys_keep_their_line_and_column() -> None:
    doc = load("name: tutor\ntools:\n  - code_interpreter\n  - {type: file_search, max_num_results: 5}\n")
    assert doc.data == {
        "name": "tutor",
        "tools": ["code_interpreter", {"type": "file_search", "max_num_results": 5}],
    }
    assert doc.values["/name"] == Position(1, 7)
    assert doc.keys["/name"] == Position(1, 1)
    assert doc.values["/tools/0"] == Position(3, 5)
    assert doc.values["/tools/1/max_num_results"] == Position(4, 42)
    assert doc.keys["/tools/1/max_num_results"] == Position(4, 25)


def test_position_of_a_missing_pointer_falls_back_to_the_nearest_parent() -> None:
    doc = load("metadata:\n  team: a\n")
    assert doc.position("/metadata/owner") == Position(2, 3)
    assert doc.position("/nothing/here") == Position(1, 1)


def test_pointer_segments_are_escaped_per_rfc_6901() -> None:
    doc = load("vars:\n  a/b: 1\n  c~d: 2\n")
    assert doc.values["/vars/a~1b"] == Position(2, 8)
    assert doc.values["/vars/c~0d"] == Position(3, 8)


def test_error_at_names_file_line_column_and_pointer() -> None:
    doc = load("temperature: 3\n")
    diagnostic = doc.error_at("/temperature", "too hot")
    assert (diagnostic.file, diagnostic.line, diagnostic.column, diagnostic.pointer) == (
        "spec.yaml",
        1,
        14,
        "/temperature",
    )


def test_duplicate_keys_are_an_error_naming_both_places() -> None:
    problem = failure("a: 1\nb: 2\na: 3\n").diagnostic
    assert (problem.line, problem.column) == (3, 1)
    assert "duplicate key `a` (first defined at line 1, column 1)" in problem.message


def test_duplicate_keys_are_found_in_nested_flow_mappings() -> None:
    problem = failure("tools: [{type: x, type: y}]\n").diagnostic
    assert "duplicate key `type`" in problem.message
    assert (problem.line, problem.column) == (1, 19)


def test_anchors_aliases_and_merge_keys_resolve_to_plain_data() -> None:
    doc = load("base: &base {model: gpt-5.4, top_p: 1}\nspec:\n  <<: *base\n  name: x\ncopy: *base\n")
    assert doc.data["spec"] == {"model": "gpt-5.4", "top_p": 1, "name": "x"}
    assert doc.data["copy"] == {"model": "gpt-5.4", "top_p": 1}
    assert doc.values["/spec/name"] == Position(4, 9)


def test_a_recursive_alias_is_an_error_not_a_hang() -> None:
    assert "recursive alias" in failure("a: &x\n  b: *x\n").diagnostic.message


def test_undefined_alias_is_explained() -> None:
    assert "undefined alias" in failure("a: *nowhere\n").diagnostic.message


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['echo hi']\n",
        "a: !!python/object:os.system {}\n",
        "a: !!python/name:os.system\n",
        "a: !!set {x, y}\n",
        "a: !custom 1\n",
        "a: !!binary aGk=\n",
    ],
)
def test_language_specific_and_custom_tags_are_refused(text: str) -> None:
    problem = failure(text).diagnostic
    assert "is not allowed" in problem.message
    assert (problem.line, problem.column) == (1, 4)


def test_dates_stay_the_text_the_user_wrote() -> None:
    assert load("launch: 2026-01-31\n").data == {"launch": "2026-01-31"}


def test_explicit_string_tag_is_plain_yaml() -> None:
    assert load("version: !!str 1\n").data == {"version": "1"}


@pytest.mark.parametrize("text", ["temperature: .nan\n", "temperature: .inf\n", "temperature: -.Inf\n"])
def test_non_finite_numbers_are_refused(text: str) -> None:
    assert "not a finite number" in failure(text).diagnostic.message


def test_tab_indentation_is_explained() -> None:
    problem = failure("a:\n\tb: 1\n").diagnostic
    assert "tab character" in problem.message
    assert problem.hint == "replace the tab with spaces"


def test_a_second_document_is_refused() -> None:
    problem = failure("a: 1\n---\nb: 2\n").diagnostic
    assert "second YAML document" in problem.message
    assert problem.line == 2


def test_syntax_errors_name_where_the_unclosed_construct_started() -> None:
    problem = failure("name: x\ntools: [a, b\n").diagnostic
    assert (problem.line, problem.column) == (3, 1)
    assert "started at line 2, column 8" in problem.message


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "file is empty"),
        (b"   \n\n", "file is empty"),
        (b"# only a comment\n", "only comments"),
        (b"~\n", "only `null`"),
    ],
)
def test_empty_files_are_an_error(raw: bytes, message: str) -> None:
    assert message in failure(raw).diagnostic.message


def test_non_utf8_bytes_are_located() -> None:
    problem = failure(b"a: 1\nb: caf\xe9\n").diagnostic
    assert (problem.line, problem.column) == (2, 7)
    assert "0xe9" in problem.message


def test_a_utf8_byte_order_mark_is_accepted() -> None:
    assert load(b"\xef\xbb\xbfa: 1\n").data == {"a": 1}


def test_missing_file_and_directory_are_diagnostics(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="file not found"):
        load_yaml_file(tmp_path / "absent.yaml")
    with pytest.raises(LoadError, match="found a directory"):
        load_yaml_file(tmp_path)


def test_json_files_can_be_located_for_messages(tmp_path: Path) -> None:
    path = tmp_path / "params.json"
    path.write_text('{\n  "type": "object",\n  "properties": {"q": {"type": "string"}}\n}\n')
    located = locate_json(path, "params.json", tmp_path)
    assert located is not None
    assert located.position("/properties/q/type") == Position(3, 32)


def test_locating_broken_json_gives_none(tmp_path: Path) -> None:
    path = tmp_path / "params.json"
    path.write_text('{"type": ')
    assert locate_json(path, "params.json", tmp_path) is None
