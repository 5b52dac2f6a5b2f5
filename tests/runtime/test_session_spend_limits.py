"""Agent session spend limits (issue 24): `session.spend_limit_usd` in the spec, `--spend-limit` on run
and chat, a session that reaches its limit (exit 3, a clear message) and the server's spend in the cost
line; against the served emulator, whose built-in model charges turns at the model's price."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openai
import pytest
import yaml

from orchestrator.spec.capabilities import spend_limit_cents
from tests.runtime.conftest import Deployed, deploy_helper
from tests.support.projects import run_cli

EXPENSIVE = "/words 1000"  # 1000 output tokens of gpt-5.4: 1.5 cents, past a 1-cent limit


@pytest.fixture
def agent(agents_project: Path, package: str) -> Deployed:
    return deploy_helper(agents_project, package, kind="agent")


def set_session_settings(root: Path, settings: dict | None) -> Path:
    path = root / "specs" / "helper.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.pop("session", None)
    if settings is not None:
        data["session"] = settings
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def session_id_of(stderr: str) -> str:
    found = re.search(r"session: (sess_\w+)", stderr)
    assert found, stderr
    return found.group(1)


def test_dollars_become_whole_cents_rounded_up() -> None:
    assert (
        spend_limit_cents(2.5) == 250 and spend_limit_cents(2.51) == 251 and spend_limit_cents(2.505) == 251
    )
    assert spend_limit_cents(0.001) == 1 and spend_limit_cents(3) == 300
    for bad in (0, -1, float("inf"), float("nan"), 2_000_000, True):
        with pytest.raises(ValueError):
            spend_limit_cents(bad)


def test_run_stops_at_the_limit_with_exit_3_and_says_how_to_go_on(
    agent: Deployed, sdk: openai.OpenAI
) -> None:
    result = agent.cli("run", "helper", "-m", EXPENSIVE, "--spend-limit", "0.01")
    assert result.exit_code == 3, result.output
    assert result.stdout == ""  # the reply is withheld
    session_id = session_id_of(result.stderr)
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [
        f"error: session {session_id} reached its spend limit of $0.01 (spent $0.01); "
        "raise it with --spend-limit or session.spend_limit_usd"
    ]
    assert f"(continue with --thread {session_id})" in result.stderr
    live = sdk.beta.agents.sessions.retrieve(session_id)
    assert live.status == "budget_reached" and (live.spend_control.limit, live.spend_control.consumed) == (
        1,
        1,
    )


def test_json_output_carries_the_status_and_the_servers_spend(agent: Deployed) -> None:
    result = agent.cli("run", "helper", "-m", EXPENSIVE, "--spend-limit", "0.01", "-o", "json")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data["error"]["status"] == "budget_reached" and "spend limit of $0.01" in data["error"]["message"]
    assert data["spend_control"] == {"consumed_cents": 1, "limit_cents": 1}
    assert data["usage"]["completion_tokens"] == 1000 and data["cost_usd"] > 0.01


def test_a_paused_session_refuses_input_until_a_higher_limit_resumes_it(
    agent: Deployed, sdk: openai.OpenAI
) -> None:
    session_id = session_id_of(agent.cli("run", "helper", "-m", EXPENSIVE, "--spend-limit", "0.01").stderr)
    again = agent.cli("run", "helper", "-m", "hello", "--thread", session_id)
    assert again.exit_code == 3, again.output
    assert f"error: session {session_id} reached its spend limit of $0.01 (spent $0.01)" in again.stderr
    assert len(sdk.beta.agents.sessions.turns.list(session_id).data) == 1  # nothing was started

    resumed = agent.cli("run", "helper", "-m", "hello", "--thread", session_id, "--spend-limit", "0.05")
    assert resumed.exit_code == 0, resumed.output
    assert resumed.stdout == "echo: hello\n"
    assert re.search(
        r"^session: sess_\w+ · \d+ tokens .* · est\. \$0\.\d+ \(gpt-5\.4, prices as of [\d-]+\) "
        r"· session spend \$0\.01 of \$0\.05$",
        resumed.stderr,
        re.M,
    ), resumed.stderr
    assert sdk.beta.agents.sessions.retrieve(session_id).spend_control.limit == 5


def test_the_spec_sets_the_limit_and_the_flag_overrides_it(agent: Deployed, sdk: openai.OpenAI) -> None:
    set_session_settings(agent.root, {"spend_limit_usd": 2.505})
    result = agent.cli("run", "helper", "-m", "hi")
    assert result.exit_code == 0, result.output
    assert re.search(r"· session spend \$0\.00 of \$2\.51$", result.stderr, re.M), result.stderr
    assert sdk.beta.agents.sessions.retrieve(session_id_of(result.stderr)).spend_control.limit == 251

    flagged = agent.cli("run", "helper", "-m", "hi", "--spend-limit", "$1")
    assert flagged.exit_code == 0, flagged.output
    assert sdk.beta.agents.sessions.retrieve(session_id_of(flagged.stderr)).spend_control.limit == 100

    # continuing a session applies the spec's limit when it differs (and so resumes a paused one)
    paused = session_id_of(agent.cli("run", "helper", "-m", EXPENSIVE, "--spend-limit", "0.01").stderr)
    continued = agent.cli("run", "helper", "-m", "hello", "--thread", paused)
    assert continued.exit_code == 0, continued.output
    assert sdk.beta.agents.sessions.retrieve(paused).spend_control.limit == 251


def test_the_spend_limit_is_no_part_of_the_deployed_agent(agent: Deployed) -> None:
    set_session_settings(agent.root, {"spend_limit_usd": 7})
    result = agent.cli("diff")
    assert result.exit_code == 0, result.output  # 0: no changes
    rendered = agent.cli("render", "helper", "-o", "json")
    assert rendered.exit_code == 0 and "spend" not in rendered.stdout


def test_without_a_limit_the_cost_line_shows_the_servers_spend(agent: Deployed) -> None:
    result = agent.cli("run", "helper", "-m", EXPENSIVE)
    assert result.exit_code == 0, result.output
    assert re.search(
        r"^session: sess_\w+ · \d+ tokens \(\d+ prompt \+ 1000 completion\) · est\. \$0\.015\d+ "
        r"\(gpt-5\.4, prices as of [\d-]+\) · session spend \$0\.01$",
        result.stderr,
        re.M,
    ), result.stderr


def test_chat_reports_the_limit_and_goes_on(agent: Deployed) -> None:
    result = agent.cli("chat", "helper", "--spend-limit", "0.03", input="hi\n/words 3000\nhi\n")
    assert result.exit_code == 1, result.output
    assert result.stdout == "helper> echo: hi\n"
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and all(
        re.fullmatch(
            r"error: session sess_\w+ reached its spend limit of \$0\.03 \(spent \$0\.04\); "
            r"raise it with --spend-limit or session\.spend_limit_usd",
            line,
        )
        for line in errors
    ), errors
    assert re.search(
        r"^Session: 3 turns on session sess_\w+ · .* · session spend \$0\.04 of \$0\.03$", result.stderr, re.M
    ), result.stderr


@pytest.mark.parametrize("value", ["0", "-1", "abc", "inf", "nan", "2000000"])
def test_a_bad_spend_limit_flag_is_refused(agent: Deployed, value: str) -> None:
    result = agent.cli("run", "helper", "-m", "hi", "--spend-limit", value)
    assert result.exit_code == 1
    assert "Invalid value for '--spend-limit': expected a positive number of US dollars" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"spend_limit_usd": 0}, "`spend_limit_usd` must be greater than 0, got 0"),
        ({"spend_limit_usd": "2"}, "`spend_limit_usd` must be a number"),
        ({"spend_limit_usd": 5_000_000}, "spend_limit_usd"),
        ({"spend_limt_usd": 2}, "spend_limt_usd"),
    ],
)
def test_bad_spec_values_are_diagnosed_at_file_and_line(
    agent: Deployed, settings: dict, message: str
) -> None:
    set_session_settings(agent.root, settings)
    result = agent.cli("validate")
    assert result.exit_code == 1
    assert re.search(r"^specs/helper\.yaml:\d+:\d+: error: .*" + re.escape(message), result.output, re.M), (
        result.output
    )


def test_assistants_targets_warn_that_the_limit_has_no_counterpart(project: Path, package: str) -> None:
    deployed = deploy_helper(project, package)
    set_session_settings(project, {"spend_limit_usd": 2})
    checked = deployed.cli("validate")
    assert checked.exit_code == 0, checked.output
    assert re.search(
        r"^specs/helper\.yaml:\d+:\d+: warning: `session\.spend_limit_usd` has no counterpart on "
        r"target `\w+` \(backend: assistants\)",
        checked.output,
        re.M,
    ), checked.output
    result = deployed.cli("run", "helper", "-m", "hi", "--spend-limit", "1")
    assert result.exit_code == 0 and result.stdout == "echo: hi\n"
    assert "warning: --spend-limit has no effect on target" in result.stderr
    assert "est. $" in result.stderr  # threads report no spend: the estimate, as before
    assert run_cli(["-C", str(project), "diff"]).exit_code == 0
