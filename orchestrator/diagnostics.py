"""Errors as values: every problem found in a run, with where it is and what was expected."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    file: str
    line: int | None
    column: int | None
    pointer: str
    message: str
    severity: Severity = Severity.ERROR
    hint: str | None = None
    # a stable identity for warnings a project may accept per environment (orchestrator.yaml `accept:`)
    code: str | None = None

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line or 0, self.column or 0, self.pointer, self.message)

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["severity"] = str(self.severity)
        if self.hint is None:
            data.pop("hint")
        if self.code is None:
            data.pop("code")
        return data

    def location(self) -> str:
        if self.line is None:
            return self.file
        if self.column is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


def error(
    file: str,
    message: str,
    *,
    line: int | None = None,
    column: int | None = None,
    pointer: str = "",
    hint: str | None = None,
) -> Diagnostic:
    return Diagnostic(file, line, column, pointer, message, Severity.ERROR, hint)


def warning(
    file: str,
    message: str,
    *,
    line: int | None = None,
    column: int | None = None,
    pointer: str = "",
    hint: str | None = None,
    code: str | None = None,
) -> Diagnostic:
    return Diagnostic(file, line, column, pointer, message, Severity.WARNING, hint, code)


UNDEPLOYED = "undeployed"  # code of a warning that a spec field is deployed without on this target


class Diagnostics:
    """An ordered, de-duplicated collection; errors fail a run, warnings do not."""

    def __init__(self, items: Iterable[Diagnostic] = ()) -> None:
        self._items: dict[Diagnostic, None] = dict.fromkeys(items)

    def add(self, item: Diagnostic) -> None:
        self._items[item] = None

    def extend(self, items: Iterable[Diagnostic]) -> None:
        for item in items:
            self._items[item] = None

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.sorted())

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self._items, key=Diagnostic.sort_key)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.sorted() if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.sorted() if d.severity is Severity.WARNING]

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self._items)


def pointer_join(pointer: str, *parts: object) -> str:
    """Extend an RFC 6901 JSON pointer."""
    for part in parts:
        pointer += "/" + str(part).replace("~", "~0").replace("/", "~1")
    return pointer
