"""YAML to plain data, keeping the line and column of every node (JSON pointer -> position).

Safe-load semantics (no python tags), duplicate keys are errors, one document per file. Bounded
like kubectl's YAML parser: file size, node count, and how far aliases may expand (a "billion
laughs" document is refused in milliseconds, not after 90 s and 6 GB).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from orchestrator.diagnostics import Diagnostic, error, pointer_join, warning
from orchestrator.spec.confinement import Refused, read_bounded, read_confined

MAX_YAML_BYTES = 1024 * 1024  # a spec or project file; instructions alone are capped at 256,000 characters
MAX_YAML_VALUES = 100_000  # values after alias expansion
_PRESCAN_BYTES = 16 * 1024  # larger files have their events counted before nodes are built


@dataclass(frozen=True, slots=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


@dataclass(slots=True)
class Document:
    """A loaded YAML file: its data and where each value (and each mapping key) stands.

    The positions are found when first asked for (a diagnostic), by parsing `source` again: building
    them for every node of every spec was half the cost of loading a project that has nothing to say.
    """

    path: Path
    display: str
    data: Any
    known_values: dict[str, Position] | None = None
    known_keys: dict[str, Position] | None = None
    source: str | None = None  # the text to find positions in, until they are found
    # where the top-level values and keys stand, noted while loading (the Builder asks for `/name` of
    # every spec): no second parse for them
    top_values: dict[str, Any] | None = None  # pointer -> yaml.Mark
    top_keys: dict[str, Any] | None = None

    @property
    def values(self) -> dict[str, Position]:
        """JSON pointer -> where its value starts."""
        self._locate()
        assert self.known_values is not None
        return self.known_values

    @property
    def keys(self) -> dict[str, Position]:
        """JSON pointer -> where its mapping key starts."""
        self._locate()
        assert self.known_keys is not None
        return self.known_keys

    def _locate(self) -> None:
        if self.known_values is not None and self.known_keys is not None:
            return
        values: dict[str, Position] = {}
        keys: dict[str, Position] = {}
        if self.source is not None:
            loader = _Loader(self.source)
            try:
                _walk(loader, loader.get_single_node(), "", values, keys, set())
            except (yaml.YAMLError, RecursionError):  # cannot happen for text that loaded; no positions then
                pass
            finally:
                loader.dispose()
        self.known_values = values if self.known_values is None else self.known_values
        self.known_keys = keys if self.known_keys is None else self.known_keys
        self.source = None

    def position(self, pointer: str, *, key: bool = False) -> Position | None:
        """The position of the value at pointer (or of its key), else of the nearest parent."""
        if self.known_values is None and self.top_values is not None and pointer.count("/") <= 2:
            marks = (self.top_keys or {}) if key else self.top_values
            probe = pointer
            while True:
                mark = marks.get(probe) or self.top_values.get(probe)
                if mark is not None:
                    return Position(mark.line + 1, mark.column + 1)
                if not probe:
                    return None
                probe = probe.rsplit("/", 1)[0]
        table = self.keys if key else self.values
        probe = pointer
        while True:
            found = table.get(probe) or self.values.get(probe)
            if found is not None:
                return found
            if not probe:
                return None
            probe = probe.rsplit("/", 1)[0]

    def error_at(
        self, pointer: str, message: str, *, key: bool = False, hint: str | None = None
    ) -> Diagnostic:
        where = self.position(pointer, key=key)
        return error(
            self.display,
            message,
            line=where.line if where else None,
            column=where.column if where else None,
            pointer=pointer,
            hint=hint,
        )

    def warning_at(
        self, pointer: str, message: str, *, hint: str | None = None, code: str | None = None
    ) -> Diagnostic:
        where = self.position(pointer)
        return warning(
            self.display,
            message,
            line=where.line if where else None,
            column=where.column if where else None,
            pointer=pointer,
            hint=hint,
            code=code,
        )


class LoadError(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def load_yaml_file(
    path: Path, display: str | None = None, *, root: Path | None = None, what: str = "a YAML file"
) -> Document:
    """Read and parse one YAML file inside root; raise LoadError with a positioned diagnostic on failure.

    Without root (a file already read once through the gate) only the size is bounded.
    """
    shown = display or str(path)
    try:
        raw = (
            read_confined(path, root, limit=MAX_YAML_BYTES, what=what)
            if root is not None
            else read_bounded(path, limit=MAX_YAML_BYTES, what=what)
        )
    except Refused as exc:
        raise LoadError(error(shown, f"file {exc.reason}", hint=exc.hint)) from None
    except FileNotFoundError:
        raise LoadError(error(shown, "file not found")) from None
    except IsADirectoryError:
        raise LoadError(error(shown, "expected a file, found a directory")) from None
    except OSError as exc:
        raise LoadError(error(shown, f"cannot read file: {exc.strerror or exc}")) from None
    return load_yaml_bytes(raw, path, shown)


def locate_json(path: Path, display: str, root: Path) -> Document | None:
    """Positions of the values in a JSON file (JSON is YAML), for messages; None when it cannot be read."""
    try:
        return load_yaml_file(path, display, root=root)
    except LoadError:
        return None


def load_yaml_bytes(raw: bytes, path: Path, display: str) -> Document:
    try:
        text = raw.decode("utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LoadError(
            error(
                display,
                f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                line=line,
                column=column,
                hint="save the file as UTF-8",
            )
        ) from None
    if not text.strip():
        raise LoadError(error(display, "file is empty; expected a YAML mapping", line=1, column=1))
    if len(raw) > _PRESCAN_BYTES:
        _count_events(text, display)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:  # no document at all (only comments: whitespace alone was refused above)
            what = (
                "only comments"
                if all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines())
                else "no YAML document"
            )
            raise LoadError(error(display, f"file holds {what}; expected a YAML mapping", line=1, column=1))
        document = Document(path=path, display=display, data=None, source=text)
        if "&" in text:  # an anchor, so maybe aliases: count what they expand to
            document.data = _construct(loader, node, set(), _Budget())
        else:  # no anchor, no alias (an alias without its anchor failed to compose): every node is built once
            document.data = _construct_plain(loader, node)
        _note_top(document, node)
    except yaml.composer.ComposerError as exc:
        raise LoadError(_yaml_diagnostic(display, exc, text)) from None
    except yaml.MarkedYAMLError as exc:
        raise LoadError(_yaml_diagnostic(display, exc, text)) from None
    except yaml.YAMLError as exc:
        raise LoadError(error(display, f"invalid YAML: {exc}")) from None
    except RecursionError:
        raise LoadError(error(display, "YAML nesting is too deep")) from None
    finally:
        loader.dispose()
    if document.data is None:
        raise LoadError(error(display, "file holds only `null`; expected a YAML mapping", line=1, column=1))
    return document


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The C parser when present, with the resolver's common cases first (it runs once per node)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return _STR_TAG  # quoted or block text: a string (SafeLoader has no path resolvers)
            for tag, regexp in self.yaml_implicit_resolvers.get(value[0] if value else "", ()):
                if regexp.match(value):
                    return tag  # type: ignore[no-any-return]
            return _STR_TAG
        return _MAP_TAG if kind is yaml.MappingNode else _SEQ_TAG


assert (
    None not in _Loader.yaml_implicit_resolvers and not _Loader.yaml_path_resolvers
)  # what resolve relies on


def _count_events(text: str, display: str) -> None:
    """Refuse a document of too many nodes before any is built (events are cheap, nodes are not)."""
    loader = _Loader(text)
    count = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            count += 1
            if count > MAX_YAML_VALUES:
                mark = event.start_mark
                raise LoadError(error(display, _too_many(), line=mark.line + 1, column=mark.column + 1))
    except yaml.YAMLError:
        return  # the real parse reports it, with its position
    finally:
        loader.dispose()


def _too_many() -> str:
    return (
        f"the document has more than {MAX_YAML_VALUES:,} values; a spec or project file holds far fewer "
        "(refused to bound time and memory)"
    )


@dataclass(slots=True)
class _Budget:
    """How many values were built, and how many of them only through aliases (go-yaml's rule, as kubectl uses)."""

    values: int = 0
    aliased: int = 0
    alias_depth: int = 0
    seen: set[int] = field(default_factory=set)

    def count(self, node: yaml.Node) -> None:
        self.values += 1
        if self.alias_depth:
            self.aliased += 1
        elif self.values <= MAX_YAML_VALUES:
            return  # the common case: nothing aliased, under the limit
        if self.values > MAX_YAML_VALUES:
            raise _refuse(
                _too_many()
                if not self.aliased
                else f"YAML aliases expand this document past {MAX_YAML_VALUES:,} values; refused "
                "(an alias bomb, or aliases used far more than a spec needs)",
                node,
            )
        if (
            self.aliased > 100
            and self.values > 1000
            and self.aliased / self.values > _allowed_alias_ratio(self.values)
        ):
            raise _refuse(
                "excessive aliasing: most of this document comes from expanding aliases "
                "(refused as kubectl's YAML parser does)",
                node,
            )


def _allowed_alias_ratio(values: int) -> float:
    """go-yaml v3 (decode.go): 99% of a small document may come from aliases, 10% of a very large one."""
    low, high = 400_000, 4_000_000
    if values <= low:
        return 0.99
    if values >= high:
        return 0.10
    return 0.99 - 0.89 * (values - low) / (high - low)


# the only collection tags plain YAML needs; `!!set`, `!!omap`, `!!python/...` and custom tags are refused
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_STR_TAG = "tag:yaml.org,2002:str"
_FLATTENED_TAGS = frozenset(
    ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value")
)  # what flatten_mapping rewrites
_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null"))


def _yaml_diagnostic(display: str, exc: yaml.MarkedYAMLError, text: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    problem = (exc.problem or "invalid YAML").rstrip(".")
    context = exc.context
    hint = None
    if "could not determine a constructor for the tag" in problem:
        tag = problem.rsplit(" ", 1)[-1].strip("'")
        problem = _tag_not_allowed(tag)
        context = None
    elif "but found another document" in problem:
        problem = "found a second YAML document (`---`); a file holds exactly one"
        context = None
        hint = "move the second document into a file of its own"
    elif mark is not None and _char_at(text, mark) == "	":
        problem = "tab character in indentation; YAML indents with spaces only"
        context = None
        hint = "replace the tab with spaces"
    elif problem == "found undefined alias":
        problem = "undefined alias (`*name` needs an anchor `&name` above it)"
    message = f"invalid YAML: {problem}"
    if context:
        message += f" ({context}"
        if (
            exc.context_mark is not None
            and exc.problem_mark is not None
            and exc.context_mark.line != exc.problem_mark.line
        ):
            message += f" started at line {exc.context_mark.line + 1}, column {exc.context_mark.column + 1}"
        message += ")"
    return error(
        display,
        message,
        line=mark.line + 1 if mark else None,
        column=mark.column + 1 if mark else None,
        hint=hint,
    )


def _char_at(text: str, mark: yaml.Mark) -> str:
    lines = text.splitlines()
    if mark.line >= len(lines):
        return ""
    line = lines[mark.line]
    return line[mark.column] if mark.column < len(line) else ""


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


def _position(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def _refuse(message: str, node: yaml.Node) -> yaml.constructor.ConstructorError:
    return yaml.constructor.ConstructorError(None, None, message, node.start_mark)


def _construct(loader: Any, node: yaml.Node, active: set[int], budget: _Budget) -> Any:
    """Build plain data from node (maps, lists, str, int, float, bool, null); positions are left to _walk."""
    budget.count(node)
    if isinstance(node, yaml.ScalarNode):
        return _construct_scalar(loader, node)
    key = id(node)
    if key in budget.seen and key not in active:  # built before: this is an alias to it
        budget.alias_depth += 1
        try:
            return _construct_collection(loader, node, active, budget)
        finally:
            budget.alias_depth -= 1
    budget.seen.add(key)
    return _construct_collection(loader, node, active, budget)


def _tag_not_allowed(tag: str) -> str:
    return f"tag `{_short_tag(tag)}` is not allowed; specs are plain YAML (no language-specific tags)"


def _enter(node: yaml.Node, tag: str, active: set[int]) -> None:
    """Mark a mapping or sequence node as being built; refused when its tag is not the plain `tag`, or when it
    is being built already (an alias inside its own anchor)."""
    if node.tag != tag:
        raise _refuse(_tag_not_allowed(node.tag), node)
    if id(node) in active:
        raise _refuse("recursive alias (an anchor that contains itself)", node)
    active.add(id(node))


def _construct_collection(loader: Any, node: yaml.Node, active: set[int], budget: _Budget) -> Any:
    if isinstance(node, yaml.MappingNode):
        _enter(node, _MAP_TAG, active)
        if any(key_node.tag in _FLATTENED_TAGS for key_node, _ in node.value):
            loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        first: dict[Any, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _refuse("mapping keys must be plain scalars, not lists or mappings", key_node)
            key = key_node.value if key_node.tag == _STR_TAG else loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise _refuse("mapping keys must be plain scalars", key_node)
            if key in result:
                earlier = first[key].start_mark
                raise _refuse(
                    f"duplicate key `{key}` (first defined at line {earlier.line + 1}, "
                    f"column {earlier.column + 1})",
                    key_node,
                )
            first[key] = key_node
            result[key] = _construct(loader, value_node, active, budget)
        active.discard(id(node))
        return result
    _enter(node, _SEQ_TAG, active)
    items = [_construct(loader, item, active, budget) for item in node.value]
    active.discard(id(node))
    return items


def _construct_plain(loader: Any, node: yaml.Node) -> Any:
    """_construct for a document without anchors: no node appears twice, so there is nothing to count
    (its size is bounded by the file's: a file of more than _PRESCAN_BYTES had its events counted) and no
    alias to follow; the same data and the same refusals, at half the cost."""
    kind = type(node)
    if kind is _ScalarNode:
        return node.value if node.tag == _STR_TAG else _construct_scalar(loader, node)
    if kind is _MappingNode and node.tag == _MAP_TAG:
        pairs = node.value
        result: dict[Any, Any] = {}
        for key_node, value_node in pairs:
            if key_node.tag in _FLATTENED_TAGS:  # a merge key: build the mapping as merged, from the start
                loader.flatten_mapping(node)
                return _construct_plain(loader, node)
            if type(key_node) is not _ScalarNode:
                raise _refuse("mapping keys must be plain scalars, not lists or mappings", key_node)
            key = key_node.value if key_node.tag == _STR_TAG else loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise _refuse("mapping keys must be plain scalars", key_node)
            if key in result:
                if any(later.tag in _FLATTENED_TAGS for later, _ in pairs):  # merged first, then checked
                    loader.flatten_mapping(node)
                    return _construct_plain(loader, node)
                raise _duplicate(loader, pairs, key, key_node)
            if type(value_node) is _ScalarNode and value_node.tag == _STR_TAG:
                result[key] = value_node.value
            else:
                result[key] = _construct_plain(loader, value_node)
        return result
    if kind is _SequenceNode and node.tag == _SEQ_TAG:
        return [
            item.value
            if type(item) is _ScalarNode and item.tag == _STR_TAG
            else _construct_plain(loader, item)
            for item in node.value
        ]
    return _construct_collection(loader, node, set(), _Budget())  # a refused tag: the same message


def _duplicate(loader: Any, pairs: Any, key: Any, key_node: yaml.Node) -> Exception:
    for earlier, _ in pairs:
        if earlier is key_node:
            break
        if (earlier.value if earlier.tag == _STR_TAG else loader.construct_object(earlier, deep=True)) == key:
            mark = earlier.start_mark
            return _refuse(
                f"duplicate key `{key}` (first defined at line {mark.line + 1}, column {mark.column + 1})",
                key_node,
            )
    return _refuse(f"duplicate key `{key}`", key_node)  # pragma: no cover (an earlier key equals it)


_ScalarNode, _MappingNode, _SequenceNode = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode


def _note_top(document: Document, node: yaml.Node) -> None:
    """Where _walk would find everything at depth 0 to 2 (the root, its keys and values, and theirs): a
    spec's name and its functions are asked for every spec. Marks are kept (Positions made when asked).
    Left to the walk when a mapping at that depth has a key that is not a string (merge keys among them)."""
    values: dict[str, Any] = {"": node.start_mark}
    keys: dict[str, Any] = {}
    children = _children(node, "")
    if children is None:
        return
    for child, key_node, value_node in children:
        values[child] = value_node.start_mark
        if key_node is not None:
            keys[child] = key_node.start_mark
        inner = _children(value_node, child)
        if inner is None:
            return
        for grandchild, inner_key, inner_value in inner:
            values.setdefault(grandchild, inner_value.start_mark)
            if inner_key is not None:
                keys[grandchild] = inner_key.start_mark
    document.top_values, document.top_keys = values, keys


def _children(node: yaml.Node, pointer: str) -> list[tuple[str, yaml.Node | None, yaml.Node]] | None:
    """(pointer, key node or None, value node) of each child of a collection; None when a key is not a string."""
    kind = type(node)
    if kind is _MappingNode:
        found = []
        for key_node, value_node in node.value:
            if key_node.tag != _STR_TAG:
                return None
            key = key_node.value
            found.append(
                (
                    pointer
                    + "/"
                    + (key.replace("~", "~0").replace("/", "~1") if "~" in key or "/" in key else key),
                    key_node,
                    value_node,
                )
            )
        return found
    if kind is _SequenceNode:
        return [(f"{pointer}/{index}", None, item) for index, item in enumerate(node.value)]
    return []


def _walk(
    loader: Any,
    node: yaml.Node,
    pointer: str,
    values: dict[str, Position],
    keys: dict[str, Position],
    active: set[int],
) -> None:
    """Record where each value and key of a document that loaded stands, visiting the nodes as _construct
    does (merge keys flattened, the first position of a pointer kept)."""
    values.setdefault(pointer, _position(node))
    if isinstance(node, yaml.ScalarNode) or id(node) in active:
        return
    active.add(id(node))
    if isinstance(node, yaml.MappingNode):
        if any(key_node.tag in _FLATTENED_TAGS for key_node, _ in node.value):
            loader.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = key_node.value if key_node.tag == _STR_TAG else loader.construct_object(key_node, deep=True)
            child = pointer_join(pointer, key)
            keys[child] = _position(key_node)
            _walk(loader, value_node, child, values, keys, active)
    else:
        for index, item in enumerate(node.value):
            _walk(loader, item, pointer_join(pointer, index), values, keys, active)
    active.discard(id(node))


def _construct_scalar(loader: Any, node: yaml.Node) -> Any:
    if node.tag == _STR_TAG:
        return node.value  # the common case, without the constructor's dispatch
    if node.tag == _TIMESTAMP_TAG:
        return node.value  # a date stays the text the user wrote; JSON has no date type
    if node.tag not in _SCALAR_TAGS:
        raise _refuse(
            f"tag `{_short_tag(node.tag)}` is not allowed here; use a plain string, number, boolean or null",
            node,
        )
    value = loader.construct_object(node, deep=True)
    if isinstance(value, float) and not math.isfinite(value):
        raise _refuse(
            f"`{node.value}` is not a finite number; JSON (and the API) cannot carry NaN or infinity", node
        )
    return value
