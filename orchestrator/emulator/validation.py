"""A small declarative checker for request bodies that answers like OpenAI's API does.

Each node checks one JSON value and raises `ApiError(400)` with `param` set to the dotted path
(`tools[0].function.name`), and a message shaped like the real API's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from orchestrator.emulator.errors import invalid

JSON_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "array": "an array",
    "object": "an object",
    "null": "null",
}


def json_type_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


# RFC 3986 `URI` (absolute, ASCII): the `format: uri` of the description, e.g. image_url.url
URI_UNRESERVED = r"A-Za-z0-9\-._~"
URI_SUB_DELIMS = r"!$&'()*+,;="
URI_PCT = r"%[0-9A-Fa-f]{2}"
URI_PCHAR = rf"(?:[{URI_UNRESERVED}{URI_SUB_DELIMS}:@]|{URI_PCT})"
URI_AUTHORITY = (
    rf"(?:(?:[{URI_UNRESERVED}{URI_SUB_DELIMS}:]|{URI_PCT})*@)?"
    rf"(?:\[[0-9A-Fa-f:.]+\]|(?:[{URI_UNRESERVED}{URI_SUB_DELIMS}]|{URI_PCT})*)(?::[0-9]*)?"
)
URI_PATTERN = re.compile(
    rf"[A-Za-z][A-Za-z0-9+.\-]*:"
    rf"(?://{URI_AUTHORITY}(?:/{URI_PCHAR}*)*|/?(?:{URI_PCHAR}+(?:/{URI_PCHAR}*)*)?)"
    rf"(?:\?(?:{URI_PCHAR}|[/?])*)?(?:#(?:{URI_PCHAR}|[/?])*)?"
)


def join_param(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


def describe_value(value: object) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


class Node(Protocol):
    nullable: bool

    def accepts_type(self, value: object) -> bool: ...

    def expected(self) -> str: ...

    def check(self, value: object, param: str) -> None: ...


def check_value(node: Node, value: object, param: str) -> None:
    """Null and type checks shared by all nodes, then the node's own rules."""
    if value is None:
        if node.nullable:
            return
        raise invalid(f"Invalid type for '{param}': expected {node.expected()}, but got null instead.", param)
    if not node.accepts_type(value):
        got = JSON_TYPE_NAMES[json_type_of(value)]
        raise invalid(
            f"Invalid type for '{param}': expected {node.expected()}, but got {got} instead.", param
        )
    node.check(value, param)


@dataclass(frozen=True, slots=True)
class Str:
    max_length: int | None = None
    min_length: int = 0
    enum: tuple[str, ...] = ()
    pattern: str | None = None
    nullable: bool = False
    uri: bool = False

    def accepts_type(self, value: object) -> bool:
        return isinstance(value, str)

    def expected(self) -> str:
        return "a string"

    def check(self, value: object, param: str) -> None:
        assert isinstance(value, str)
        if self.enum and value not in self.enum:
            supported = ", ".join(f"'{item}'" for item in self.enum)
            raise invalid(
                f"Invalid value: '{value}'. Supported values are: {supported}.", param, "invalid_value"
            )
        if self.max_length is not None and len(value) > self.max_length:
            raise invalid(
                f"Invalid '{param}': string too long. Expected a string with maximum length "
                f"{self.max_length}, but got a string with length {len(value)} instead.",
                param,
                "string_above_max_length",
            )
        if len(value) < self.min_length:
            raise invalid(
                f"Invalid '{param}': string too short. Expected a string with minimum length "
                f"{self.min_length}, but got a string with length {len(value)} instead.",
                param,
                "string_below_min_length",
            )
        if self.pattern is not None and re.fullmatch(self.pattern, value) is None:
            raise invalid(
                f"Invalid '{param}': string does not match pattern. Expected a string that matches "
                f"the pattern '{self.pattern}'.",
                param,
                "invalid_value",
            )
        if self.uri and URI_PATTERN.fullmatch(value) is None:
            raise invalid(
                f"Invalid '{param}': Expected a valid URL, but got a value with an invalid format.",
                param,
                "invalid_value",
            )


@dataclass(frozen=True, slots=True)
class Num:
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    nullable: bool = False

    def accepts_type(self, value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if isinstance(value, float) and not math.isfinite(value):
            return False
        return not self.integer or isinstance(value, int) or float(value).is_integer()

    def expected(self) -> str:
        return "an integer" if self.integer else "a number"

    def check(self, value: object, param: str) -> None:
        assert isinstance(value, int | float)
        kind = "integer" if self.integer else "decimal"
        if self.minimum is not None and value < self.minimum:
            raise invalid(
                f"Invalid '{param}': {kind} below minimum value. Expected a value >= "
                f"{self.minimum:g}, but got {value:g} instead.",
                param,
                f"{kind}_below_min_value",
            )
        if self.maximum is not None and value > self.maximum:
            raise invalid(
                f"Invalid '{param}': {kind} above maximum value. Expected a value <= "
                f"{self.maximum:g}, but got {value:g} instead.",
                param,
                f"{kind}_above_max_value",
            )


def integral(node: object, value: object) -> object:
    """An integer field given as 7.0 is stored and echoed as 7, as the API does."""
    if isinstance(node, Num) and node.integer and isinstance(value, float):
        return int(value)
    return value


@dataclass(frozen=True, slots=True)
class Bool:
    nullable: bool = False

    def accepts_type(self, value: object) -> bool:
        return isinstance(value, bool)

    def expected(self) -> str:
        return "a boolean"

    def check(self, value: object, param: str) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Arr:
    items: Node
    max_items: int | None = None
    min_items: int = 0
    nullable: bool = False

    def accepts_type(self, value: object) -> bool:
        return isinstance(value, list)

    def expected(self) -> str:
        return "an array"

    def check(self, value: object, param: str) -> None:
        assert isinstance(value, list)
        if self.max_items is not None and len(value) > self.max_items:
            raise invalid(
                f"Invalid '{param}': array too long. Expected an array with maximum length "
                f"{self.max_items}, but got an array with length {len(value)} instead.",
                param,
                "array_above_max_length",
            )
        if len(value) < self.min_items:
            raise invalid(
                f"Invalid '{param}': array too short. Expected an array with minimum length "
                f"{self.min_items}, but got an array with length {len(value)} instead.",
                param,
                "empty_array" if self.min_items == 1 else "array_below_min_length",
            )
        for index, item in enumerate(value):
            check_value(self.items, item, f"{param}[{index}]")
            value[index] = integral(self.items, item)


@dataclass(frozen=True, slots=True)
class Obj:
    """A closed object: unknown keys are rejected, as with `additionalProperties: false`."""

    props: Mapping[str, Node]
    required: tuple[str, ...] = ()
    nullable: bool = False
    closed: bool = True

    def accepts_type(self, value: object) -> bool:
        return isinstance(value, dict)

    def expected(self) -> str:
        return "an object"

    def check(self, value: object, param: str) -> None:
        assert isinstance(value, dict)
        if self.closed:
            for key in value:
                if key not in self.props:
                    raise invalid(
                        f"Unknown parameter: '{join_param(param, key)}'.",
                        join_param(param, key),
                        "unknown_parameter",
                    )
        for key in self.required:
            if key not in value:
                raise invalid(
                    f"Missing required parameter: '{join_param(param, key)}'.",
                    join_param(param, key),
                    "missing_required_parameter",
                )
        for key, node in self.props.items():
            if key in value:
                check_value(node, value[key], join_param(param, key))
                value[key] = integral(node, value[key])


@dataclass(frozen=True, slots=True)
class Map:
    """A string-keyed map such as `metadata` (16 pairs, keys <= 64) or vector-store file attributes."""

    values: Node
    max_properties: int = 16
    key_max_length: int = 64
    nullable: bool = True

    def accepts_type(self, value: object) -> bool:
        return isinstance(value, dict)

    def expected(self) -> str:
        return "an object"

    def check(self, value: object, param: str) -> None:
        assert isinstance(value, dict)
        if len(value) > self.max_properties:
            raise invalid(
                f"Invalid '{param}': too many properties. Expected an object with at most "
                f"{self.max_properties} properties, but got an object with {len(value)} properties instead.",
                param,
                "object_above_max_properties",
            )
        for key, item in value.items():
            if len(key) > self.key_max_length:
                raise invalid(
                    f"Invalid '{param}': key '{key[:80]}' too long. Expected keys with maximum length "
                    f"{self.key_max_length}, but got a key with length {len(key)} instead.",
                    param,
                    "string_above_max_length",
                )
            check_value(self.values, item, join_param(param, key))
            value[key] = integral(self.values, item)


@dataclass(frozen=True, slots=True)
class FreeObject:
    """Any JSON object (JSON Schema documents, request metadata of MCP tools)."""

    nullable: bool = False

    def accepts_type(self, value: object) -> bool:
        return isinstance(value, dict)

    def expected(self) -> str:
        return "an object"

    def check(self, value: object, param: str) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Tagged:
    """A union of objects told apart by a `type` key (tools, chunking strategies)."""

    variants: Mapping[str, Obj]
    key: str = "type"
    nullable: bool = False

    def accepts_type(self, value: object) -> bool:
        return isinstance(value, dict)

    def expected(self) -> str:
        return "an object"

    def check(self, value: object, param: str) -> None:
        assert isinstance(value, dict)
        tag_param = join_param(param, self.key)
        if self.key not in value:
            raise invalid(
                f"Missing required parameter: '{tag_param}'.", tag_param, "missing_required_parameter"
            )
        check_value(Str(enum=tuple(self.variants)), value[self.key], tag_param)
        check_value(self.variants[value[self.key]], value, param)


@dataclass(frozen=True, slots=True)
class Either:
    """One of several nodes, picked by the JSON type of the value (e.g. `"auto"` or an object)."""

    options: tuple[Node, ...]
    nullable: bool = False
    description: str = field(default="")

    def accepts_type(self, value: object) -> bool:
        return any(option.accepts_type(value) for option in self.options)

    def expected(self) -> str:
        return self.description or " or ".join(option.expected() for option in self.options)

    def check(self, value: object, param: str) -> None:
        last_error: Exception | None = None
        for option in self.options:
            if not option.accepts_type(value):
                continue
            try:
                option.check(value, param)
                return
            except Exception as error:  # try the next option of the same JSON type
                last_error = error
        assert last_error is not None
        raise last_error


def check_body(schema: Node, body: Any) -> dict[str, Any]:
    """Check a whole request body; the top level must be an object."""
    if body is None:
        raise invalid("Missing request body: this endpoint expects a JSON object.", None, "missing_body")
    if not isinstance(body, dict):
        raise invalid(
            f"Invalid type for body: expected an object, but got {JSON_TYPE_NAMES[json_type_of(body)]} instead.",
            None,
        )
    check_value(schema, body, "")
    return body
