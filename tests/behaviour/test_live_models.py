"""`orchestrator test` on a target with a real model, offline: the emulator's seeded model stand-in
(`serve --model-stand-in SEED`) over real HTTP, the real CLI and SDK; a recording proxy shows what a real
target would be sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from orchestrator.emulator import EmulatorServer
from tests.behaviour.test_orchestrator_test import analyst_project
from tests.conftest import TEST_KEY
from tests.support.projects import make_project, run_cli, write, write_spec
from tests.support.proxy import FailingProxy

SEED = 3


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    """A served emulator whose unscripted turns the model stand-in answers (a fresh counter per test)."""
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    with EmulatorServer(tmp_path / "served" / "local.db", model_stand_in=SEED) as server:
        yield server


def helper_project(root: Path, test_yaml: str, base_url: str, *, backend: str = "assistants") -> Path:
    """A project with one spec without functions (the stand-in only replies) and its test."""
    make_project(root, backend=backend, base_url=base_url)
    write_spec(root, "helper")
    write(root / "specs" / "helper-test.yaml", test_yaml)
    return root


GRADED = """
    version: 1
    kind: test
    name: helper-test
    spec: helper
    cases:
      - name: atlantis
        turns:
          - user: "What is the capital of Atlantis?"
            expect:
              - graded: 'Repeats the question: "capital of Atlantis".'
"""


def test_the_stand_in_varies_its_answers_by_run_and_repeats_them_by_seed(tmp_path: Path) -> None:
    def replies(seed: int, where: str) -> list[str]:
        with (
            EmulatorServer(tmp_path / where / "local.db", model_stand_in=seed) as server,
            openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0) as sdk,
        ):
            assistant = sdk.beta.assistants.create(model="gpt-5.4", instructions="Be brief.")
            found = []
            for _ in range(6):
                run = sdk.beta.threads.create_and_run_poll(
                    assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "/fail"}]}
                )
                assert run.status == "completed" and run.usage is not None and run.usage.total_tokens > 0
                page = sdk.beta.threads.messages.list(run.thread_id, order="desc", limit=1)
                found.append(page.data[0].content[0].text.value)
            return found

    first, again, other = replies(SEED, "a"), replies(SEED, "b"), replies(SEED + 1, "c")
    assert first == again  # deterministic per seed and run index
    assert len(set(first)) > 1 and first != other  # varies between runs and seeds
    assert all(reply.endswith("You asked: /fail") for reply in first)  # commands are the built-in model's


def test_the_stand_in_says_so_on_the_health_endpoint(stand_in: EmulatorServer) -> None:
    import urllib.request

    with urllib.request.urlopen(stand_in.root_url + "/_emulator/health") as response:
        assert json.loads(response.read()) == {"status": "ok", "model": "stand-in"}
    request = urllib.request.Request(
        stand_in.root_url + "/_emulator/faults",
        method="POST",
        data=b'{"model_stand_in": null}',
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        assert json.loads(response.read())["model_stand_in"] is None
    with urllib.request.urlopen(stand_in.root_url + "/_emulator/health") as response:
        assert json.loads(response.read()) == {"status": "ok", "model": "scripted"}


@pytest.mark.parametrize("backend", ["assistants", "agents"])
def test_on_a_stand_in_scripts_are_ignored_and_unscripted_cases_run(
    tmp_path: Path, stand_in: EmulatorServer, backend: str
) -> None:
    root = analyst_project(
        tmp_path / "p",
        """
    version: 1
    kind: test
    name: analyst-test
    spec: analyst
    cases:
      - name: kpis
        repeat: 4
        pass_at: 1
        turns:
          - user: "KPIs of store 7"
            model:
              - call: fetch_kpis
                arguments: {store_id: "7", period: week}
              - reply: "Store 7 sold 1200.5"
            expect:
              - tool_called: fetch_kpis
              - reply: {not_contains: "Store 7 sold"}
      - name: unscripted
        turns:
          - user: "Hello"
            expect:
              - reply: {not_contains: "echo:"}
""",
        backend=backend,
        base_url=stand_in.base_url,
    )
    result = run_cli(["-C", str(root), "test", "-o", "json"])
    report = json.loads(result.stdout)
    assert report["scripted_model"] is False, result.output
    kpis, unscripted = report["cases"]
    # the script said call fetch_kpis then reply "Store 7 sold 1200.5": the stand-in did neither every time
    assert kpis["status"] == "passed" and 0 < kpis["passes"] < 4 and kpis["flaky"] is True, kpis
    assert unscripted["status"] == "passed", (
        unscripted
    )  # run, not skipped, not echoed: the target has a model
    assert result.exit_code == 0, result.output


def test_a_flaky_case_reports_its_runs_and_the_run_its_cost(tmp_path: Path, stand_in: EmulatorServer) -> None:
    root = analyst_project(
        tmp_path / "p",
        """
    version: 1
    kind: test
    name: analyst-test
    spec: analyst
    cases:
      - name: kpis
        repeat: 4
        pass_at: 1
        turns:
          - user: "KPIs of store 7"
            expect:
              - tool_called: fetch_kpis
""",
        base_url=stand_in.base_url,
    )
    result = run_cli(["-C", str(root), "test"])
    assert result.exit_code == 0, result.output
    assert "PASS analyst-test > kpis (1/4 passed (flaky), pass_at 1, " in result.stdout
    assert (
        "     run 1: turn 1: `fetch_kpis` was not called (called: none) (specs/analyst-test.yaml:12)\n"
        in result.stdout
    )  # a flaky pass says why its other runs failed
    assert (
        "Tests passed: 1 passed, 0 failed, 0 skipped (1 case on target main, environment dev, against "
        "short-lived copies, est. $0.000" in result.stdout
    )


def test_fail_fast_stops_once_pass_at_is_out_of_reach(tmp_path: Path, stand_in: EmulatorServer) -> None:
    root = analyst_project(
        tmp_path / "p",
        """
    version: 1
    kind: test
    name: analyst-test
    spec: analyst
    cases:
      - name: kpis
        turns:
          - user: "KPIs of store 7"
            expect:
              - tool_called: fetch_kpis
""",
        base_url=stand_in.base_url,
    )
    result = run_cli(["-C", str(root), "test", "--repeat", "4", "--pass-at", "4", "-o", "json"])
    case = json.loads(result.stdout)["cases"][0]
    assert result.exit_code == 1 and case["repeat"] == 4 and case["pass_at"] == 4
    assert len(case["runs"]) < 4 and not case["runs"][-1]["ok"], case  # stopped at the first failure
    text = run_cli(["-C", str(root), "test", "--repeat", "4", "--pass-at", "4"]).stdout
    assert "of 4 runs, pass_at 4" in text


def test_pass_at_more_than_repeat_is_refused(tmp_path: Path, stand_in: EmulatorServer) -> None:
    root = helper_project(tmp_path / "p", GRADED, stand_in.base_url)
    result = run_cli(["-C", str(root), "test", "--repeat", "2", "--pass-at", "3"])
    assert (
        result.exit_code == 1
        and "--pass-at: 3 is more than the 2 runs of --repeat" in result.output
        and "Traceback" not in result.output
    )


@pytest.mark.parametrize("backend", ["assistants", "agents"])
def test_the_grader_passes_a_reply_that_meets_the_rubric(
    tmp_path: Path, stand_in: EmulatorServer, backend: str
) -> None:
    root = helper_project(tmp_path / "p", GRADED, stand_in.base_url, backend=backend)
    result = run_cli(["-C", str(root), "test", "-o", "json"])
    assert result.exit_code == 0, result.output
    grades = json.loads(result.stdout)["cases"][0]["runs"][0]["grades"]
    assert grades == [
        {
            "rubric": 'Repeats the question: "capital of Atlantis".',
            "pass": True,
            "score": 1.0,
            "reason": 'the output says "capital of Atlantis"',
            "line": 10,
            "model": "gpt-5.4",
        }
    ]
    text = run_cli(["-C", str(root), "test"]).stdout
    assert 'graded (specs/helper-test.yaml:10): pass 1: the output says "capital of Atlantis"' in text
    junit = run_cli(["-C", str(root), "test", "-o", "junit"]).stdout
    assert (
        '<system-out>run 1: graded (line 10): pass 1: the output says "capital of Atlantis"</system-out>'
        in junit.replace("&quot;", '"')
    )


@pytest.mark.parametrize("backend", ["assistants", "agents"])
def test_the_grader_fails_a_reply_with_the_reason(
    tmp_path: Path, stand_in: EmulatorServer, backend: str
) -> None:
    root = helper_project(
        tmp_path / "p",
        GRADED.replace('"capital of Atlantis"', '"Atlantis is fictional"'),
        stand_in.base_url,
        backend=backend,
    )
    result = run_cli(["-C", str(root), "test"])
    assert result.exit_code == 1, result.output
    assert (
        "turn 1: graded: the grader failed the reply (score 0): the output does not say "
        '"Atlantis is fictional" (specs/helper-test.yaml:10)'
    ) in result.stdout


def test_the_grader_model_and_prompt_come_from_the_test(tmp_path: Path, stand_in: EmulatorServer) -> None:
    seen: list[dict[str, Any]] = []

    def record(method: str, path: str, body: Any, headers: dict[str, str]) -> None:
        if path == "/v1/threads/runs":
            seen.append(body)

    with FailingProxy(stand_in.root_url, record) as proxy:
        root = helper_project(
            tmp_path / "p",
            GRADED.replace(
                "    cases:",
                """    grader:
      model: gpt-4o-mini
      prompt: "Rubric: <rubric>{{ rubric }}</rubric> Output: <output>{{output}}</output> Grade it."
    cases:""",
            ),
            proxy.base_url,
        )
        result = run_cli(["-C", str(root), "test", "-o", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["cases"][0]["runs"][0]["grades"][0]["model"] == "gpt-4o-mini"
    (body,) = seen
    assert body["model"] == "gpt-4o-mini" and body["tools"] == []
    assert body["response_format"]["json_schema"]["name"] == "grade"
    message = body["thread"]["messages"][0]["content"]
    assert message.startswith(
        'Rubric: <rubric>Repeats the question: "capital of Atlantis".</rubric> Output: <output>'
    )
    assert "What is the capital of Atlantis?" in message and message.endswith("</output> Grade it.")


def test_a_graded_case_stays_skipped_without_a_real_model(
    tmp_path: Path, served: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    root = helper_project(tmp_path / "p", GRADED, served.base_url)
    result = run_cli(["-C", str(root), "test"])
    assert result.exit_code == 0, result.output
    assert (
        "SKIP helper-test > atlantis: needs a real model: `graded` expectations are judged by a grader model"
        in result.stdout
    )


BUDGETED = (
    """
    version: 1
    kind: test
    name: helper-test
    spec: helper
    cases:
""".rstrip("\n")
    + "".join(
        f"""
      - name: case {n}
        turns:
          - user: "Question {n}"
            expect:
              - max_tokens: 1
"""
        for n in range(1, 4)
    )
)


def test_a_budget_the_worst_case_exceeds_is_refused_before_any_write(
    tmp_path: Path, stand_in: EmulatorServer
) -> None:
    root = helper_project(tmp_path / "p", GRADED, stand_in.base_url)
    result = run_cli(["-C", str(root), "test", "--repeat", "3", "--budget", "0.01"])
    assert result.exit_code == 1
    # 3 runs x (1 turn + 1 grade) x 4000 tokens x $15 per 1M (gpt-5.4's dearer price)
    assert "--budget $0.01: the worst case of this run is $0.36 (1 case(s), 3 run(s)" in result.stderr
    assert "short-lived" not in result.stderr and "Traceback" not in result.output
    assert live_owners_of(stand_in) == []


def test_a_run_that_spends_its_budget_stops(tmp_path: Path, stand_in: EmulatorServer) -> None:
    root = helper_project(tmp_path / "p", BUDGETED, stand_in.base_url)
    # the worst case: 3 cases x 1 token x $15 per 1M = $0.000045; every turn costs more than its max_tokens
    result = run_cli(["-C", str(root), "test", "--budget", "0.000045", "-o", "json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    statuses = [(c["case"], c["status"], c["reason"]) for c in report["cases"]]
    assert statuses[0][1] == "failed" and report["summary"]["stopped"].startswith(
        "the budget of $0.000045 is spent"
    )
    assert [s[1] for s in statuses[1:]] == ["skipped", "skipped"]
    assert all(s[2].startswith("not run: the budget of $0.000045 is spent") for s in statuses[1:])
    text = run_cli(["-C", str(root), "test", "--budget", "0.000045"]).stdout
    assert "Stopped: the budget of $0.000045 is spent" in text and "Tests FAILED" in text


def test_an_unpriced_model_cannot_keep_a_budget(tmp_path: Path, stand_in: EmulatorServer) -> None:
    root = helper_project(tmp_path / "p", GRADED, stand_in.base_url)
    write_spec(root, "helper", model="my-fine-tune")
    result = run_cli(["-C", str(root), "test", "--budget", "1"])
    assert result.exit_code == 1 and "no price is known for model `my-fine-tune`" in result.stderr


def live_owners_of(server: EmulatorServer) -> list[str]:
    with openai.OpenAI(base_url=server.base_url, api_key=TEST_KEY, max_retries=0) as sdk:
        return [a.name or "" for a in sdk.beta.assistants.list().data]


def recording(stand_in: EmulatorServer) -> tuple[FailingProxy, list[tuple[str, str, Any, dict[str, str]]]]:
    """A loopback server standing in for api.openai.com in front of the stand-in: records every request."""
    seen: list[tuple[str, str, Any, dict[str, str]]] = []

    def record(method: str, path: str, body: Any, headers: dict[str, str]) -> None:
        seen.append((method, path, body, headers))

    return FailingProxy(stand_in.root_url, record), seen


def test_what_a_real_target_is_sent(tmp_path: Path, stand_in: EmulatorServer) -> None:
    proxy, seen = recording(stand_in)
    with proxy:
        root = helper_project(
            tmp_path / "p",
            """
    version: 1
    kind: test
    name: helper-test
    spec: helper
    cases:
      - name: two turns, three times
        repeat: 3
        turns:
          - user: "Bonjour, ça va ? {{ not a template }}"
            model:
              - reply: "a script a real target must never see"
          - user: "Second question"
            expect:
              - graded: 'Says "Second question".'
""",
            proxy.base_url,
        )
        result = run_cli(["-C", str(root), "test"])
    assert result.exit_code == 0, result.output
    paths = [path for _, path, _, _ in seen]
    assert not [p for p in paths if p.startswith("/_emulator/script")]  # scripts are not sent
    assert all(p.startswith("/v1/") or p == "/_emulator/health" for p in paths)  # the probe: loopback only
    user_messages = [
        body["content"] for method, path, body, _ in seen if method == "POST" and path.endswith("/messages")
    ]
    assert user_messages == ["Bonjour, ça va ? {{ not a template }}", "Second question"] * 3  # as written
    runs = [
        path
        for method, path, _, _ in seen
        if method == "POST" and path.endswith("/runs") and path.startswith("/v1/threads/thread_")
    ]
    assert len(runs) == 6  # 3 repeats x 2 turns
    grader_runs = [body for method, path, body, _ in seen if method == "POST" and path == "/v1/threads/runs"]
    assert len(grader_runs) == 3  # one verdict per run
    for _method, path, body, headers in seen:
        assert TEST_KEY not in json.dumps(body) and TEST_KEY not in path
        assert [name for name, value in headers.items() if TEST_KEY in value] in ([], ["authorization"])
        if path.startswith("/v1/"):
            assert headers["authorization"] == f"Bearer {TEST_KEY}"
    assert TEST_KEY not in result.output


def test_agent_sessions_carry_the_budget_as_their_spend_limit(
    tmp_path: Path, stand_in: EmulatorServer
) -> None:
    proxy, seen = recording(stand_in)
    with proxy:
        root = helper_project(
            tmp_path / "p",
            BUDGETED.replace("max_tokens: 1", "max_tokens: 400"),
            proxy.base_url,
            backend="agents",
        )
        result = run_cli(["-C", str(root), "test", "--budget", "0.5", "--case", "case 1"])
    assert result.exit_code == 0, result.output
    sessions = [body for method, path, body, _ in seen if method == "POST" and path == "/v1/agents/sessions"]
    assert [body["spend_control"] for body in sessions] == [{"limit": 50}]  # cents
    assert not [p for _, p, _, _ in seen if p.startswith("/_emulator/script")]


def test_on_agents_the_grader_is_a_one_off_session_of_an_inline_agent(
    tmp_path: Path, stand_in: EmulatorServer
) -> None:
    proxy, seen = recording(stand_in)
    with proxy:
        root = helper_project(
            tmp_path / "p",
            GRADED.replace("    cases:", "    grader: {model: gpt-4o-mini}\n    cases:"),
            proxy.base_url,
            backend="agents",
        )
        result = run_cli(["-C", str(root), "test", "--budget", "0.5"])
    assert result.exit_code == 0, result.output
    created = [body for method, path, body, _ in seen if method == "POST" and path == "/v1/agents/sessions"]
    graders = [body for body in created if "agent" in body]
    assert len(created) == 2 and len(graders) == 1, created  # the case's session, the grader's
    (grader,) = graders
    assert "agent_id" not in grader and grader["environment"] == {"type": "none"}
    assert grader["agent"]["model"] == "gpt-4o-mini" and "tools" not in grader["agent"]
    assert grader["agent"]["text"]["format"]["name"] == "grade" and grader["spend_control"] == {"limit": 50}
    assert "<rubric>" in grader["input"] and "What is the capital of Atlantis?" in grader["input"]
    deleted = [
        path for method, path, _, _ in seen if method == "DELETE" and path.startswith("/v1/agents/sessions/")
    ]
    assert len(deleted) == 2  # the grader's session is deleted too


def test_a_grader_the_target_refuses_fails_the_expectation_with_the_reason(
    tmp_path: Path, stand_in: EmulatorServer
) -> None:
    from tests.support.proxy import error_body

    def refuse(method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any] | None:
        if method == "POST" and path == "/v1/threads/runs":
            return 400, error_body("The model `judge-9000` does not exist.")
        return None

    with FailingProxy(stand_in.root_url, refuse) as proxy:
        root = helper_project(
            tmp_path / "p",
            GRADED.replace("    cases:", "    grader: {model: judge-9000}\n    cases:"),
            proxy.base_url,
        )
        result = run_cli(["-C", str(root), "test"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (
        "turn 1: graded: the grader failed: the grader's request was refused (400): The model `judge-9000` "
        "does not exist."
    ) in result.stdout


def test_a_case_under_way_stops_after_the_run_that_spends_the_budget(
    tmp_path: Path, stand_in: EmulatorServer
) -> None:
    root = helper_project(tmp_path / "p", BUDGETED, stand_in.base_url)
    # the worst case: 5 runs x 1 token x $15 per 1M = $0.000075; the first run costs more
    result = run_cli(
        [
            "-C",
            str(root),
            "test",
            "--case",
            "case 1",
            "--repeat",
            "5",
            "--pass-at",
            "1",
            "--budget",
            "0.000075",
            "-o",
            "json",
        ]
    )
    assert result.exit_code == 1, result.output
    (case,) = json.loads(result.stdout)["cases"]
    assert len(case["runs"]) == 1 and case["status"] == "failed"
    assert case["reason"].startswith("the budget of $0.000075 is spent (")
    assert case["reason"].endswith(") after 1 of 5 runs (0 passed, pass_at 1)")


def test_a_bad_grader_is_a_validation_error_at_its_line(tmp_path: Path) -> None:
    root = helper_project(
        tmp_path / "p",
        GRADED.replace("    cases:", "    grader: {modle: gpt-5.4}\n    cases:"),
        "http://127.0.0.1:9/v1",
    )
    result = run_cli(["-C", str(root), "validate"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (
        "specs/helper-test.yaml:5:10: error: unknown key `modle` in `grader`; did you mean `model`?"
        in result.output
    )
