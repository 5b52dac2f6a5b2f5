"""The model table knows every model of the installed SDK, so a new SDK release is noticed by CI."""

from __future__ import annotations

from datetime import date
from typing import get_args

from openai.types.shared.chat_model import ChatModel

from orchestrator.spec.models import KNOWN_MODELS, close_models, is_known


def test_every_model_of_the_installed_sdk_is_in_the_table() -> None:
    assert set(get_args(ChatModel)) - KNOWN_MODELS == set()


def test_a_fine_tune_is_known_by_its_base() -> None:
    assert is_known("ft:gpt-4.1-mini:acme::abc123") and not is_known("ft:gtp-5:acme::x")


def test_typos_get_current_models_only() -> None:
    assert close_models("gtp-5", date(2026, 11, 26))[0] == "gpt-5"
    assert "gpt-4" not in close_models("gpt-4.l", date(2026, 11, 26))  # shut down on 2026-10-23
    assert close_models("llama-3-70b", date(2026, 11, 26)) == []
