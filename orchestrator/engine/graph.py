"""A small generic DAG of resources, walked in dependency order with bounded parallelism.

Kept apart from which nodes and edges a plan needs (as terraform's internal/dag is kept apart from its
graph builders): nodes are hashable keys, an edge `a -> b` says a depends on b (b goes first). The
walk runs each node once all it depends on are done, on at most `parallelism` threads; `reverse`
walks dependents first (deletes). `graphlib` does the ordering and reports cycles.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import Generic, TypeVar

Node = TypeVar("Node", bound=Hashable)
Result = TypeVar("Result")


class GraphCycle(ValueError):
    """References form a cycle: no order can create every resource first."""

    def __init__(self, cycle: Iterable[object]) -> None:
        self.cycle = tuple(cycle)
        super().__init__(" -> ".join(str(node) for node in self.cycle))


@dataclass(frozen=True, slots=True)
class Graph(Generic[Node]):
    """Nodes and their dependencies (`depends[a]` holds what a needs first); edges to unknown nodes are dropped."""

    nodes: tuple[Node, ...]
    depends: Mapping[Node, frozenset[Node]] = field(default_factory=dict)

    @classmethod
    def build(cls, nodes: Iterable[Node], edges: Iterable[tuple[Node, Node]]) -> Graph[Node]:
        ordered = tuple(dict.fromkeys(nodes))
        known = set(ordered)
        depends: dict[Node, set[Node]] = {node: set() for node in ordered}
        for node, needed in edges:
            if node in known and needed in known and node != needed:
                depends[node].add(needed)
        return cls(ordered, {node: frozenset(needs) for node, needs in depends.items()})

    def reversed(self) -> Graph[Node]:
        dependents: dict[Node, set[Node]] = {node: set() for node in self.nodes}
        for node, needs in self.depends.items():
            for needed in needs:
                dependents[needed].add(node)
        return Graph(self.nodes, {node: frozenset(found) for node, found in dependents.items()})

    def position(self) -> dict[Node, int]:
        return {node: index for index, node in enumerate(self.nodes)}

    def sorter(self) -> TopologicalSorter[Node]:
        sorter: TopologicalSorter[Node] = TopologicalSorter()
        position = self.position()
        for node in self.nodes:
            sorter.add(node, *sorted(self.depends.get(node, ()), key=position.__getitem__))
        try:
            sorter.prepare()
        except CycleError as exc:
            raise GraphCycle(exc.args[1]) from None
        return sorter

    def order(self) -> list[Node]:
        """One dependency order (referenced first), stable for equal graphs."""
        sorter = self.sorter()
        position = self.position()
        result: list[Node] = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready(), key=position.__getitem__)
            result.extend(ready)
            sorter.done(*ready)
        return result


def walk(
    graph: Graph[Node],
    visit: Callable[[Node], Result],
    *,
    parallelism: int = 8,
    skip: Callable[[Node, Mapping[Node, Result]], Result | None] | None = None,
) -> dict[Node, Result]:
    """Visit every node after the nodes it depends on, at most `parallelism` at once; results by node.

    `skip(node, results so far)` may return a result instead of visiting (a dependency failed), so one
    failure never stops unrelated branches.
    """
    sorter = graph.sorter()
    results: dict[Node, Result] = {}
    if parallelism <= 1:
        for node in graph.order():
            skipped = skip(node, results) if skip is not None else None
            results[node] = skipped if skipped is not None else visit(node)
        return results
    running: dict[Future[Result], Node] = {}
    position = graph.position()
    with ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="graph") as pool:
        while sorter.is_active():
            for node in sorted(sorter.get_ready(), key=position.__getitem__):
                skipped = skip(node, results) if skip is not None else None
                if skipped is not None:
                    results[node] = skipped
                    sorter.done(node)
                    continue
                running[pool.submit(visit, node)] = node
            if not running:
                continue
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                node = running.pop(future)
                results[node] = future.result()
                sorter.done(node)
    return results
