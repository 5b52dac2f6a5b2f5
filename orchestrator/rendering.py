"""Sandboxed, strict Jinja rendering of instruction templates.

Undefined variables are errors, templates cannot escape the templates folder, and every
error is reported at the template's own file and line.
"""

from __future__ import annotations

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


class Renderer:
    """One environment per templates folder, so compiled templates are shared by every spec."""

    def __init__(self, templates_dir: Path, display_root: Path) -> None:
        self.templates_dir = templates_dir.resolve()
        self.display_root = display_root.resolve()
        self.env = SandboxedEnvironment(
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
            return f"template `{name}` is outside the templates folder"
        if not candidate.is_file():
            return f"template `{name}` not found in {self.display('')}".rstrip("/")
        return None

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
            raise RenderError(self._runtime(exc, f"undefined variable: {exc.message}", origin, name)) from None
        except SecurityError as exc:
            raise RenderError(self._runtime(exc, f"unsafe template operation blocked by the sandbox: {exc}", origin, name)) from None
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
        if exc.name or exc.filename:
            shown = self.display(exc.name) if exc.name else str(exc.filename)
            return error(shown, f"template syntax error: {exc.message}", line=exc.lineno)
        return _with_message(origin, f"template syntax error: {exc.message}")

    def _runtime(self, exc: BaseException, message: str, origin: Diagnostic, name: str | None) -> Diagnostic:
        """Locate a render-time error in the template frame nearest to where it was raised."""
        location = _template_frame(exc.__traceback__, self.templates_dir)
        if location is not None:
            filename, line = location
            return error(self.display(filename), message, line=line)
        if name is not None:
            return error(self.display(name), message)
        return _with_message(origin, message)


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
