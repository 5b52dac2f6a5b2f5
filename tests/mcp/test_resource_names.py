"""The MCP server lists its resources by spec name, as it reads them (issue 29, friction 2).

`payload://support` was listed (named after the file specs/support.yaml) but reading it failed with
"unknown spec `support`; did you mean `support-agent`?".
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.mcp.conftest import Session, over_stdio
from tests.support.projects import run_cli, write, write_spec


def test_resources_are_named_by_spec_name_and_every_listed_one_reads(project: Path, errlog: Path) -> None:
    write_spec(project, "support-agent")
    (project / "specs" / "support-agent.yaml").rename(project / "specs" / "support.yaml")
    write(project / "specs" / "broken.yaml", "version: 1\nname: [not, a, name\n")
    cli_payload = json.loads(run_cli(["-C", str(project), "render", "support-agent", "-o", "json"]).stdout)

    async def scenario(session: Session) -> tuple:
        listed = sorted(str(r.uri) for r in (await session.client.list_resources()).resources)
        payload = await session.read("payload://support-agent")
        source = await session.read("spec://support-agent")
        return listed, payload, source

    listed, payload, source = over_stdio(project, scenario, errlog=errlog)
    assert listed == [
        "payload://broken",
        "payload://support-agent",
        "project://environments",
        "spec://broken",
        "spec://support-agent",
    ]
    assert json.loads(payload) == cli_payload
    assert source == (project / "specs" / "support.yaml").read_text(encoding="utf-8")
