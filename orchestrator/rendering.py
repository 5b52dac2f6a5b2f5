"""Sandboxed, strict Jinja rendering of instruction templates.

Undefined variables are errors, templates cannot escape the templates folder, and every
error is reported at the template's own file and line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from orchestrator.diagnostics import Diagnostic, error


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    templates: frozenset[str]  # every template file used, includes and imports too (names under templates/)


class RenderError(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


MAX_SEQUENCE = 1_000_000  # the longest string or list a template may build with `*`
MAX_EXPONENT = 10_000


class BoundedSandbox(SandboxedEnvironment):
    """The sandbox, plus limits on `*` and `**` so a template cannot exhaust memory or CPU."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if isinstance(sequence, str | list | tuple) and isinstance(count, int) \
                        and len(sequence) * count > MAX_SEQUENCE:
                    raise SecurityError(f"the template builds a sequence longer than {MAX_SEQUENCE:,} items")
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"the template raises to a power above {MAX_EXPONENT:,}")
        return super().call_binop(context, operator, left, right)


class Renderer:
    """One environment per templates folder, so compiled templates are shared by every spec."""

    def __init__(self, templates_dir: Path, display_root: Path) -> None:
        self.templates_dir = templates_dir.resolve()
        self.display_root = display_root.resolve()
        self.env = BoundedSandbox(
            loader=jinja2.FileSystemLoader(str(self.templates_dir), encoding="utf-8"),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=True,
            cache_size=2000,
        )
        self._dependency_cache: dict[str, frozenset[str]] = {}

    def display(self, template_name: str) -> str:
        path = self.templates_dir / template_name
        try:
            return str(path.relative_to(self.display_root))
        except ValueError:
            return str(path)

    def check_name(self, name: str) -> str | None:
        """Why a template name is unusable (outside the folder, missing), or None."""
        candidate = (self.templates_dir / name).resolve()
        if Path(name).is_absolute() or not candidate.is_relative_to(self.templates_dir):
            return (f"template `{name}` is outside the templates folder `{self.display('')}`; "
                    "template paths are relative to it and cannot leave it")
        if not candidate.is_file():
            message = f"template `{name}` not found in `{self.display('')}`"
            close = difflib.get_close_matches(name, self._template_names(), n=1, cutoff=0.6)
            return message + (f"; did you mean `{close[0]}`?" if close else "")
        return None

    def _template_names(self) -> list[str]:
        try:
            return self.env.list_templates()
        except OSError:
            return []

    def render_file(self, name: str, variables: Mapping[str, Any], *, origin: Diagnostic) -> Rendered:
        """Render templates/<name>; origin is where the spec refers to it (used for errors without a line)."""
        problem = self.check_name(name)
        if problem:
            raise RenderError(_with_message(origin, problem))
        try:
            template = self.env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            raise RenderError(self._syntax(exc, origin)) from None
        except jinja2.TemplateNotFound as exc:
            raise RenderError(_with_message(origin, f"template `{exc.name}` not found")) from None
        except UnicodeDecodeError:
            raise RenderError(error(self.display(name), "template is not valid UTF-8")) from None
        text = self._render(template, variables, origin, name)
        return Rendered(text, self.dependencies(name))

    def render_inline(self, source: str, variables: Mapping[str, Any], *, origin: Diagnostic) -> Rendered:
        try:
            template = self.env.from_string(source)
        except jinja2.TemplateSyntaxError as exc:
            raise RenderError(_with_message(origin, f"template syntax error: {exc.message} (line {exc.lineno} of the inline template)")) from None
        text = self._render(template, variables, origin, None)
        deps = frozenset().union(*(self.dependencies(n) for n in _referenced(self.env, source))) if "{%" in source else frozenset()
        return Rendered(text, deps)

    def dependencies(self, name: str) -> frozenset[str]:
        """name plus every template it includes, imports or extends, transitively."""
        cached = self._dependency_cache.get(name)
        if cached is not None:
            return cached
        seen: set[str] = set()
        stack = [name]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            try:
                source = self.env.loader.get_source(self.env, current)[0]  # type: ignore[union-attr]
            except (jinja2.TemplateNotFound, UnicodeDecodeError, OSError):
                continue
            stack.extend(_referenced(self.env, source))
        result = frozenset(seen)
        self._dependency_cache[name] = result
        return result

    def forget(self) -> None:
        """Drop the dependency cache (after template files changed on disk)."""
        self._dependency_cache.clear()

    def _render(self, template: jinja2.Template, variables: Mapping[str, Any], origin: Diagnostic,
                name: str | None) -> str:
        try:
            return template.render(dict(variables))
        except jinja2.UndefinedError as exc:
            message, token, hint = _undefined(exc, variables)
            raise RenderError(self._runtime(exc, message, origin, name, token=token, hint=hint)) from None
        except SecurityError as exc:
            attribute = re.search(r"attribute '([^']+)'", str(exc))
            message = (f"the sandbox blocked access to `{attribute.group(1)}`; templates cannot reach Python internals"
                       if attribute else f"the sandbox blocked an unsafe operation: {str(exc).rstrip('.')}")
            raise RenderError(self._runtime(exc, message, origin, name, token=attribute.group(1) if attribute else None)) from None
        except jinja2.TemplateSyntaxError as exc:
            raise RenderError(self._syntax(exc, origin)) from None
        except jinja2.TemplateNotFound as exc:
            raise RenderError(self._runtime(exc, f"template `{exc.name}` not found", origin, name)) from None
        except jinja2.TemplateError as exc:
            raise RenderError(self._runtime(exc, f"template error: {exc}", origin, name)) from None
        except RecursionError:
            raise RenderError(_with_message(origin, "template recursion is too deep")) from None
        except (TypeError, ValueError, ZeroDivisionError, AttributeError, KeyError, IndexError, OverflowError) as exc:
            raise RenderError(self._runtime(exc, f"template error: {type(exc).__name__}: {exc}", origin, name)) from None

    def _syntax(self, exc: jinja2.TemplateSyntaxError, origin: Diagnostic) -> Diagnostic:
        message = f"template syntax error: {(exc.message or 'invalid template').rstrip('.')}"
        if exc.name or exc.filename:
            shown = self.display(exc.name) if exc.name else str(exc.filename)
            return error(shown, message, line=exc.lineno, hint=_used_by(origin))
        return _with_message(origin, message)

    def _runtime(self, exc: BaseException, message: str, origin: Diagnostic, name: str | None, *,
                 token: str | None = None, hint: str | None = None) -> Diagnostic:
        """Locate a render-time error in the template frame nearest to where it was raised."""
        location = _template_frame(exc.__traceback__, self.templates_dir)
        full_hint = "; ".join(part for part in (hint, _used_by(origin)) if part)
        if location is not None:
            filename, line = location
            return error(self.display(filename), message, line=line, column=self._column(filename, line, token),
                         hint=full_hint)
        if name is not None:
            return error(self.display(name), message, hint=full_hint)
        return Diagnostic(origin.file, origin.line, origin.column, origin.pointer, message, origin.severity, hint)

    def _column(self, filename: str, line: int, token: str | None) -> int | None:
        """Where token first appears on that line of the template (Jinja reports lines only)."""
        if not token:
            return None
        try:
            source = self.env.loader.get_source(self.env, filename)[0]  # type: ignore[union-attr]
        except (jinja2.TemplateNotFound, UnicodeDecodeError, OSError):
            return None
        lines = source.splitlines()
        if not 0 < line <= len(lines):
            return None
        found = re.search(rf"(?<![A-Za-z0-9_]){re.escape(token)}(?![A-Za-z0-9_])", lines[line - 1])
        return found.start() + 1 if found else None


def _undefined(exc: jinja2.UndefinedError, variables: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    """(message, offending name, hint) for an undefined variable or attribute."""
    text = exc.message or str(exc)
    variable = re.fullmatch(r"'([^']+)' is undefined", text)
    if variable:
        name = variable.group(1)
        close = difflib.get_close_matches(name, list(variables), n=1, cutoff=0.6)
        hint = f"did you mean `{close[0]}`?" if close else (
            "defined variables: " + ", ".join(f"`{v}`" for v in sorted(variables)) if variables else None)
        return (f"undefined variable `{name}`; set it in the spec's `instructions.vars`, the environment's `vars` "
                "or the project's `vars`", name, hint)
    attribute = re.fullmatch(r"'(.+)' has no attribute '([^']+)'", text)
    if attribute:
        return f"undefined attribute `{attribute.group(2)}` of a value of type {attribute.group(1)}", attribute.group(2), None
    return f"undefined value: {text}", None, None


def _used_by(origin: Diagnostic) -> str:
    return f"rendering the instructions of {origin.location()}" + (f" [{origin.pointer}]" if origin.pointer else "")


def _template_frame(tb: Any, templates_dir: Path) -> tuple[str, int] | None:
    found: tuple[str, int] | None = None
    root = str(templates_dir) + "/"
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(root):
            found = (filename[len(root):], tb.tb_lineno)
        tb = tb.tb_next
    return found


def _referenced(env: jinja2.Environment, source: str) -> list[str]:
    try:
        ast = env.parse(source)
    except jinja2.TemplateSyntaxError:
        return []
    return [name for name in meta.find_referenced_templates(ast) if isinstance(name, str)]


def _with_message(origin: Diagnostic, message: str) -> Diagnostic:
    return Diagnostic(origin.file, origin.line, origin.column, origin.pointer, message, origin.severity, origin.hint)
