"""Agents listings are read tolerantly (issue 15, item 2): an ISO-8601 `created_at`, a missing
`object`, pages without `has_more` or starting with the id they follow all read as the emulator's
own answers would, and never loop."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openai
import pytest

from orchestrator.backends.wire import AGENT, UnexpectedResponse, read_list
from orchestrator.emulator import EmulatorServer
from tests.agents.live_agents import apply_clean, cli, only_agent
from tests.conftest import TEST_KEY
from tests.support.projects import make_project, write_spec
from tests.support.proxy import FailingProxy


def loosen(item: Any) -> Any:
    """An agent as a looser compatible server writes it: ISO-8601 times, no `object`."""
    if not isinstance(item, dict) or "created_at" not in item:
        return item
    loose = {k: v for k, v in item.items() if k != "object"}
    for key in ("created_at", "updated_at"):
        loose[key] = datetime.fromtimestamp(item[key], UTC).isoformat().replace("+00:00", "Z")
    return loose


def rewrite(method: str, path: str, status: int, body: Any) -> Any:
    if (
        not path.startswith("/v1/agents")
        or path.startswith("/v1/agents/sessions")
        or not isinstance(body, dict)
    ):
        return body
    if body.get("object") == "list":
        return {
            "object": "list",
            "data": [loosen(item) for item in body["data"]],
        }  # no has_more, no first/last id
    return loosen(body)


@pytest.fixture
def loose_project(tmp_path: Path, served: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    with FailingProxy(served.root_url, lambda *args: None, rewrite) as proxy:
        yield make_project(tmp_path / "project", base_url=proxy.base_url, backend="agents")


def test_iso_times_a_missing_object_and_no_has_more_read_as_usual(
    loose_project: Path, sdk: openai.OpenAI
) -> None:
    write_spec(loose_project, "helper", reasoning_summary="auto")
    write_spec(loose_project, "other")
    apply_clean(loose_project)
    listed = cli(loose_project, "list")
    assert listed.exit_code == 0 and listed.stdout.count("in sync") == 2, listed.output
    write_spec(loose_project, "helper", reasoning_summary="concise")
    apply_clean(loose_project)
    assert only_agent(sdk, "test-project/dev/helper").reasoning.summary == "concise"


def test_a_wrong_object_is_still_refused() -> None:
    page = {"object": "list", "data": [{"id": "a1", "object": "assistant", "created_at": 1}]}
    with pytest.raises(UnexpectedResponse, match="expected `agent`"):
        read_list(lambda query: Page(page), AGENT, page_size=100)


@dataclass
class Page:
    body: Any
    url: str = "http://127.0.0.1:9/v1/agents"

    def json(self) -> Any:
        return self.body


def agent(number: int) -> dict[str, Any]:
    return {"id": f"a{number}", "created_at": "2026-12-01T10:00:00+00:00"}


def test_an_inclusive_cursor_ends_the_listing() -> None:
    """A server whose `after` includes the id itself: each page starts with the last one read."""
    pages = {None: [agent(1), agent(2)], "a2": [agent(2), agent(3)], "a3": [agent(3)]}
    asked: list[Any] = []

    def fetch(query: dict[str, Any]) -> Page:
        asked.append(query.get("after"))
        return Page({"object": "list", "data": pages[query.get("after")]})

    found = read_list(fetch, AGENT, page_size=2)
    assert [item["id"] for item in found] == ["a1", "a2", "a3"] and asked == [None, "a2", "a3"]
    assert found[0]["created_at"] == 1_796_119_200  # 2026-12-01T10:00Z


def test_a_page_repeating_only_its_cursor_with_has_more_true_is_refused() -> None:
    def fetch(query: dict[str, Any]) -> Page:
        return Page({"object": "list", "data": [agent(1)], "has_more": True})

    with pytest.raises(UnexpectedResponse, match="`has_more: true` with no objects"):
        read_list(fetch, AGENT, page_size=100)
