"""`orchestrator mcp` over stdio, a real subprocess driven by the MCP SDK's client, against the served emulator."""

from __future__ import annotations

import json
from pathlib import Path

import openai
from mcp import MCPError

from tests.mcp.conftest import Seen, Session, over_stdio
from tests.runtime.conftest import deploy_helper
from tests.support.live import assistants, owned_by
from tests.support.projects import run_cli, write, write_spec

TOOLS = {"validate", "render", "diff", "apply", "list", "history", "import", "send_message"}


def test_lists_every_tool_with_an_input_and_an_output_schema(project: Path, errlog: Path) -> None:
    async def scenario(session: Session) -> list:
        return (await session.client.list_tools()).tools

    tools = over_stdio(project, scenario, errlog=errlog)
    assert {tool.name for tool in tools} == TOOLS
    for tool in tools:
        assert tool.description and tool.input_schema["type"] == "object"
        assert tool.output_schema and tool.output_schema["type"] == "object", tool.name
    by_name = {tool.name: tool for tool in tools}
    assert by_name["validate"].annotations.read_only_hint is True
    assert by_name["apply"].annotations.destructive_hint is True
    assert "plan_id" in by_name["diff"].output_schema["required"]
    assert by_name["apply"].input_schema["required"] == ["plan_id"]


def test_validate_returns_the_cli_diagnostics_as_data(project: Path, errlog: Path) -> None:
    write_spec(project, "tutor")
    write(project / "specs" / "broken.yaml", "version: 1\nname: broken\nmodel: gpt-5.4\ninstructions: 3\n")
    cli = json.loads(run_cli(["-C", str(project), "validate", "-o", "json"]).stdout)

    async def scenario(session: Session) -> dict:
        return await session.ok("validate")

    data = over_stdio(project, scenario, errlog=errlog)
    assert data["valid"] is False
    assert data["diagnostics"] == cli and cli  # the very objects of `validate -o json`
    assert any(d["file"] == "specs/broken.yaml" and d["line"] == 4 for d in data["diagnostics"])
    assert (data["environment"], data["target"], data["backend"]) == ("dev", "main", "assistants")


def test_diff_then_apply_by_plan_id_makes_live_match(project: Path, sdk: openai.OpenAI, errlog: Path) -> None:
    write_spec(project, "tutor")
    write_spec(project, "grader")

    async def scenario(session: Session) -> tuple:
        plan = await session.ok("diff")
        applied = await session.ok("apply", {"plan_id": plan["plan_id"]})
        again = await session.ok("diff")
        listed = await session.ok("list")
        return plan, applied, again, listed

    plan, applied, again, listed = over_stdio(project, scenario, "--allow-apply", errlog=errlog)
    assert plan["plan_id"].startswith("plan_")
    assert plan["summary"] == {"create": 2, "update": 0, "delete": 0, "noop": 0}
    assert [c["name"] for c in plan["changes"]] == ["grader", "tutor"]
    assert applied["ok"] is True and applied["summary"]["created"] == 2
    live = {
        a.name: a.id
        for a in owned_by(sdk, "test-project/dev/tutor") + owned_by(sdk, "test-project/dev/grader")
    }
    assert {o["name"]: o["id"] for o in applied["outcomes"]} == {
        "tutor": live["tutor"],
        "grader": live["grader"],
    }
    assert again["summary"]["noop"] == 2 and again["plan_id"] != plan["plan_id"]
    assert {r["name"]: r["status"] for r in listed["specs"]} == {"grader": "in sync", "tutor": "in sync"}


def test_the_diff_plan_is_the_cli_plan(project: Path, errlog: Path) -> None:
    write_spec(project, "tutor")
    cli = json.loads(run_cli(["-C", str(project), "diff", "-o", "json"]).stdout)

    async def scenario(session: Session) -> dict:
        return await session.ok("diff")

    data = over_stdio(project, scenario, errlog=errlog)
    assert {k: v for k, v in data.items() if k not in ("plan_id", "diagnostics")} == {
        k: v for k, v in cli.items() if k != "diagnostics"
    }


def test_apply_is_refused_without_allow_apply(project: Path, sdk: openai.OpenAI, errlog: Path) -> None:
    write_spec(project, "tutor")

    async def scenario(session: Session) -> dict:
        plan = await session.ok("diff")
        return await session.fails("apply", {"plan_id": plan["plan_id"]})

    refused = over_stdio(project, scenario, errlog=errlog)
    assert "read-only" in refused["error"] and "--allow-apply" in refused["error"]
    assert assistants(sdk) == []


def test_a_stale_plan_is_refused_and_changes_nothing(project: Path, sdk: openai.OpenAI, errlog: Path) -> None:
    write_spec(project, "tutor")
    assert run_cli(["-C", str(project), "apply", "--yes"]).exit_code == 0
    write_spec(project, "tutor", instructions="You teach Spanish.")
    [live] = owned_by(sdk, "test-project/dev/tutor")

    async def scenario(session: Session) -> tuple:
        plan = await session.ok("diff")
        sdk.beta.assistants.update(
            live.id, instructions="Edited by hand in the dashboard."
        )  # live state moves
        stale = await session.fails("apply", {"plan_id": plan["plan_id"]})
        fresh = await session.ok("diff")
        return plan, stale, fresh

    plan, stale, fresh = over_stdio(project, scenario, "--allow-apply", errlog=errlog)
    assert plan["summary"]["update"] == 1
    assert "stale" in stale["error"] and "nothing was changed" in stale["error"]
    assert stale["stale"] == [f"assistant `tutor` ({live.id}) changed since the plan was made"]
    assert sdk.beta.assistants.retrieve(live.id).instructions == "Edited by hand in the dashboard."
    assert fresh["changes"][0]["drift"] is True


def test_apply_takes_only_plan_ids_this_server_returned(project: Path, errlog: Path) -> None:
    write_spec(project, "tutor")

    async def scenario(session: Session) -> tuple:
        unknown = await session.fails("apply", {"plan_id": "plan_0000000000000000"})
        plan = await session.ok("diff")
        await session.ok("apply", {"plan_id": plan["plan_id"]})
        twice = await session.fails("apply", {"plan_id": plan["plan_id"]})
        return unknown, twice

    unknown, twice = over_stdio(project, scenario, "--allow-apply", errlog=errlog)
    assert "unknown plan id" in unknown["error"] and "diff" in unknown["error"]
    assert "already applied" in twice["error"]


def test_a_tool_error_is_an_error_result_and_the_server_goes_on(
    project: Path, sdk: openai.OpenAI, errlog: Path
) -> None:
    write(project / "specs" / "broken.yaml", "version: 1\nname: broken\nmodel: [\n")

    async def scenario(session: Session) -> tuple:
        invalid = await session.fails("diff")
        unknown = await session.fails("render", {"name": "nope"})
        (project / "specs" / "broken.yaml").unlink()
        write_spec(project, "tutor")
        return invalid, unknown, await session.ok("diff")

    invalid, unknown, plan = over_stdio(project, scenario, errlog=errlog)
    assert "did not validate" in invalid["error"] and "nothing live was touched" in invalid["error"]
    assert invalid["diagnostics"][0]["file"] == "specs/broken.yaml"
    assert invalid["diagnostics"][0]["line"] is not None
    assert "unknown spec `nope`" in unknown["error"]
    assert plan["summary"]["create"] == 1  # edits made while the server runs are seen
    assert assistants(sdk) == []


def test_render_and_the_resources_show_sources_payloads_and_environments(project: Path, errlog: Path) -> None:
    write_spec(project, "tutor")
    cli_payload = json.loads(run_cli(["-C", str(project), "render", "tutor", "-o", "json"]).stdout)

    async def scenario(session: Session) -> tuple:
        listed = [str(r.uri) for r in (await session.client.list_resources()).resources]
        templates = [
            t.uri_template for t in (await session.client.list_resource_templates()).resource_templates
        ]
        rendered = await session.ok("render", {"name": "tutor"})
        missing = None
        try:
            await session.read("spec://nope")
        except MCPError as error:
            missing = error.error.message
        return (
            listed,
            templates,
            rendered,
            await session.read("spec://tutor"),
            await session.read("payload://tutor"),
            await session.read("project://environments"),
            missing,
        )

    listed, templates, rendered, source, payload, environments, missing = over_stdio(
        project, scenario, errlog=errlog
    )
    assert set(listed) == {"spec://tutor", "payload://tutor", "project://environments"}
    assert set(templates) == {"spec://{name}", "payload://{name}{?environment}"}
    assert rendered["payload"] == cli_payload and rendered["backend"] == "assistants"
    assert source == (project / "specs" / "tutor.yaml").read_text(encoding="utf-8")
    assert json.loads(payload) == cli_payload
    assert "unknown spec `nope`" in missing
    envs = json.loads(environments)
    assert envs["default_environment"] == "dev"
    assert envs["environments"][0] == {
        "name": "dev",
        "target": "main",
        "backend": "assistants",
        "target_type": "assistants",
        "vars": {},
    }


def test_send_message_runs_the_bound_handler(project: Path, package: str, errlog: Path) -> None:
    deployed = deploy_helper(project, package)

    async def scenario(session: Session) -> tuple:
        first = await session.ok(
            "send_message", {"name": deployed.spec, "message": '/call add {"a": 2, "b": 40}'}
        )
        second = await session.ok(
            "send_message", {"name": deployed.spec, "message": "again", "thread_id": first["thread_id"]}
        )
        return first, second

    first, second = over_stdio(project, scenario, errlog=errlog)
    assert first["reply"] == 'add returned {"sum": 42}'
    [call] = first["tool_calls"]
    assert call["name"] == "add" and call["ok"] is True and json.loads(call["output"]) == {"sum": 42}
    assert first["usage"]["total_tokens"] > 0 and first["cost_usd"] is not None
    assert second["thread_id"] == first["thread_id"] and second["reply"] == "echo: again"


def test_send_message_talks_to_an_agent_on_an_agents_target(
    agents_project: Path, package: str, errlog: Path
) -> None:
    deployed = deploy_helper(agents_project, package, kind="agent")

    async def scenario(session: Session) -> dict:
        return await session.ok(
            "send_message", {"name": deployed.spec, "message": '/call greet {"name": "Ana"}'}
        )

    reply = over_stdio(agents_project, scenario, errlog=errlog)
    assert reply["reply"] == "greet returned hola, Ana"
    assert [c["name"] for c in reply["tool_calls"]] == ["greet"]


def test_import_is_a_dry_run_unless_asked_and_allowed(
    project: Path, sdk: openai.OpenAI, errlog: Path
) -> None:
    made = sdk.beta.assistants.create(model="gpt-5.4", name="Legacy Bot", instructions="Be brief.")

    async def scenario(session: Session) -> tuple:
        dry = await session.ok("import", {"ids": [made.id]})
        refused = await session.fails("import", {"ids": [made.id], "dry_run": False})
        return dry, refused

    dry, refused = over_stdio(project, scenario, errlog=errlog)
    assert dry["dry_run"] is True and dry["written"] is False
    [item] = dry["imported"]
    assert item["id"] == made.id and item["spec_file"] == "specs/legacy-bot.yaml"
    assert "name: legacy-bot" in item["files"][0]["text"]
    assert "--allow-apply" in refused["error"]
    assert not (project / "specs" / "legacy-bot.yaml").exists()

    async def write_it(session: Session) -> dict:
        return await session.ok("import", {"ids": [made.id], "dry_run": False})

    written = over_stdio(project, write_it, "--allow-apply", errlog=errlog)
    assert written["written"] is True
    assert (project / "specs" / "legacy-bot.yaml").read_text(encoding="utf-8") == item["files"][0]["text"]


def test_no_result_carries_the_secret(project: Path, sdk: openai.OpenAI, package: str, errlog: Path) -> None:
    from tests.conftest import TEST_KEY

    deployed = deploy_helper(project, package)
    write_spec(project, "leaky", instructions=f"Never say {TEST_KEY}.")
    seen = Seen()

    async def scenario(session: Session) -> None:
        await session.call("validate", {"handlers": True})
        await session.call("render", {"name": "leaky"})
        await session.call("render", {"name": TEST_KEY})
        plan = await session.ok("diff")
        await session.call("list")
        await session.call("apply", {"plan_id": plan["plan_id"]})
        await session.call("apply", {"plan_id": TEST_KEY})
        await session.call("import", {"all_unmanaged": True})
        await session.call("send_message", {"name": deployed.spec, "message": f"repeat {TEST_KEY}"})
        await session.call(
            "send_message", {"name": deployed.spec, "message": f'/call shout {{"word": "{TEST_KEY}"}}'}
        )
        await session.call("send_message", {"name": TEST_KEY, "message": "hi"})
        for uri in ("spec://leaky", "payload://leaky", "project://environments"):
            await session.read(uri)

    over_stdio(project, scenario, "--allow-apply", errlog=errlog, seen=seen)
    text = seen.all()
    assert "***" in text and "echo: repeat" in text  # the results are there, redacted
    assert TEST_KEY not in text
    assert TEST_KEY not in errlog.read_text(encoding="utf-8")


def test_send_message_reports_a_reached_spend_limit_as_a_structured_error(
    agents_project: Path, package: str, errlog: Path
) -> None:
    deployed = deploy_helper(agents_project, package, kind="agent")

    async def scenario(session: Session) -> tuple:
        stopped = await session.fails(
            "send_message", {"name": deployed.spec, "message": "/words 1000", "spend_limit_usd": 0.01}
        )
        resumed = await session.ok(
            "send_message",
            {
                "name": deployed.spec,
                "message": "hi",
                "thread_id": stopped["thread_id"],
                "spend_limit_usd": 0.05,
            },
        )
        refused = await session.client.call_tool(
            "send_message", {"name": deployed.spec, "message": "hi", "spend_limit_usd": 0}
        )
        return stopped, resumed, refused

    stopped, resumed, refused = over_stdio(agents_project, scenario, errlog=errlog)
    assert stopped["status"] == "budget_reached"
    assert stopped["spend_control"] == {"consumed_cents": 1, "limit_cents": 1}
    assert stopped["error"] == (
        f"session {stopped['thread_id']} reached its spend limit of $0.01 (spent $0.01); "
        "raise it with the spend_limit_usd argument (and this thread_id) or "
        "session.spend_limit_usd"
    )
    assert resumed["reply"] == "echo: hi" and resumed["spend_control"] == {
        "consumed_cents": 1,
        "limit_cents": 5,
    }
    # the input schema says gt 0: the MCP SDK refuses the call before the tool runs
    assert refused.is_error and "spend_limit_usd" in refused.content[0].text
