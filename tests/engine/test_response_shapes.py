"""Unexpected responses are errors (issue 14, item 6): a hostile or broken server in front of the
emulator answers JSON 200 of the wrong shape, omits `has_more` or repeats pages. Every case is a
diagnostic naming the URL (never the key) and exit 1, nothing is planned or changed, nothing loops.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai
import pytest

from orchestrator.backends.wire import ASSISTANT, UnexpectedResponse, read_list
from orchestrator.emulator import EmulatorServer
from tests.conftest import TEST_KEY
from tests.support.live import assistants, snapshot
from tests.support.projects import Result, make_project, run_cli, write, write_spec
from tests.support.proxy import FailingProxy, Rule


def assistant(index: int) -> dict[str, Any]:
    return {
        "id": f"asst_{index:04d}",
        "object": "assistant",
        "created_at": 1_700_000_000 + index,
        "name": None,
        "description": None,
        "model": "gpt-5.4",
        "instructions": "",
        "tools": [],
        "metadata": {},
    }


class Counting:
    """A rule that answers GET /v1/assistants (lists only) with `answer(query)`, counting the calls."""

    def __init__(self, answer: Callable[[str], tuple[int, Any]], path: str = "/v1/assistants") -> None:
        self.answer = answer
        self.path = path
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any] | None:
        if method == "GET" and path == self.path:
            with self.lock:
                self.calls += 1
            return self.answer(path)
        return None


@dataclass
class Hostile:
    root: Path
    proxy: FailingProxy
    rule: Any

    def run(self, *args: str) -> Result:
        return run_cli(["-C", str(self.root), *args])


@pytest.fixture
def hostile(tmp_path: Path, served: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    opened: list[FailingProxy] = []

    def start(rule: Rule, backend: str = "assistants") -> Hostile:
        proxy = FailingProxy(served.root_url, rule).__enter__()
        opened.append(proxy)
        root = make_project(tmp_path / f"project-{len(opened)}", base_url=proxy.base_url, backend=backend)
        write_spec(root, "helper")
        return Hostile(root, proxy, rule)

    yield start
    for proxy in opened:
        proxy.__exit__(None, None, None)


def assert_refused(result: Result, url_part: str, *expected: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "This is a bug" not in result.output, result.output
    assert url_part in result.stderr, result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr
    assert TEST_KEY not in result.output
    assert "will be created" not in result.stdout  # nothing was planned from a misread listing


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"items": []}, "a JSON object with keys [items] instead of a list envelope"),
        ({}, "an empty JSON object instead of a list envelope"),
        ([], "JSON an array instead of a list envelope"),
        ({"object": "list", "data": {"id": "asst_1"}}, "instead of a list envelope"),
        ({"data": None}, "a JSON object with keys [data] instead of a list envelope"),
        ({"object": "page", "data": []}, "a JSON object with keys [data, object] instead of a list envelope"),
        (
            {"object": "list", "data": [{"id": "thread_1", "object": "thread"}], "has_more": False},
            'data[0] has `object: "thread"`; expected `assistant`',
        ),
        (
            {"object": "list", "data": [{**assistant(1), "id": "vs_1"}], "has_more": False},
            "data[0] has the id a string; expected a string starting with `asst_`",
        ),
        (
            {"object": "list", "data": [{**assistant(1), "created_at": "yesterday"}], "has_more": False},
            'has `created_at: "yesterday"`; expected unix seconds',
        ),
        (
            {"object": "list", "data": [assistant(1)], "has_more": "yes"},
            '`has_more: "yes"`; expected true or false',
        ),
        ({"object": "list", "data": [], "has_more": True}, "`has_more: true` with no objects"),
    ],
)
def test_a_listing_of_the_wrong_shape_is_an_error_naming_the_url(
    hostile: Callable[..., Hostile], sdk: openai.OpenAI, body: Any, expected: str
) -> None:
    """Before: {"items": []} (or any JSON 200 without the envelope) read as "no live objects": exit 2, all created."""
    server = hostile(Counting(lambda _: (200, body)))
    before = snapshot(sdk)
    url = f"{server.proxy.base_url}/assistants?limit=100&order=asc"
    for command in (("diff",), ("apply", "--yes"), ("list",)):
        assert_refused(server.run(*command), url, expected)
    assert snapshot(sdk) == before  # nothing created


def test_a_body_that_is_not_json_is_an_error_naming_the_url(hostile: Callable[..., Hostile]) -> None:
    server = hostile(Counting(lambda _: (200, b"<html>Sign in to the proxy</html>")))
    assert_refused(server.run("diff"), f"{server.proxy.base_url}/assistants", "not JSON (text/html)")


def test_a_server_that_omits_has_more_and_repeats_its_page_does_not_loop(
    hostile: Callable[..., Hostile],
) -> None:
    """Before: the SDK's cursor page, without has_more, asks for the next page forever."""
    page = {
        "object": "list",
        "data": [assistant(i) for i in range(100)],
    }  # a full page, no has_more, after ignored
    rule = Counting(lambda _: (200, page))
    server = hostile(rule)
    result = server.run("diff")
    assert_refused(
        result,
        "/assistants?after=asst_0099&limit=100&order=asc",
        "listed assistant asst_0000 again",
        "does not honour the `after` cursor",
    )
    assert rule.calls == 2  # read the page, read it again, stopped


def test_a_server_that_repeats_a_page_despite_has_more_true_does_not_loop(
    hostile: Callable[..., Hostile],
) -> None:
    page = {"object": "list", "data": [assistant(1), assistant(2)], "has_more": True}
    rule = Counting(lambda _: (200, page))
    assert_refused(hostile(rule).run("diff"), "after=asst_0002", "listed assistant asst_0001 again")
    assert rule.calls == 2


def test_without_has_more_the_listing_follows_the_cursor_to_an_empty_page(
    tmp_path: Path, served: EmulatorServer, sdk: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that leaves out `has_more` but pages correctly still works: 101 objects over two pages, then
    an empty one ends it, as the SDK's cursor page reads it (a short page need not be the last: a server
    may page by fewer than the `limit` asked for)."""
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    lists: list[int] = []

    def strip_has_more(method: str, path: str, status: int, body: Any) -> Any:
        if method == "GET" and path == "/v1/assistants":
            lists.append(len(body["data"]))
            body.pop("has_more")
        return body

    for index in range(101):
        sdk.beta.assistants.create(model="gpt-5.4", name=f"unmanaged-{index}")
    with FailingProxy(served.root_url, lambda *_: None, rewrite=strip_has_more) as proxy:
        root = make_project(tmp_path / "project", base_url=proxy.base_url)
        write_spec(root, "helper")
        assert run_cli(["-C", str(root), "apply", "--yes"]).exit_code == 0
        lists.clear()
        assert run_cli(["-C", str(root), "diff"]).exit_code == 0
    assert lists == [100, 2, 0]  # a full page, a short one, and the empty page that ends it


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("POST", "/v1/assistants", {}, "the response has `object: null`; expected `assistant`"),
        (
            "POST",
            "/v1/assistants",
            {"id": "asst_x", "object": "assistant.deleted"},
            'the response has `object: "assistant.deleted"`; expected `assistant`',
        ),
        (
            "POST",
            "/v1/assistants",
            [],
            "the response is JSON an array; expected an object of type `assistant`",
        ),
    ],
)
def test_a_create_answered_with_the_wrong_shape_fails_the_change(
    hostile: Callable[..., Hostile], method: str, path: str, body: Any, expected: str
) -> None:
    def rule(m: str, p: str, b: Any, h: dict[str, str]) -> tuple[int, Any] | None:
        return (200, body) if (m, p) == (method, path) else None

    server = hostile(rule)
    result = server.run("apply", "--yes")
    assert result.exit_code == 1, result.output
    assert f"FAILED to create: {server.proxy.base_url}/assistants: {expected}" in result.stdout
    assert TEST_KEY not in result.output and "Traceback" not in result.output


def test_a_delete_that_does_not_say_deleted_fails_the_change(
    hostile: Callable[..., Hostile], sdk: openai.OpenAI
) -> None:
    def rule(m: str, p: str, b: Any, h: dict[str, str]) -> tuple[int, Any] | None:
        return (200, {"deleted": False}) if m == "DELETE" else None

    server = hostile(rule)
    assert server.run("apply", "--yes").exit_code == 0
    (server.root / "specs" / "helper.yaml").unlink()
    result = server.run("apply", "--yes", "--prune")
    assert result.exit_code == 1, result.output
    assert "FAILED to delete" in result.stdout and "may not be deleted" in result.stdout
    assert len(assistants(sdk)) == 1


def test_an_agents_listing_without_the_envelope_is_an_error(hostile: Callable[..., Hostile]) -> None:
    server = hostile(Counting(lambda _: (200, {"agents": []}), path="/v1/agents"), backend="agents")
    assert_refused(
        server.run("diff"),
        f"{server.proxy.base_url}/agents?limit=100&order=asc",
        "instead of a list envelope",
    )


@pytest.mark.parametrize("path", ["/v1/vector_stores", "/v1/files"])
def test_a_knowledge_listing_without_the_envelope_is_an_error(
    hostile: Callable[..., Hostile], path: str
) -> None:
    server = hostile(Counting(lambda _: (200, {"oops": True}), path=path))
    write(server.root / "specs" / "knowledge" / "a.md", "Some knowledge.\n")
    write_spec(server.root, "helper", tools=["file_search"], knowledge={"files": ["knowledge/*.md"]})
    assert_refused(
        server.run("diff"), server.proxy.base_url + path.removeprefix("/v1"), "instead of a list envelope"
    )


# -- the paging guard as pure logic ------------------------------------------------------------


@dataclass
class FakeResponse:
    """What read_list reads of an HTTP response: its URL and JSON body."""

    body: Any
    url: str = "http://user:pw@127.0.0.1:9/v1/assistants"
    headers: dict[str, str] = field(default_factory=dict)
    status_code: int = 200

    def json(self) -> Any:
        return self.body


def test_read_list_follows_the_cursor_and_stops_on_has_more_false() -> None:
    pages = {
        None: {"object": "list", "data": [assistant(1), assistant(2)], "has_more": True},
        "asst_0002": {"object": "list", "data": [assistant(3)], "has_more": False},
    }
    seen: list[Any] = []

    def fetch(query: dict[str, Any]) -> FakeResponse:
        seen.append(query.get("after"))
        return FakeResponse(pages[query.get("after")])

    assert [item["id"] for item in read_list(fetch, ASSISTANT, page_size=2)] == [
        "asst_0001",
        "asst_0002",
        "asst_0003",
    ]
    assert seen == [None, "asst_0002"]


def test_on_page_sees_each_page_s_new_objects_once_in_order() -> None:
    pages = {
        None: {"object": "list", "data": [assistant(1), assistant(2)], "has_more": True},
        # an inclusive cursor: the page repeats the id it follows, which on_page never sees again
        "asst_0002": {"object": "list", "data": [assistant(2), assistant(3), assistant(4)], "has_more": True},
        "asst_0004": {"object": "list", "data": [], "has_more": False},
    }
    handed: list[list[str]] = []
    found = read_list(
        lambda query: FakeResponse(pages[query.get("after")]),
        ASSISTANT,
        page_size=2,
        on_page=lambda items: handed.append([item["id"] for item in items]),
    )
    assert handed == [["asst_0001", "asst_0002"], ["asst_0003", "asst_0004"]]
    assert [i for page in handed for i in page] == [item["id"] for item in found]


def test_on_page_never_sees_a_page_that_fails_its_checks() -> None:
    pages = {
        None: {"object": "list", "data": [assistant(1), assistant(2)], "has_more": True},
        "asst_0002": {"object": "list", "data": [assistant(1)], "has_more": False},
    }  # a repeat
    handed: list[list[str]] = []
    with pytest.raises(UnexpectedResponse):
        read_list(
            lambda query: FakeResponse(pages[query.get("after")]),
            ASSISTANT,
            page_size=2,
            on_page=lambda items: handed.append([item["id"] for item in items]),
        )
    assert handed == [["asst_0001", "asst_0002"]]


def test_read_list_never_names_the_password_of_the_url() -> None:
    with pytest.raises(UnexpectedResponse) as error:
        read_list(lambda query: FakeResponse({"nope": 1}), ASSISTANT, page_size=100)
    assert "http://127.0.0.1:9/v1/assistants" in str(error.value) and "pw" not in str(error.value)


def test_read_list_gives_up_after_a_bounded_number_of_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    import orchestrator.backends.wire as wire

    monkeypatch.setattr(wire, "MAX_PAGES", 5)
    counter = iter(range(10**6))

    def endless(query: dict[str, Any]) -> FakeResponse:  # always new ids, always has_more
        return FakeResponse({"object": "list", "data": [assistant(next(counter))], "has_more": True})

    with pytest.raises(UnexpectedResponse, match="still had more assistant objects after 5 pages"):
        read_list(endless, ASSISTANT, page_size=100)


# -- reading ahead with a hint: the pages read page after page, in about one round trip --------------


class PagedList:
    """A server's list as read_list sees it: `after` cursors over ids, page_size a page, every request logged."""

    def __init__(self, count: int, page_size: int = 3) -> None:
        self.ids = [assistant(n)["id"] for n in range(1, count + 1)]
        self.page_size = page_size
        self.asked: list[str | None] = []
        self.failing: set[str | None] = set()  # cursors whose first request fails
        self.lock = threading.Lock()

    def fetch(self, query: dict[str, Any]) -> FakeResponse:
        after = query.get("after")
        with self.lock:
            self.asked.append(after)
            if after in self.failing:
                self.failing.discard(after)
                raise openai.APIConnectionError(request=None)  # type: ignore[arg-type]
        start = 0 if after is None else self.ids.index(after) + 1
        page = self.ids[start : start + self.page_size]
        return FakeResponse(
            {
                "object": "list",
                "data": [assistant(int(i[5:])) for i in page],
                "has_more": start + self.page_size < len(self.ids),
            }
        )

    def read(self, hint: list[str]) -> list[str]:
        return [item["id"] for item in read_list(self.fetch, ASSISTANT, page_size=self.page_size, hint=hint)]

    def sequential(self) -> tuple[list[str], list[str | None]]:
        again = PagedList(0, self.page_size)
        again.ids = list(self.ids)
        return again.read([]), again.asked


@pytest.mark.parametrize("count", [4, 6, 7, 9, 10])
def test_a_right_hint_reads_the_same_pages_as_reading_page_after_page(count: int) -> None:
    server = PagedList(count)
    expected, requests = server.sequential()
    assert server.read(list(server.ids)) == expected == server.ids
    assert sorted(server.asked, key=str) == sorted(
        requests, key=str
    )  # each page once, none after the last id


@pytest.mark.parametrize("change", ["inserted", "deleted", "swapped", "appended", "emptied"])
def test_a_wrong_hint_still_reads_the_list_as_it_is(change: str) -> None:
    server = PagedList(10)
    hint = list(server.ids)
    if change == "inserted":  # another client created one among them: every later page boundary moves
        server.ids.insert(4, "asst_0099")
    elif change == "deleted":
        del server.ids[2]
    elif change == "swapped":  # creates answered in another order than the server made them
        server.ids[2], server.ids[3] = server.ids[3], server.ids[2]
    elif change == "appended":
        server.ids += ["asst_0097", "asst_0098"]
    else:
        server.ids = []
    expected, requests = server.sequential()
    assert server.read(hint) == expected == server.ids
    assert set(requests) <= set(
        server.asked
    )  # what page after page asks for, plus predicted pages not followed


def test_a_predicted_page_that_failed_is_asked_for_again() -> None:
    server = PagedList(9)
    server.failing = {server.ids[2]}
    assert server.read(list(server.ids)) == server.ids
    assert server.asked.count(server.ids[2]) == 2


def test_a_server_ignoring_the_cursor_is_caught_when_read_ahead_too() -> None:
    server = PagedList(9)

    def ignoring(query: dict[str, Any]) -> FakeResponse:
        return server.fetch({})

    with pytest.raises(UnexpectedResponse, match="does not honour the `after` cursor"):
        read_list(ignoring, ASSISTANT, page_size=3, hint=list(server.ids))


def test_the_hint_is_the_listing_then_the_creates_by_created_at_less_the_deletes() -> None:
    from orchestrator.backends.wire import Known

    known = Known()
    known.created("asst_early", 5)
    assert known.hint() == []  # nothing listed yet: nothing to predict from
    known.listed([{"id": "asst_a"}, {"id": "asst_b"}, {"id": "asst_c"}])
    known.created("asst_e", 12)
    known.created("asst_d", 11)
    known.created("asst_f", 12)  # the same second: in the order the answers came
    known.deleted("asst_b")
    known.deleted("asst_f")
    assert known.hint() == ["asst_a", "asst_c", "asst_d", "asst_e"]
    known.listed([{"id": "asst_c"}])
    assert known.hint() == ["asst_c"]


# -- as loose as the SDK (issue 24, item 4), as bounded as before (issue 25, item 2) ---------------------


def test_read_list_reads_a_bare_data_envelope_until_an_empty_page() -> None:
    """geki-apipi: `{"data": [...]}` only, unknown keys, pages shorter than asked; an empty page ends it."""
    pages = {
        None: {"data": [assistant(1), assistant(2)], "geki_shard": "eu-1"},
        "asst_0002": {"data": [assistant(3)]},
        "asst_0003": {"data": []},
    }
    asked: list[Any] = []

    def fetch(query: dict[str, Any]) -> FakeResponse:
        asked.append(query.get("after"))
        return FakeResponse(pages[query.get("after")])

    found = read_list(fetch, ASSISTANT, page_size=100)
    assert [item["id"] for item in found] == ["asst_0001", "asst_0002", "asst_0003"]
    assert asked == [None, "asst_0002", "asst_0003"]


def test_read_list_without_has_more_refuses_a_page_that_ignores_the_cursor() -> None:
    asked: list[Any] = []

    def fetch(query: dict[str, Any]) -> FakeResponse:
        asked.append(query.get("after"))
        return FakeResponse({"data": [assistant(1), assistant(2)]})

    with pytest.raises(UnexpectedResponse, match="listed assistant asst_0001 again"):
        read_list(fetch, ASSISTANT, page_size=100)
    assert asked == [None, "asst_0002"]


def test_read_list_gives_up_past_the_object_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    import orchestrator.backends.wire as wire

    monkeypatch.setattr(wire, "MAX_ITEMS", 5)
    counter = iter(range(10**6))

    def endless(query: dict[str, Any]) -> FakeResponse:  # three new ids a page, never has_more
        return FakeResponse({"data": [assistant(next(counter)) for _ in range(3)]})

    with pytest.raises(UnexpectedResponse) as error:
        read_list(endless, ASSISTANT, page_size=3)
    assert "GET http://127.0.0.1:9/v1/assistants listed more than 5 assistant objects" in str(error.value)
    assert next(counter) == 6  # the second page was refused before its objects were read into the list
