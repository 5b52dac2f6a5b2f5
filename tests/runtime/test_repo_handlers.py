"""This repo's own handlers (examples/handlers) and the fresh-clone path: apply, then run on `local`."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.projects import REPO, run_cli

HANDLERS_DIR = REPO / "examples" / "handlers"


@pytest.fixture(scope="module")
def tutor() -> Iterator[Any]:
    sys.path.insert(0, str(HANDLERS_DIR))
    try:
        from tutor import handlers

        yield handlers
    finally:
        sys.path.remove(str(HANDLERS_DIR))


@pytest.fixture(scope="module")
def analyst() -> Iterator[Any]:
    sys.path.insert(0, str(HANDLERS_DIR))
    try:
        from analyst import handlers

        yield handlers
    finally:
        sys.path.remove(str(HANDLERS_DIR))


def test_generate_exercise_is_deterministic_and_fits_the_level(tutor: Any) -> None:
    first = tutor.generate_exercise(topic="subjuntivo", level="B1", kind="fill_in_the_blank", count=2)
    assert first == tutor.generate_exercise(topic="subjuntivo", level="B1", kind="fill_in_the_blank", count=2)
    assert [e["level"] for e in first["exercises"]] == ["B1", "B1"]
    assert all("___" in e["prompt"] and e["answer"] for e in first["exercises"])


def test_generate_exercise_builds_each_kind(tutor: Any) -> None:
    translation = tutor.generate_exercise(topic="por y para", level="A2", kind="translation", count=1)
    assert translation["topic"] == "por_para"
    assert translation["exercises"][0] == {
        "number": 1,
        "level": "A2",
        "prompt": "Translate into Spanish: This present is for you.",
        "answer": "Este regalo es para ti.",
        "rule": "para: destinatario",
        "translation": "This present is for you.",
    }
    choice = tutor.generate_exercise(topic="ser_estar", level="A1", kind="multiple_choice", count=3)
    for exercise in choice["exercises"]:
        assert exercise["answer"] in exercise["options"] and len(set(exercise["options"])) == 4


def test_generate_exercise_says_when_the_bank_runs_short(tutor: Any) -> None:
    result = tutor.generate_exercise(topic="vocabulario", level="C2", kind="fill_in_the_blank", count=10)
    assert (
        len(result["exercises"]) == 6 and result["note"] == "only 6 exercises are available for vocabulario"
    )


def test_generate_exercise_rejects_unknown_topics_with_the_known_ones(tutor: Any) -> None:
    with pytest.raises(ValueError, match="topics: por_para, preterito_imperfecto"):
        tutor.generate_exercise(topic="klingon", level="B1", kind="translation", count=1)


def test_assess_pronunciation_scores_and_explains_each_word(tutor: Any) -> None:
    perfect = tutor.assess_pronunciation(
        expected_text="¡Mañana voy a la playa!", transcript="mañana voy a la playa"
    )
    assert perfect["score"] == 100 and perfect["rating"] == "excellent"
    attempt = tutor.assess_pronunciation(
        expected_text="El perro de mi vecino es muy grande.", transcript="el pero de mi vecino es grande"
    )
    by_word = {f["word"]: f for f in attempt["feedback"]}
    assert by_word["perro"]["status"] == "mispronounced" and by_word["perro"]["heard"] == "pero"
    assert by_word["muy"]["status"] == "missing"
    assert attempt["tips"] == ["trill the double r (rr), as in perro"]
    assert 50 <= attempt["score"] < 100


def test_fetch_kpis_is_deterministic_sample_data(analyst: Any) -> None:
    week = analyst.fetch_kpis(store_id="S-12", period="week")
    assert week == analyst.fetch_kpis(store_id="S-12", period="week")
    month = analyst.fetch_kpis(store_id="S-12", period="month")
    assert month["footfall"] == week["footfall"] // 7 * 30
    assert "sample data" in month["source"]


def test_repo_handlers_pass_validate_handlers() -> None:
    result = run_cli(["-C", str(REPO), "validate", "--handlers"])
    assert result.exit_code == 0, result.output


def test_fresh_clone_runs_the_tutor_against_the_local_target(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    clone.mkdir()
    shutil.copy(REPO / "orchestrator.yaml", clone)
    for folder in ("specs", "templates", "schemas", "examples"):
        shutil.copytree(REPO / folder, clone / folder, ignore=shutil.ignore_patterns("__pycache__"))
    applied = run_cli(["-C", str(clone), "apply", "--yes"], env={"OPENAI_API_KEY": ""})
    assert applied.exit_code == 0, applied.output
    message = '/call generate_exercise {"topic": "subjuntivo", "level": "B1", "kind": "fill_in_the_blank", "count": 2}'
    result = run_cli(["-C", str(clone), "run", "spanish-tutor", "-m", message, "-o", "json"])
    assert result.exit_code == 0, result.output
    [call] = json.loads(result.stdout)["tool_calls"]
    assert call["ok"] is True
    assert [e["answer"] for e in json.loads(call["output"])["exercises"]] == ["vengas", "lleguemos"]
