"""`orchestrator mcp` as a command: lazy imports, the SDK it resolves to, the message when it is missing."""

from __future__ import annotations

from pathlib import Path

from tests.support.processes import run_python
from tests.support.projects import run_cli


def test_help_imports_neither_the_mcp_sdk_nor_openai(tmp_path: Path) -> None:
    result = run_python(
        """\
        import sys
        from orchestrator.cli import main
        main(['--help'])
        main(['mcp', '--help'])
        print(sorted(m for m in sys.modules if m.split('.')[0] in ('mcp', 'mcp_types', 'openai', 'pydantic')))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Serve the project as MCP tools" in result.stdout and "--allow-apply" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_the_package_imports_the_sdk_not_itself() -> None:
    import mcp

    from orchestrator.mcp import server

    assert Path(mcp.__file__).parent.name == "mcp" and "orchestrator" not in Path(mcp.__file__).parts
    assert server.MCPServer.__module__.startswith("mcp.server.")


def test_a_missing_sdk_says_how_to_install_it(project: Path) -> None:
    result = run_python(
        f"""\
        import sys
        sys.modules['mcp'] = None  # as if the SDK were not installed
        from orchestrator.cli import main
        sys.exit(main(['-C', {str(project)!r}, 'mcp']))
        """,
        project,
    )
    assert result.returncode == 1
    assert "needs the MCP SDK, which is not installed: pip install 'mcp>=2.3,<3'" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_project_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli(["-C", str(tmp_path), "mcp"])
    assert result.exit_code == 1
    assert "no orchestrator.yaml found" in result.stderr
