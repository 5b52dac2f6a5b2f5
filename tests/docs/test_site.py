"""The documentation site builds with `mkdocs build --strict`, and every command and kind has its page.

The command and kind reference is generated at build time (docs/_hooks/reference.py), so these tests fail,
by the name of the command or kind, when one cannot be documented; broken links and anchors, and pages
left out of the nav, fail the strict build itself.
"""

from __future__ import annotations

import html
import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from orchestrator.cli import COMMANDS
from orchestrator.spec.schemas import SCHEMA_FILES, load_schema
from tests.support.projects import run_cli

REPO = Path(__file__).resolve().parents[2]
MKDOCS_MISSING = importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None
pytestmark = pytest.mark.skipif(
    MKDOCS_MISSING,
    reason="mkdocs and mkdocs-material are not installed: pip install -e '.[docs]' (or '.[test]')",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built once for this module, strictly: any warning fails the build."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--quiet",
            "-f",
            str(REPO / "mkdocs.yml"),
            "-d",
            str(out),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    return out


def built_page(site: Path, page: str) -> Path:
    """Where a docs/ page lands with MkDocs' directory URLs."""
    stem = page.removesuffix(".md")
    if stem == "index" or stem.endswith("/index"):
        return site / stem.removesuffix("index") / "index.html"
    return site / stem / "index.html"


def nav_pages(items: list[object]) -> Iterator[str]:
    for item in items:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            yield from nav_pages(value)
        else:
            yield str(value)


def test_the_site_builds_strictly_with_every_page_of_the_nav(site: Path) -> None:
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    pages = list(nav_pages(config["nav"]))
    for section in (
        "tutorial/getting-started.md",
        "how-to/gitops-ci.md",
        "how-to/migrate-to-agents.md",
        "how-to/secrets-and-vaults.md",
        "how-to/behaviour-tests.md",
        "how-to/knowledge-files.md",
        "how-to/import.md",
        "how-to/watch.md",
        "how-to/mcp-server.md",
        "concepts/ownership.md",
        "concepts/drift.md",
        "concepts/revisions.md",
        "concepts/resource-graph.md",
        "concepts/plans.md",
        "reference/emulator.md",
        "reference/commands/index.md",
        "reference/schemas/index.md",
    ):
        assert section in pages, f"{section} is missing from the nav of mkdocs.yml"
    missing = [page for page in pages if not built_page(site, page).is_file()]
    assert not missing, f"pages of the nav that were not built: {missing}"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_a_generated_reference_page(site: Path, command: str) -> None:
    from click import Context

    from orchestrator.cli import cli

    page = built_page(site, f"reference/commands/{command}.md")
    assert page.is_file(), f"no reference page for `orchestrator {command}`"
    text = html.unescape(page.read_text(encoding="utf-8"))
    assert f"orchestrator {command}" in text
    click_command = cli.get_command(Context(cli), command)
    for option in click_command.params:
        for name in getattr(option, "opts", []):
            if name.startswith("-"):
                assert f"<code>{name}</code>" in text, (
                    f"`{name}` of `orchestrator {command}` is not documented"
                )
    assert "Examples" in text
    index = html.unescape(built_page(site, "reference/commands/index.md").read_text(encoding="utf-8"))
    assert f'href="{command}/"' in index, f"the commands index does not link `{command}`"


@pytest.mark.parametrize("kind", sorted(SCHEMA_FILES))
def test_every_kind_has_a_generated_reference_page_with_every_field(site: Path, kind: str) -> None:
    page = built_page(site, f"reference/schemas/{kind}.md")
    assert page.is_file(), f"no reference page for the {kind} schema"
    text = html.unescape(page.read_text(encoding="utf-8"))
    schema = load_schema(kind)
    for name in schema.get("properties", {}):
        assert f"<code>{name}</code>" in text, f"field `{name}` of the {kind} schema is not documented"
    for required in schema.get("required", []):
        assert f"<code>{required}</code>" in text


def test_top_level_help_names_the_documentation() -> None:
    result = run_cli(["--help"])
    assert result.exit_code == 0
    assert "docs/" in result.stdout and "mkdocs" in result.stdout


def test_the_readme_is_a_front_page_whose_links_lead_into_the_docs() -> None:
    """README.md stays short (what a newcomer reads first) and every relative link names a real file."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250, "README.md grew past ~250 lines: move the text into a docs/ page"
    assert text.split("```")[1].startswith("sh\n"), (
        "the README's first block must stay the ```sh set-up commands"
    )
    targets = [target for target in re.findall(r"\]\(([^)\s]+)\)", text) if "://" not in target]
    assert any(target.startswith("docs/") for target in targets)
    dead = [target for target in targets if not (REPO / target.split("#")[0]).exists()]
    assert not dead, f"README.md links to files that do not exist: {dead}"
