"""engine.graph: dependency order, reversal, cycles and the bounded parallel walk."""

from __future__ import annotations

import threading
import time

import pytest

from orchestrator.engine.graph import Graph, GraphCycle, walk


def test_order_puts_what_is_referenced_first_and_reversed_puts_it_last() -> None:
    graph = Graph.build(["agent", "env", "file"], [("agent", "env"), ("env", "file")])
    assert graph.order() == ["file", "env", "agent"]
    assert graph.reversed().order() == ["agent", "env", "file"]


def test_edges_to_unknown_nodes_are_dropped() -> None:
    assert Graph.build(["a"], [("a", "missing")]).order() == ["a"]


def test_a_cycle_is_reported_with_its_nodes() -> None:
    with pytest.raises(GraphCycle) as caught:
        Graph.build(["a", "b"], [("a", "b"), ("b", "a")]).order()
    assert set(caught.value.cycle) == {"a", "b"}


def test_walk_runs_dependencies_first_and_at_most_parallelism_at_once() -> None:
    nodes = [f"env{i}" for i in range(6)] + [f"agent{i}" for i in range(6)]
    graph = Graph.build(nodes, [(f"agent{i}", f"env{i}") for i in range(6)])
    finished: list[str] = []
    running = 0
    peak = 0
    lock = threading.Lock()

    def visit(node: str) -> str:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
            if node.startswith("agent"):
                assert f"env{node[5:]}" in finished
        time.sleep(0.01)
        with lock:
            running -= 1
            finished.append(node)
        return node.upper()

    results = walk(graph, visit, parallelism=3)
    assert results == {node: node.upper() for node in nodes}
    assert peak <= 3


def test_walk_skips_what_depends_on_a_failure_and_runs_the_rest() -> None:
    graph = Graph.build(["env", "agent", "other"], [("agent", "env")])

    def skip(node: str, done: dict[str, bool]) -> bool | None:
        return False if any(not done[d] for d in graph.depends[node] if d in done) else None

    results = walk(graph, lambda node: node != "env", parallelism=2, skip=skip)
    assert results == {"env": False, "agent": False, "other": True}
