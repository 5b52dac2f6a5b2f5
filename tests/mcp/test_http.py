"""`orchestrator mcp --http`: streamable HTTP on loopback, a bearer key when one is set, never open off loopback."""

from __future__ import annotations

from pathlib import Path

import httpx2
import openai

from tests.mcp.conftest import Session, http_server, over_http, server_env
from tests.support.live import owned_by
from tests.support.projects import run_cli, write_spec

MCP_KEY = "mcp-key-0123456789SENTINEL"


def test_http_lists_tools_validates_and_applies_a_diff(project: Path, sdk: openai.OpenAI) -> None:
    write_spec(project, "tutor")

    async def scenario(session: Session) -> tuple:
        tools = {t.name for t in (await session.client.list_tools()).tools}
        valid = await session.ok("validate")
        plan = await session.ok("diff")
        return tools, valid, plan, await session.ok("apply", {"plan_id": plan["plan_id"]})

    with http_server(project, "--allow-apply") as (url, stderr):
        assert url.startswith("http://127.0.0.1:")
        tools, valid, plan, applied = over_http(url, scenario)
    assert "send_message" in tools and "apply" in tools
    assert valid["valid"] is True
    assert plan["summary"]["create"] == 1
    [live] = owned_by(sdk, "test-project/dev/tutor")
    assert applied["outcomes"][0]["id"] == live.id
    assert any("apply allowed" in line and "no key" in line for line in stderr)


def test_http_refuses_apply_when_read_only(project: Path, sdk: openai.OpenAI) -> None:
    write_spec(project, "tutor")

    async def scenario(session: Session) -> dict:
        plan = await session.ok("diff")
        return await session.fails("apply", {"plan_id": plan["plan_id"]})

    with http_server(project) as (url, _):
        refused = over_http(url, scenario)
    assert "--allow-apply" in refused["error"]
    assert owned_by(sdk, "test-project/dev/tutor") == []


def test_a_key_is_required_on_every_request_when_set(project: Path) -> None:
    write_spec(project, "tutor")

    async def scenario(session: Session) -> dict:
        return await session.ok("list")

    with http_server(project, env=server_env(ORCHESTRATOR_MCP_KEY=MCP_KEY)) as (url, stderr):
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
        headers = {"accept": "application/json, text/event-stream"}
        assert httpx2.post(url, json=body, headers=headers, timeout=30).status_code == 401
        wrong = httpx2.post(url, json=body, headers={**headers, "authorization": "Bearer nope"}, timeout=30)
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
        listed = over_http(url, scenario, key=MCP_KEY)
    assert listed["specs"][0]["status"] == "missing"
    assert any("bearer key required" in line for line in stderr)
    assert MCP_KEY not in "".join(stderr)


def test_off_loopback_without_a_key_is_refused(project: Path) -> None:
    result = run_cli(["-C", str(project), "mcp", "--http", "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code == 1
    assert "refusing to serve on 0.0.0.0 without a key" in result.stderr
    assert "ORCHESTRATOR_MCP_KEY" in result.stderr
