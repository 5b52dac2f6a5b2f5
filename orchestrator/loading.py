"""YAML to plain data, keeping the line and column of every node (JSON pointer -> position).

Safe-load semantics (no python tags), duplicate keys are errors, one document per file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from orchestrator.diagnostics import Diagnostic, error, pointer_join


@dataclass(frozen=True, slots=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


@dataclass(slots=True)
class Document:
    """A loaded YAML file: its data and where each value (and each mapping key) stands."""

    path: Path
    display: str
    data: Any
    values: dict[str, Position] = field(default_factory=dict)
    keys: dict[str, Position] = field(default_factory=dict)

    def position(self, pointer: str, *, key: bool = False) -> Position | None:
        """The position of the value at pointer (or of its key), else of the nearest parent."""
        table = self.keys if key else self.values
        probe = pointer
        while True:
            found = table.get(probe) or self.values.get(probe)
            if found is not None:
                return found
            if not probe:
                return None
            probe = probe.rsplit("/", 1)[0]

    def error_at(self, pointer: str, message: str, *, key: bool = False, hint: str | None = None) -> Diagnostic:
        where = self.position(pointer, key=key)
        return error(self.display, message, line=where.line if where else None,
                     column=where.column if where else None, pointer=pointer, hint=hint)


class LoadError(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def load_yaml_file(path: Path, display: str | None = None) -> Document:
    """Read and parse one YAML file; raise LoadError with a positioned diagnostic on failure."""
    shown = display or str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise LoadError(error(shown, "file not found")) from None
    except IsADirectoryError:
        raise LoadError(error(shown, "expected a file, found a directory")) from None
    except OSError as exc:
        raise LoadError(error(shown, f"cannot read file: {exc.strerror or exc}")) from None
    return load_yaml_bytes(raw, path, shown)


def load_yaml_bytes(raw: bytes, path: Path, display: str) -> Document:
    try:
        text = raw.decode("utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LoadError(error(display, f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                              line=line, column=column, hint="save the file as UTF-8")) from None
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        raise LoadError(error(display, "file is empty; expected a YAML mapping", line=1, column=1))
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        document = Document(path=path, display=display, data=None)
        document.data = _construct(loader, node, "", document, set())
    except yaml.composer.ComposerError as exc:
        raise LoadError(_yaml_diagnostic(display, exc, "expected one YAML document per file")) from None
    except yaml.MarkedYAMLError as exc:
        raise LoadError(_yaml_diagnostic(display, exc)) from None
    except yaml.YAMLError as exc:
        raise LoadError(error(display, f"invalid YAML: {exc}")) from None
    except RecursionError:
        raise LoadError(error(display, "YAML nesting is too deep")) from None
    finally:
        loader.dispose()
    if document.data is None:
        raise LoadError(error(display, "file is empty; expected a YAML mapping", line=1, column=1))
    return document


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml_diagnostic(display: str, exc: yaml.MarkedYAMLError, override: str | None = None) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "invalid YAML"
    if "could not determine a constructor for the tag" in problem:
        tag = problem.rsplit(" ", 1)[-1].strip("'")
        problem = f"tag `{tag}` is not allowed; specs are plain YAML (no language-specific tags)"
    if "but found another document" in str(exc):
        problem = "found a second YAML document; a spec file holds exactly one"
    elif override and "expected a single document" in str(exc):
        problem = override
    message = f"invalid YAML: {problem}"
    if exc.context and "found another document" not in str(exc):
        message += f" ({exc.context})"
    return error(display, message, line=mark.line + 1 if mark else None,
                 column=mark.column + 1 if mark else None)


def _position(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def _construct(loader: Any, node: yaml.Node, pointer: str, doc: Document, active: set[int]) -> Any:
    doc.values.setdefault(pointer, _position(node))
    if isinstance(node, yaml.MappingNode):
        if id(node) in active:
            raise yaml.constructor.ConstructorError(None, None, "recursive alias", node.start_mark)
        active.add(id(node))
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, "mapping keys must be plain scalars", key_node.start_mark)
            if key in result:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key `{key}`", key_node.start_mark)
            child = pointer_join(pointer, key)
            doc.keys[child] = _position(key_node)
            result[key] = _construct(loader, value_node, child, doc, active)
        active.discard(id(node))
        return result
    if isinstance(node, yaml.SequenceNode):
        if id(node) in active:
            raise yaml.constructor.ConstructorError(None, None, "recursive alias", node.start_mark)
        active.add(id(node))
        items = [_construct(loader, item, pointer_join(pointer, i), doc, active) for i, item in enumerate(node.value)]
        active.discard(id(node))
        return items
    value = loader.construct_object(node, deep=True)
    return value
