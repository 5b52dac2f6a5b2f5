"""Function bindings: import the handlers a spec names, check their signatures, and invoke them safely.

This is the only module that imports handler code. `validate` and `diff` never reach it (they run on
untrusted pull requests) except `validate --handlers`, which asks for exactly that.
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
import importlib
import inspect
import json
import logging
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator import secrets
from orchestrator.diagnostics import Diagnostic, Severity
from orchestrator.engine.desired import DesiredSpec, DesiredState, FunctionSpec
from orchestrator.spec.project import Project

log = logging.getLogger(__name__)

# The `type` of the error object a tool call returns to the model instead of crashing the turn.
INVALID_JSON = "invalid_json"
INVALID_ARGUMENTS = "invalid_arguments"
UNKNOWN_FUNCTION = "unknown_function"
HANDLER_UNAVAILABLE = "handler_unavailable"
HANDLER_ERROR = "handler_error"
TIMEOUT = "timeout"
OUTPUT_TOO_LARGE = "output_too_large"

MAX_SCHEMA_ERRORS = 5
MAX_OUTPUT_CHARS = 512 * 1024  # a tool output sent to the model; larger ones become an error object
MAX_PRINTED_CHARS = 16 * 1024  # what a handler printed, kept to be shown on stderr


@dataclass(frozen=True, slots=True)
class Invocation:
    """What one tool call produced: the output string sent back to the model, and whether it is an error."""

    output: str
    ok: bool
    error_type: str | None = None
    error_message: str | None = None
    printed: str = ""  # what the handler wrote to stdout or stderr while it ran (redacted, bounded)


def failure(error_type: str, message: str) -> Invocation:
    """An error object returned to the model as the tool output: {"error": {"type", "message"}}; the
    message is redacted (it may quote an exception of handler code)."""
    message = secrets.redact(message)
    body = {"error": {"type": error_type, "message": message}}
    return Invocation(
        json.dumps(body, ensure_ascii=False), ok=False, error_type=error_type, error_message=message
    )


def encode_output(value: Any) -> str:
    """Tool outputs are strings: text passes through, anything else becomes JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


# -- import path -------------------------------------------------------------------------------


def search_path(project: Project) -> list[Path]:
    """The folders handlers are imported from: the project root first, then python_path, no repeats."""
    folders: list[Path] = []
    for folder in (project.root, *project.python_path):
        if folder not in folders:
            folders.append(folder)
    return folders


_import_lock = threading.RLock()  # sys.path is one per process: one import of handlers at a time


@contextmanager
def import_path(project: Project) -> Iterator[None]:
    """Prepend the project's folders to sys.path while importing handlers; restore it afterwards. Held under
    a lock: two threads loading handlers at once (parallel test cases) would otherwise restore each other's
    saved path in the middle of an import, and one would not find its module."""
    with _import_lock:
        saved = list(sys.path)
        sys.path[:0] = [str(folder) for folder in search_path(project)]
        importlib.invalidate_caches()
        try:
            yield
        finally:
            sys.path[:] = saved


# -- loading -----------------------------------------------------------------------------------


class LoadProblem(Exception):
    """A handler reference that cannot be turned into a callable; the message says why."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def load_handler(reference: str, project: Project) -> Callable[..., Any]:
    """Import `package.module:function` (with the project's folders on sys.path) and return the callable."""
    module_name, _, attribute = reference.partition(":")
    with import_path(project):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
                folders = ", ".join(_shown(project, f) for f in search_path(project))
                raise LoadProblem(
                    f"module `{module_name}` not found (searched {folders})",
                    hint="add the folder that holds the package to `python_path` in orchestrator.yaml",
                ) from None
            raise LoadProblem(f"importing `{module_name}` failed: {exc}") from None
        except Exception as exc:  # any error in user code becomes a diagnostic
            raise LoadProblem(f"importing `{module_name}` failed: {type(exc).__name__}: {exc}") from None
    try:
        handler = getattr(module, attribute)
    except AttributeError:
        names = [n for n in dir(module) if not n.startswith("_")]
        close = difflib.get_close_matches(attribute, names, n=1, cutoff=0.6)
        raise LoadProblem(
            f"module `{module_name}` has no attribute `{attribute}`",
            hint=f"did you mean `{module_name}:{close[0]}`?" if close else None,
        ) from None
    if not callable(handler):
        raise LoadProblem(f"`{reference}` is a {type(handler).__name__}, not a callable")
    return handler


def _shown(project: Project, folder: Path) -> str:
    shown = project.display(folder)
    return "the project root" if shown == "." else shown


def signature_problems(
    handler: Callable[..., Any], parameters: Mapping[str, Any]
) -> list[tuple[Severity, str]]:
    """Can the handler be called with keyword arguments matching the schema? Errors and warnings."""
    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):
        return [(Severity.WARNING, "its signature cannot be inspected; arguments are not checked")]
    properties = dict(parameters.get("properties") or {})
    required = set(parameters.get("required") or ())
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())
    accepted: set[str] = set()
    problems: list[tuple[Severity, str]] = []
    for param in signature.parameters.values():
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        has_default = param.default is not inspect.Parameter.empty
        if param.kind is inspect.Parameter.POSITIONAL_ONLY:
            if not has_default:
                problems.append(
                    (
                        Severity.ERROR,
                        f"parameter `{param.name}` is positional-only without a default; "
                        "handlers are called with keyword arguments",
                    )
                )
            continue
        accepted.add(param.name)
        if has_default:
            continue
        if param.name not in properties:
            problems.append(
                (
                    Severity.ERROR,
                    f"parameter `{param.name}` has no default and is not a property "
                    "of the function's parameters schema",
                )
            )
        elif param.name not in required:
            problems.append(
                (
                    Severity.WARNING,
                    f"parameter `{param.name}` has no default but the schema does not "
                    "require it: a call without it will fail",
                )
            )
    if not accepts_any:
        for name in properties:
            if name not in accepted:
                close = difflib.get_close_matches(name, sorted(accepted), n=1, cutoff=0.6)
                suggestion = f" (a parameter is named `{close[0]}`)" if close else ""
                problems.append(
                    (
                        Severity.ERROR,
                        f"it does not accept the schema property `{name}`{suggestion}; "
                        "add a parameter or **kwargs",
                    )
                )
    return problems


# -- the registry ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoundFunction:
    spec: FunctionSpec
    handler: Callable[..., Any] | None
    problem: str | None = None  # why the handler is unavailable (None when loaded)


class FunctionRegistry:
    """The functions of one spec with their handlers; invoke() never raises for a bad call."""

    def __init__(self, functions: Mapping[str, BoundFunction]) -> None:
        self.functions = dict(functions)
        self._validators: dict[str, Any] = {}

    @classmethod
    def from_spec(cls, spec: DesiredSpec, project: Project) -> FunctionRegistry:
        bound: dict[str, BoundFunction] = {}
        for function in spec.functions:
            if function.handler is None:
                bound[function.name] = BoundFunction(
                    function, None, f"no handler is bound to this function in {spec.file}"
                )
                continue
            try:
                bound[function.name] = BoundFunction(function, load_handler(function.handler, project))
            except LoadProblem as problem:
                bound[function.name] = BoundFunction(
                    function, None, f"handler `{function.handler}`: {problem.message}"
                )
        return cls(bound)

    @classmethod
    def from_callables(
        cls,
        handlers: Mapping[str, Callable[..., Any]],
        parameters: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> FunctionRegistry:
        """A registry from plain callables (applications and tests that bind handlers in code)."""
        bound = {}
        for name, handler in handlers.items():
            schema = (parameters or {}).get(name) or {"type": "object", "properties": {}}
            spec = FunctionSpec(name, "", schema, False, None, "", None)
            bound[name] = BoundFunction(spec, handler)
        return cls(bound)

    def problems(self) -> dict[str, str]:
        """Functions whose handler could not be loaded, with the reason."""
        return {name: f.problem for name, f in sorted(self.functions.items()) if f.problem is not None}

    def invoke(self, name: str, arguments: str) -> Invocation:
        """Parse, validate and run one call; every failure becomes an error object for the model."""
        bound = self.functions.get(name)
        if bound is None:
            known = ", ".join(sorted(self.functions)) or "none"
            return failure(UNKNOWN_FUNCTION, f"unknown function `{name}` (known: {known})")
        try:
            values = json.loads(arguments) if arguments.strip() else {}
        except ValueError as exc:
            return failure(INVALID_JSON, f"arguments are not valid JSON: {exc}")
        violations = self._violations(name, bound.spec.parameters, values)
        if violations:
            return failure(INVALID_ARGUMENTS, "; ".join(violations))
        if not isinstance(values, dict):
            return failure(INVALID_ARGUMENTS, "arguments must be a JSON object")
        if bound.handler is None:
            return failure(HANDLER_UNAVAILABLE, bound.problem or "no handler")
        with captured_output() as printed:
            invocation = _call(name, bound.handler, values)
        return dataclasses.replace(invocation, printed=printed.text())

    def _violations(self, name: str, schema: Mapping[str, Any], values: Any) -> list[str]:
        from jsonschema.validators import validator_for

        validator = self._validators.get(name)
        if validator is None:
            validator = validator_for(schema)(schema)
            self._validators[name] = validator
        errors = sorted(validator.iter_errors(values), key=lambda e: [str(p) for p in e.absolute_path])
        shown = [f"at {_pointer(e.absolute_path)}: {e.message}" for e in errors[:MAX_SCHEMA_ERRORS]]
        if len(errors) > MAX_SCHEMA_ERRORS:
            shown.append(f"and {len(errors) - MAX_SCHEMA_ERRORS} more")
        return shown


def _call(name: str, handler: Callable[..., Any], values: dict[str, Any]) -> Invocation:
    """Run the handler; what leaves for the model is redacted and bounded, errors included."""
    try:
        result = handler(**values)
        if inspect.isawaitable(result):
            result = asyncio.run(_awaited(result))
        output = encode_output(result)
    except (Exception, SystemExit) as exc:  # handler errors go back to the model
        log.debug("handler of %s raised", name, exc_info=True)
        return failure(HANDLER_ERROR, f"{type(exc).__name__}: {exc}")
    if len(output) > MAX_OUTPUT_CHARS:
        return failure(
            OUTPUT_TOO_LARGE,
            f"the handler returned {len(output):,} characters; at most "
            f"{MAX_OUTPUT_CHARS:,} are sent to the model",
        )
    return Invocation(secrets.redact(output), ok=True)


# -- what handlers print -------------------------------------------------------------------------


class Printed:
    """What one handler call wrote to sys.stdout or sys.stderr, bounded; text() is redacted."""

    def __init__(self, limit: int = MAX_PRINTED_CHARS) -> None:
        self._parts: list[str] = []
        self._size = 0
        self._dropped = 0
        self._limit = limit

    def write(self, text: str) -> int:
        room = self._limit - self._size
        if room > 0:
            self._parts.append(text[:room])
            self._size += min(len(text), room)
        self._dropped += max(len(text) - max(room, 0), 0)
        return len(text)

    def text(self) -> str:
        text = "".join(self._parts)
        if self._dropped:
            text += f"\n… ({self._dropped:,} more characters)"
        return secrets.redact(text)


_captures: dict[int, Printed] = {}  # thread id -> the capture of the handler call it runs
_captures_lock = threading.Lock()


class _Routed:
    """Stands in for sys.stdout / sys.stderr while handlers run: a thread running a handler writes into
    its own capture; every other thread (the CLI, the MCP server, a thread a handler started) writes where
    it always did, through the redactor (what the CLI writes already passed it: a no-op then)."""

    def __init__(self, original: Any) -> None:
        self.original = original

    def write(self, text: str) -> int:
        capture = _captures.get(threading.get_ident())
        if capture is None:  # a thread a handler started is not told apart: at least redacted and escaped
            self.original.write(secrets.shown(text))
            return len(text)
        return capture.write(text)

    def flush(self) -> None:
        if threading.get_ident() not in _captures:
            self.original.flush()

    def isatty(self) -> bool:
        return threading.get_ident() not in _captures and bool(self.original.isatty())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


@contextmanager
def captured_output() -> Iterator[Printed]:
    """Route this thread's writes to sys.stdout and sys.stderr into a Printed while the block runs: on
    `orchestrator mcp` stdout is the protocol, and on run it is the reply; what handlers print is shown
    on stderr, redacted, by the caller."""
    printed = Printed()
    ident = threading.get_ident()
    with _captures_lock:
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if not isinstance(stream, _Routed):
                setattr(sys, name, _Routed(stream))
        _captures[ident] = printed
    try:
        yield printed
    finally:
        with _captures_lock:
            _captures.pop(ident, None)
            if not _captures:  # a hung handler keeps the routing in place, harmlessly
                for name in ("stdout", "stderr"):
                    stream = getattr(sys, name)
                    if isinstance(stream, _Routed):
                        setattr(sys, name, stream.original)


async def _awaited(value: Any) -> Any:
    return await value


def _pointer(path: Any) -> str:
    parts = [str(p) for p in path]
    return "/" + "/".join(parts) if parts else "/"


# -- validate --handlers -----------------------------------------------------------------------


def check_handlers(state: DesiredState) -> list[Diagnostic]:
    """Import every bound handler and check it against its function's schema (validate --handlers)."""
    from orchestrator.spec.loading import Document, LoadError, load_yaml_file

    found: list[Diagnostic] = []
    for spec in state.specs.values():
        document: Document | None
        try:
            document = load_yaml_file(spec.path, spec.file)
        except LoadError:
            document = None
        for function in spec.functions:
            found.extend(_check_function(state.project, spec, function, document))
    return found


def _check_function(
    project: Project, spec: DesiredSpec, function: FunctionSpec, document: Any
) -> list[Diagnostic]:
    where = f"{function.pointer}/handler" if function.handler else function.pointer
    position = document.position(where) if document is not None else None
    line = position.line if position else function.line
    column = position.column if position else None

    def at(severity: Severity, message: str, hint: str | None = None) -> Diagnostic:
        return Diagnostic(spec.file, line, column, where, message, severity, hint)

    if function.handler is None:
        return [
            at(
                Severity.WARNING,
                f"function `{function.name}` has no handler; run and chat answer its calls with an error",
            )
        ]
    subject = f"handler `{function.handler}` of function `{function.name}`"
    try:
        handler = load_handler(function.handler, project)
    except LoadProblem as problem:
        return [at(Severity.ERROR, f"{subject}: {problem.message}", problem.hint)]
    return [
        at(severity, f"{subject}: {message}")
        for severity, message in signature_problems(handler, function.parameters)
    ]
