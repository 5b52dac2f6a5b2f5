"""Pure parts of live behaviour tests: the grader's prompt and verdict, the stand-in's grades and arguments,
the worst case --budget checks."""

from __future__ import annotations

import pytest

from orchestrator import secrets
from orchestrator.errors import OrchestratorError
from orchestrator.runtime.behaviour import usd, worst_case_usd
from orchestrator.runtime.grading import DEFAULT_PROMPT, parse_verdict, render_prompt
from orchestrator.spec.test_kind import Case, Expectation, Turn


def test_the_grader_prompt_replaces_rubric_and_output_and_nothing_else() -> None:
    text = render_prompt("R={{ rubric }} O={{output}} {{ other }}", "be kind", "{{rubric}} hello")
    assert text == "R=be kind O={{rubric}} hello {{ other }}"  # the reply cannot inject the rubric again
    assert "<rubric>\nbe kind\n</rubric>" in render_prompt(None, "be kind", "x") and DEFAULT_PROMPT


def test_the_grader_prompt_never_holds_a_secret_value() -> None:
    with secrets.SecretLedger().bound():  # the test owns the run
        secrets.register_secret("hunter2-very-secret-value")
        text = render_prompt(None, "says the password", "the password is hunter2-very-secret-value")
        assert "hunter2-very-secret-value" not in text and "the password is" in text
        assert "sk-proj-" not in render_prompt(None, "r", "key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789")


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        ('{"pass": true, "score": 0.9, "reason": "fine"}', (True, 0.9, "fine")),
        ('```json\n{"pass": false, "reason": "no"}```', (False, None, "no")),
    ],
)
def test_the_grader_verdict_is_read(answer: str, verdict: tuple[bool, float | None, str]) -> None:
    assert parse_verdict(answer) == verdict


@pytest.mark.parametrize("answer", ["yes it passes", '{"pass": "yes"}', "[]"])
def test_a_grader_answer_that_is_not_a_verdict_is_an_error(answer: str) -> None:
    with pytest.raises(OrchestratorError, match="grader"):
        parse_verdict(answer)


def case(*turn_tokens: int | None, repeat: int | None = None, graded: int = 0) -> Case:
    turns = []
    for tokens in turn_tokens:
        expect = [Expectation("max_tokens", tokens, {}, "/x")] if tokens is not None else []
        expect += [Expectation("graded", "r", {}, "/x")] * graded
        turns.append(Turn("hi", None, tuple(expect)))
    return Case("c", tuple(turns), repeat=repeat)


def test_the_worst_case_of_a_run() -> None:
    # gpt-5.4 costs $15 per 1M output tokens, the dearer of its two prices
    assert worst_case_usd([(case(None), "gpt-5.4", "gpt-5.4")], repeat=None, turn_tokens=1000) == (0.015, [])
    assert (
        worst_case_usd([(case(100, None, repeat=2), "gpt-5.4", "x")], repeat=None, turn_tokens=1000)[0]
        == 0.033
    )
    assert (
        worst_case_usd([(case(100, graded=1), "gpt-5.4", "gpt-5.4")], repeat=3, turn_tokens=1000)[0] == 0.009
    )
    # the grader's turns at the grader's price: gpt-4o-mini, $0.60 per 1M
    assert (
        worst_case_usd([(case(100, graded=1), "gpt-5.4", "gpt-4o-mini")], repeat=1, turn_tokens=1)[0]
        == 0.001560
    )
    assert worst_case_usd(
        [(case(1), "mine", "mine"), (case(1), "gpt-5.4", "gpt-5.4")], repeat=None, turn_tokens=1
    ) == (0.000015, ["mine"])
    assert worst_case_usd([(case(1, graded=1), "gpt-5.4", "judge")], repeat=None, turn_tokens=1)[1] == [
        "judge"
    ]
    assert (usd(0.5), usd(0.000045), usd(2.0)) == ("0.5", "0.000045", "2")
