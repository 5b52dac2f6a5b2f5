"""Each collection is listed once per read of live state (backends.listings), through the real CLI.

An agent whose MCP tool names a vault credential, the template it runs in and an automation of both:
their kinds name one another by reading each other's listings, which the graph reads all at once. A
no-change diff or apply lists agents, vaults (and their credentials), templates and automations once
each; an apply lists them once more after its writes (the names of what it just created, and the
verification read), never from before them. Then SharedListings' rules one by one, on threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest

from orchestrator.backends.listings import SharedListings
from orchestrator.emulator import EmulatorServer
from tests.support.agent_kinds import WORK_VAULT, write_work_kinds
from tests.support.live import request_counts, reset_counts
from tests.support.projects import run_cli, run_in, write

LISTINGS = (
    "GET /v1/agents",
    "GET /v1/vaults",
    "GET /v1/vaults/{id}/credentials",
    "GET /v1/agents/environments/templates",
    "GET /v1/agents/automations",
)


@pytest.fixture
def root(agents_project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CRM_TOKEN", "crm-secret-value")
    write_work_kinds(agents_project)
    return agents_project


def counted(served: EmulatorServer, root: Path, *args: str) -> tuple[int, str, dict[str, int]]:
    """Run the CLI; its exit code, output and requests by route."""
    reset_counts(served.root_url)
    result = run_in(root, *args)
    return result.exit_code, result.output, request_counts(served.root_url)["by_route"]


def listings(counts: dict[str, int]) -> dict[str, int]:
    return {route: counts.get(route, 0) for route in LISTINGS}


def test_each_collection_is_listed_once_per_read_and_again_only_after_writes(
    root: Path, served: EmulatorServer, sdk: openai.OpenAI
) -> None:
    code, out, counts = counted(served, root, "apply", "--yes")
    assert code == 0, out
    # the vault, the template and the agent are new: the agent's credential and the automation's agent,
    # vault and template resolve to the ids made in this same apply
    vault = sdk.beta.agents.vaults.list().data[0]
    credential = sdk.beta.agents.vaults.credentials.list(vault.id).data[0]
    agent = sdk.beta.agents.list().data[0]
    template = sdk.beta.agents.environments.templates.list().data[0]
    automation = sdk.beta.agents.automations.list().data[0]
    assert next(t for t in agent.tools if t.type == "mcp").credential_id == credential.id
    assert automation.target.agent_id == agent.id and automation.target.vault_ids == [vault.id]
    assert automation.target.environment.environment_template_id == template.id
    # once for the plan, once after the writes (shared by the names resolved and the verification read)
    assert listings(counts) == dict.fromkeys(LISTINGS, 2), counts

    for command in (("diff",), ("apply", "--yes")):
        code, out, counts = counted(served, root, *command)
        assert code == 0 and "No changes" in out, out
        assert listings(counts) == dict.fromkeys(LISTINGS, 1), (command, counts)
        assert all(route.startswith("GET ") for route in counts), counts

    # the credential's settings change: it is made anew (a new id) and the agent re-pointed in the same
    # apply, resolved from a vault listing read after the vault's write, not the plan's
    write(
        root / "specs" / "crm.yaml", WORK_VAULT.replace("https://mcp.example.com", "https://mcp2.example.com")
    )
    code, out, counts = counted(served, root, "apply", "--yes")
    assert code == 0 and "agent analyst" in out, out
    renewed = sdk.beta.agents.vaults.credentials.list(vault.id).data[0]
    assert renewed.id != credential.id
    assert (
        next(t for t in sdk.beta.agents.list().data[0].tools if t.type == "mcp").credential_id == renewed.id
    )
    assert counts["GET /v1/vaults"] == 2, counts  # the plan's, and the one after the vault's write
    code, out, counts = counted(served, root, "diff")
    assert code == 0 and "No changes" in out, out


def test_every_read_of_live_state_lists_anew(root: Path, served: EmulatorServer) -> None:
    """Two reads on one connection (as watch's cycles): nothing listed by the first answers the second."""
    from orchestrator.app.live import connect, read_live
    from orchestrator.app.project import select

    assert run_cli(["-C", str(root), "apply", "--yes"]).exit_code == 0
    selection = select(root, None, None)
    with connect(selection.project, selection.target, selection.environment) as live:
        reset_counts(served.root_url)
        first, second = read_live(live), read_live(live)
    assert listings(request_counts(served.root_url)["by_route"]) == dict.fromkeys(LISTINGS, 2)
    assert [o.id for o in first.kinds["vault"].objects] == [o.id for o in second.kinds["vault"].objects]


class Fetches:
    """A listing that counts its calls; `gate`, when given, holds the first call until it is set."""

    def __init__(self, gate: threading.Event | None = None, fail_first: bool = False) -> None:
        self.calls = 0
        self.gate = gate
        self.fail_first = fail_first
        self.started = threading.Event()

    def __call__(self) -> list[int]:
        self.calls += 1
        call = self.calls
        self.started.set()
        if call == 1 and self.gate is not None:
            assert self.gate.wait(10)
        if call == 1 and self.fail_first:
            raise ConnectionError("lost")
        return [call]


def in_thread(read: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    found: list[Any] = []
    thread = threading.Thread(target=lambda: found.append(read()))
    thread.start()
    return thread, found


def test_readers_while_a_listing_is_under_way_wait_for_it_and_share_it() -> None:
    shared, gate = SharedListings(), threading.Event()
    fetch = Fetches(gate)
    owner, owned = in_thread(lambda: shared.own("vaults", fetch))
    assert fetch.started.wait(10)
    readers = [in_thread(lambda: shared.shared("vaults", fetch)) for _ in range(3)]
    gate.set()
    for thread, _ in [(owner, owned), *readers]:
        thread.join(10)
    assert fetch.calls == 1 and owned == [[1]] and all(found == [[1]] for _, found in readers)


def test_an_own_read_never_takes_a_listing_another_own_read_returned() -> None:
    shared, fetch = SharedListings(), Fetches()
    assert shared.shared("agents", fetch) == [1]
    assert shared.own("agents", fetch) == [1]  # the reference read's listing, taken once
    assert shared.own("agents", fetch) == [2]  # a verification read again: listed anew
    assert shared.shared("agents", fetch) == [2] and fetch.calls == 2


def test_a_write_drops_the_listing_and_the_one_under_way_during_it() -> None:
    shared, fetch = SharedListings(), Fetches()
    assert shared.shared("vaults", fetch) == [1]
    with shared.writing("vaults"):
        assert shared.shared("vaults", fetch) == [2]  # listed during the write ...
    assert shared.shared("vaults", fetch) == [3]  # ... is not taken after it
    with shared.writing("agents"):
        pass
    assert shared.shared("vaults", fetch) == [3] and fetch.calls == 3  # another collection's write


def test_a_new_read_lists_anew_and_a_failed_listing_is_listed_again_by_its_waiters() -> None:
    shared, fetch = SharedListings(), Fetches()
    assert shared.shared("templates", fetch) == [1]
    shared.begin_read()
    assert shared.shared("templates", fetch) == [2]

    gate = threading.Event()
    failing = Fetches(gate, fail_first=True)
    owner, owned = in_thread(lambda: _caught(lambda: shared.own("vaults", failing)))
    assert failing.started.wait(10)
    waiter, waited = in_thread(lambda: shared.shared("vaults", failing))
    gate.set()
    owner.join(10)
    waiter.join(10)
    assert isinstance(owned[0], ConnectionError) and waited == [[2]] and failing.calls == 2


def _caught(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except ConnectionError as exc:
        return exc
