"""`orchestrator validate --handlers`: import the bound handlers and check them, with file:line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.runtime.conftest import INT, add_python_path, function, write_handlers
from tests.support.projects import run_cli, run_in, write, write_spec

SOURCE = """
from pathlib import Path

Path(__file__).with_name("imported.marker").write_text("imported")

NOT_CALLABLE = 42


def add(a: int, b: int) -> int:
    return a + b


def needs_extra(a: int, b: int, secret: str) -> int:
    return a + b


def takes_only_a(a: int) -> int:
    return a


def flexible(**fields: int) -> int:
    return sum(fields.values())


def optional_b(a: int, b: int = 0) -> int:
    return a + b


def positional(a, /, b):
    return a
"""


def project_with(project: Path, package: str, handlers: list[tuple[str, str]]) -> Path:
    """One spec `checked` whose functions (each taking a, b) are bound to the given handlers."""
    add_python_path(project, ["pyhandlers"])
    write_handlers(project, package, SOURCE)
    write_spec(
        project,
        "checked",
        functions=[
            function(name, handler.replace("PKG", package), {"a": INT, "b": INT}, ["a", "b"])
            for name, handler in handlers
        ],
    )
    return project


def validate(project: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_in(project, "validate", "--handlers", *args)


def test_good_handlers_pass(project: Path, package: str) -> None:
    project_with(
        project,
        package,
        [("add", "PKG.tools:add"), ("flexible", "PKG.tools:flexible"), ("optional", "PKG.tools:optional_b")],
    )
    result = validate(project)
    assert result.exit_code == 0, result.output
    assert "1 spec valid" in result.stderr


def test_validate_without_the_flag_never_imports_handlers(project: Path, package: str) -> None:
    project_with(project, package, [("add", "PKG.tools:add")])
    assert run_cli(["-C", str(project), "validate"]).exit_code == 0
    assert run_cli(["-C", str(project), "diff"]).exit_code == 2
    assert not (project / "pyhandlers" / package / "imported.marker").exists()
    assert validate(project).exit_code == 0
    assert (project / "pyhandlers" / package / "imported.marker").exists()


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        (
            "nowhere_pkg.tools:add",
            "module `nowhere_pkg.tools` not found (searched the project root, pyhandlers)",
        ),
        ("PKG.tools:ad", "module `PKG.tools` has no attribute `ad`"),
        ("PKG.tools:NOT_CALLABLE", "`PKG.tools:NOT_CALLABLE` is a int, not a callable"),
        ("PKG.tools:needs_extra", "parameter `secret` has no default and is not a property"),
        ("PKG.tools:takes_only_a", "it does not accept the schema property `b`"),
        ("PKG.tools:positional", "parameter `a` is positional-only without a default"),
    ],
    ids=[
        "missing-module",
        "missing-attribute",
        "not-callable",
        "unknown-required-argument",
        "schema-property-not-accepted",
        "positional-only",
    ],
)
def test_bad_bindings_are_diagnosed_at_the_handler_line(
    project: Path, package: str, handler: str, message: str
) -> None:
    project_with(project, package, [("ok", "PKG.tools:add"), ("bad", handler)])
    result = validate(project)
    assert result.exit_code == 1
    assert message.replace("PKG", package) in result.stderr
    lines = (project / "specs" / "checked.yaml").read_text().splitlines()
    line = next(
        i
        for i, text in enumerate(lines, start=1)
        if text.strip() == f"handler: {handler.replace('PKG', package)}"
    )
    assert f"specs/checked.yaml:{line}:" in result.stderr


def test_json_output_lists_every_problem_with_pointer_and_line(project: Path, package: str) -> None:
    project_with(project, package, [("one", "PKG.tools:ad"), ("two", "PKG.tools:needs_extra")])
    result = validate(project, "--output", "json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    assert [(p["pointer"], p["severity"]) for p in problems] == [
        ("/functions/0/handler", "error"),
        ("/functions/1/handler", "error"),
    ]
    assert all(p["file"] == "specs/checked.yaml" and p["line"] for p in problems)
    assert problems[0]["hint"] == f"did you mean `{package}.tools:add`?"


def test_a_handler_module_that_fails_to_import_is_reported(project: Path, package: str) -> None:
    project_with(project, package, [("add", "PKG.tools:add")])
    write(project / "pyhandlers" / package / "tools.py", "raise ImportError('needs numpy')\n")
    result = validate(project)
    assert result.exit_code == 1
    assert f"importing `{package}.tools` failed: ImportError: needs numpy" in result.stderr


def test_an_unbound_function_is_a_warning(project: Path) -> None:
    write_spec(project, "loose", functions=[function("free", None, {}, [])])
    result = validate(project)
    assert result.exit_code == 0, result.output
    assert "function `free` has no handler" in result.stderr


def test_sys_path_is_restored_after_checking(project: Path, package: str) -> None:
    import sys

    before = list(sys.path)
    project_with(project, package, [("add", "PKG.tools:add")])
    assert validate(project).exit_code == 0
    assert sys.path == before
