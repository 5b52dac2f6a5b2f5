"""Every third-party module the package or the tests import is declared in pyproject.toml.

A dependency that only arrives through another one (httpx through an older openai SDK) breaks the
day that one changes its own dependencies; so the package may import only its runtime dependencies,
and tests, benchmarks and examples only those plus the `test` extra.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The example handler packages are imported from the project's python_path (orchestrator.yaml).
FIRST_PARTY = {"orchestrator", "tests", "bench"} | {
    p.name for p in (REPO / "examples" / "handlers").iterdir()
}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return _normalise(match.group(1))


def _declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {_requirement_name(r) for r in project["dependencies"]}
    test = {_requirement_name(r) for r in project["optional-dependencies"]["test"]}
    return runtime, test


def _imports(folder: Path) -> Iterator[tuple[str, Path, int]]:
    """(top-level module, file, line) of every absolute import under folder."""
    for path in sorted(folder.rglob("*.py")):
        if "bad_inputs" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in FIRST_PARTY or top == "__future__":
                    continue
                yield top, path, node.lineno


def _undeclared(folders: tuple[str, ...], allowed: set[str]) -> list[str]:
    providers = importlib.metadata.packages_distributions()
    problems = []
    for folder in folders:
        for module, path, line in _imports(REPO / folder):
            where = f"{path.relative_to(REPO)}:{line}"
            distributions = {_normalise(d) for d in providers.get(module, [])}
            if not distributions:
                problems.append(f"{where}: `{module}` is imported but no installed distribution provides it")
            elif not distributions & allowed:
                problems.append(f"{where}: `{module}` comes from {sorted(distributions)}, not declared here")
    return problems


def test_the_package_imports_only_its_runtime_dependencies() -> None:
    runtime, _ = _declared()
    assert _undeclared(("orchestrator",), runtime) == []


def test_tests_benchmarks_and_examples_import_only_declared_dependencies() -> None:
    runtime, test = _declared()
    assert _undeclared(("tests", "bench", "examples"), runtime | test) == []


def test_every_dependency_has_a_lower_and_an_upper_bound() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    unbounded = [r for r in requirements if not (">=" in r and "<" in r.replace("<=", ""))]
    assert unbounded == []
