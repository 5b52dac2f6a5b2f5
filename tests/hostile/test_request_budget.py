"""One request budget for every server the CLI talks to (issue 25, item 2).

A hostile server (tests/hostile/servers.py) on loopback tries to keep `diff` reading forever: a listing
that never ends (repro 12: 1,877 requests and 488 MB at 90 s), a 700 MB body (repro 13: 1.8 GB peak), an
answer trickled a byte at a time (repro 14: still waiting at 90 s with `timeout: 20, max_retries: 1`).
Each now ends with exit 1 and a diagnostic naming the URL and the bound. The real CLI runs in a child
process (bounded.run_measured); the tests assert on what the server counted (requests, bytes sent) and
peak memory, with only a generous bound on time.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orchestrator.backends.budget import MAX_ITEMS, MAX_PAGES, MAX_RESPONSE_BYTES
from tests.conftest import TEST_KEY
from tests.hostile.servers import CHUNK, HostileServer
from tests.support.processes import Measured, run_measured
from tests.support.projects import make_project, run_cli, write_spec

PEAK_MB = 500.0
SECONDS = 60.0  # generous: the child is killed past it, and the test fails


def project(tmp_path: Path, base_url: str, **target: object) -> Path:
    root = make_project(tmp_path / "project", base_url=base_url)
    config = yaml.safe_load((root / "orchestrator.yaml").read_text())
    config["targets"]["main"].update(target)
    (root / "orchestrator.yaml").write_text(yaml.safe_dump(config))
    write_spec(root, "helper")
    return root


def diff(root: Path) -> Measured:
    return run_measured(["-C", str(root), "diff"], timeout=SECONDS, env={"TEST_ORCHESTRATOR_KEY": TEST_KEY})


def assert_refused(result: Measured, server: HostileServer, *expected: str) -> None:
    assert result.exit_code == 1, f"exit {result.exit_code} after {result.seconds:.1f} s: {result.output}"
    assert "Traceback" not in result.output and TEST_KEY not in result.output, result.output
    assert server.base_url + "/assistants" in result.stderr, result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr
    assert result.peak_mb < PEAK_MB, f"{result.peak_mb:.0f} MB"
    assert "will be created" not in result.stdout


def test_a_listing_that_never_ends_is_cut_at_the_page_bound(tmp_path: Path) -> None:
    """Repro 12: `has_more: true` forever, with new ids on every page."""
    with HostileServer("endless", per_page=100) as server:
        result = diff(project(tmp_path, server.base_url))
    assert_refused(result, server, f"after {MAX_PAGES:,} pages (the bound of one listing)")
    assert server.requests == MAX_PAGES


def test_a_listing_of_huge_pages_is_cut_at_the_object_bound(tmp_path: Path) -> None:
    """The same, from a server that ignores `limit` and sends 10,000 objects a page."""
    with HostileServer("endless", per_page=10_000) as server:
        result = diff(project(tmp_path, server.base_url))
    assert_refused(result, server, f"more than {MAX_ITEMS:,} assistant objects (the bound of one listing)")
    assert server.requests == MAX_ITEMS // 10_000 + 1


@pytest.mark.parametrize("behaviour", ["huge", "huge-declared"])
def test_a_huge_body_is_refused_at_the_size_bound(tmp_path: Path, behaviour: str) -> None:
    """Repro 13: a 700 MB answer, streamed without a length or declared up front; never retried."""
    with HostileServer(behaviour, size=700 * CHUNK) as server:
        result = diff(project(tmp_path, server.base_url, max_retries=2))
    detail = "declared 734,003,200 bytes" if behaviour == "huge-declared" else "more was sent"
    assert_refused(result, server, f"body over the bound of {MAX_RESPONSE_BYTES:,} bytes ({detail})")
    assert server.requests == 1
    assert (
        server.bytes_sent < MAX_RESPONSE_BYTES + 64 * CHUNK
    )  # what the sockets buffer past the bound at most


@pytest.mark.parametrize("behaviour", ["trickle", "trickle-headers"])
def test_a_trickled_answer_is_cut_at_the_deadline(tmp_path: Path, behaviour: str) -> None:
    """Repro 14: a byte every 0.2 s restarts every read timeout; the deadline is for the whole request."""
    with HostileServer(behaviour, interval=0.2) as server:
        result = diff(project(tmp_path, server.base_url, timeout=2, max_retries=1))
    assert_refused(result, server, "was not answered in full within its deadline of 2 s")
    # a deadline is a timeout: retried as the target says (max_retries: 1), each attempt cut at 2 s
    assert server.requests == 2
    assert server.bytes_sent < 2 * (2 / 0.2 + 2)


def test_a_proxy_from_the_environment_is_held_to_the_same_budget(tmp_path: Path) -> None:
    """HTTP_PROXY makes httpx send through a transport of its own: it is wrapped like the direct one."""
    with HostileServer("huge", size=700 * CHUNK) as proxy:
        root = project(tmp_path, "http://192.0.2.1:9/v1", max_retries=0)  # reached only through the proxy
        result = run_measured(
            ["-C", str(root), "diff"],
            timeout=SECONDS,
            env={
                "TEST_ORCHESTRATOR_KEY": TEST_KEY,
                "HTTP_PROXY": proxy.base_url.removesuffix("/v1"),
                "NO_PROXY": "",
                "no_proxy": "",
            },
        )
    assert result.exit_code == 1, result.output
    assert (
        "GET http://192.0.2.1:9/v1/assistants?limit=100&order=asc answered with a body over the bound"
        in result.stderr
    ), result.stderr
    assert proxy.requests == 1 and proxy.bytes_sent < MAX_RESPONSE_BYTES + 64 * CHUNK
    assert result.peak_mb < PEAK_MB, f"{result.peak_mb:.0f} MB"


def test_every_client_of_a_connection_shares_the_budgeted_transport(tmp_path: Path) -> None:
    """Assistants, agents, files, vector stores and the runtime all use Connection.sdk or its with_options
    copies: they share one HTTP client, whose transport holds every request to the budget."""
    from orchestrator.backends.connection import Connection
    from orchestrator.backends.transport import Budgeted
    from orchestrator.spec.project import load_project

    with HostileServer("endless") as server:
        root = project(tmp_path, server.base_url, timeout=7)
        loaded, _ = load_project(root)
        assert loaded is not None
        with Connection(
            loaded, loaded.targets["main"], environ={"TEST_ORCHESTRATOR_KEY": TEST_KEY}
        ) as connection:
            copy = connection.sdk.with_options(max_retries=0)
            assert copy._client is connection.sdk._client
            assert isinstance(connection.sdk._client._transport, Budgeted)
            assert connection.sdk._client._transport._timeout == 7


def test_an_apply_whose_create_answers_a_huge_body_fails_that_change(tmp_path: Path) -> None:
    """Writes are held to the same budget: the change fails with the bound named, nothing hangs."""
    with HostileServer("huge", size=100 * CHUNK, methods=("POST",)) as server:
        root = project(tmp_path, server.base_url, max_retries=0)
        result = run_cli(["-C", str(root), "apply", "--yes"], env={"TEST_ORCHESTRATOR_KEY": TEST_KEY})
    assert result.exit_code == 1, result.output
    assert (
        f"POST {server.base_url}/assistants answered with a body over the bound of {MAX_RESPONSE_BYTES:,} bytes"
        in result.output
    ), result.output
    assert server.requests == 1 and TEST_KEY not in result.output
