"""The route table, assembled from the modules that serve endpoints. The template names the request counters.

Each module of this package that serves endpoints lists them in a module-level `ENDPOINTS` tuple of
`context.Endpoint`; this module imports every module of the package and collects them (modules in name
order, each module's endpoints in its own order), so a new kind's emulator module needs no edit here.
Such a module imports nothing of this one (`Endpoint` lives in context.py), so the modules this one
imports are complete by the time it reads them.

Which route answers a path does not depend on that order: a path parameter never matches a literal
segment that another route has at the same position under the same prefix (parameters compared as
parameters). "/v1/agents/sessions", "/v1/agents/environments" and "/v1/agents/automations" are routes of
their own, so `{agent_id}` in "/v1/agents/{agent_id}" never matches "sessions", "environments" or
"automations", whatever the method: DELETE /v1/agents/environments answers 404 "Invalid URL", never
"No agent found". With that rule two routes can only both match a path if their templates have the
same shape (the same literals, parameters at the same places) and method, which the assembly refuses.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType

from orchestrator.emulator.context import Endpoint, Handler

PARAMETER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    template: str
    handler: Handler
    pattern: re.Pattern[str]
    uploads: bool = False  # a multipart file upload: the file size limit applies, not the JSON one

    @property
    def name(self) -> str:
        """The counter key: "METHOD /v1/template" with the first path parameter shown as {id}."""
        first = PARAMETER.search(self.template)
        template = self.template.replace(first.group(0), "{id}", 1) if first else self.template
        return f"{self.method} {template}"


def shape(segments: Iterable[str]) -> tuple[str, ...]:
    """Segments with every parameter written "{}": two templates of one shape match the same paths."""
    return tuple("{}" if PARAMETER.fullmatch(segment) else segment for segment in segments)


def literals_by_prefix(templates: Iterable[str]) -> dict[tuple[str, ...], frozenset[str]]:
    """For each prefix (as a shape), the literal segments some template has right after it."""
    found: defaultdict[tuple[str, ...], set[str]] = defaultdict(set)
    for template in templates:
        segments = shape(template.split("/"))
        for position, segment in enumerate(segments):
            if segment != "{}":
                found[segments[:position]].add(segment)
    return {prefix: frozenset(words) for prefix, words in found.items()}


def compile_template(template: str, literals: dict[tuple[str, ...], frozenset[str]]) -> re.Pattern[str]:
    """The template as a pattern whose parameters refuse the literals of their position (see above)."""
    segments = template.split("/")
    parts = []
    for position, segment in enumerate(segments):
        parameter = PARAMETER.fullmatch(segment)
        if parameter is None:
            parts.append(re.escape(segment))
            continue
        words = sorted(literals.get(shape(segments[:position]), ()))
        refused = f"(?!(?:{'|'.join(map(re.escape, words))})(?:/|$))" if words else ""
        parts.append(f"(?P<{parameter.group(1)}>{refused}[^/]+)")
    return re.compile("^" + "/".join(parts) + "$")


def endpoint_modules() -> list[ModuleType]:
    """Every module of this package, in name order (this one and its importers add no endpoints)."""
    package = importlib.import_module(__package__)
    names = sorted(info.name for info in pkgutil.iter_modules(package.__path__))
    return [importlib.import_module(f"{__package__}.{name}") for name in names if name != "routes"]


def assemble(endpoints: Iterable[Endpoint]) -> tuple[Route, ...]:
    """The route table; two endpoints that would answer the same requests are a bug, refused here."""
    endpoints = tuple(endpoints)
    seen: dict[tuple[str, tuple[str, ...]], str] = {}
    for endpoint in endpoints:
        key = (endpoint.method, shape(endpoint.template.split("/")))
        if key in seen:
            raise ValueError(
                f"{endpoint.method} {endpoint.template} answers the same requests as {seen[key]}"
            )
        seen[key] = f"{endpoint.method} {endpoint.template}"
    literals = literals_by_prefix(endpoint.template for endpoint in endpoints)
    return tuple(
        Route(
            endpoint.method,
            endpoint.template,
            endpoint.handler,
            compile_template(endpoint.template, literals),
            endpoint.uploads,
        )
        for endpoint in endpoints
    )


ROUTES: tuple[Route, ...] = assemble(
    endpoint for module in endpoint_modules() for endpoint in getattr(module, "ENDPOINTS", ())
)
ROUTES_BY_METHOD: dict[str, tuple[Route, ...]] = {
    method: tuple(route for route in ROUTES if route.method == method)
    for method in sorted({route.method for route in ROUTES})
}


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for candidate in ROUTES_BY_METHOD.get(method, ()):
        found = candidate.pattern.match(path)
        if found:
            return candidate, found.groupdict()
    return None
