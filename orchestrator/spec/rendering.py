"""Sandboxed, strict and bounded Jinja rendering of instruction templates.

Undefined variables are errors; templates and partials are read only inside the project (after
links) and the templates folder; every error is reported at the template's own file and line.
A render is bounded in time, in the size of every value it builds and of its output, so a
hostile template (nested loops, `center(2000000000)`, doubling with `~`) is refused in about a
second with a diagnostic, never a hang or a MemoryError.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import string
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.loaders import split_template_path
from jinja2.runtime import LoopContext, markup_join, str_join
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from orchestrator.diagnostics import Diagnostic, error
from orchestrator.spec.confinement import Refused, confine, once_per_build, read_confined


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    templates: frozenset[str]  # every template file used, includes and imports too (names under templates/)


class RenderError(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


MAX_TEMPLATE_BYTES = 512 * 1024  # one template file or inline template
MAX_SEQUENCE = 1_000_000  # the largest string or list (in characters shown) one template value may be
MAX_OUTPUT = 1_000_000  # rendering stops here; the API takes 256,000 characters of instructions
MAX_BUILT = 128_000_000  # characters of values a render may build in all (garbage included)
MAX_EXPONENT = 10_000
MAX_INT_BITS = 100_000
MAX_COUNT = 100_000  # slices, batches, lipsum paragraphs: the sandbox's own range limit
MAX_INDENT = 1_000  # tojson indent
RENDER_SECONDS = 2.0
_LIMITS_HINT = (
    "templates are bounded: 1,000,000 characters per value, 1,000,000 of output, "
    f"{RENDER_SECONDS:g} s per render"
)


class TemplateLimit(SecurityError):
    """A render refused for the time or memory it would take."""


class TemplateRefused(Exception):
    """A template or partial that may not be read (a link out of the project, too big, not a file)."""

    def __init__(self, name: str, refused: Refused) -> None:
        super().__init__(refused.reason)
        self.name = name
        self.refused = refused


@dataclass(slots=True)
class _Budget:
    deadline: float
    built: int = 0


_BUDGET: ContextVar[_Budget | None] = ContextVar("render_budget", default=None)


def _tick() -> None:
    budget = _BUDGET.get()
    if budget is not None and time.monotonic() > budget.deadline:
        raise TemplateLimit(
            f"rendering took longer than {RENDER_SECONDS:g} s (loops, macros or calls repeat too often)"
        )


def weight(value: Any, limit: int = MAX_SEQUENCE) -> int:
    """About how many characters value takes when shown, counted until just past limit (shared parts count each time)."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, bool | float) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 1
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + 2 * len(item)
            if total <= limit:
                stack.extend(item)
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            if total <= limit:
                stack.extend(item.keys())
                stack.extend(item.values())
        else:
            total += 8
        if total > limit:
            return total
    return total


def _too_big(what: str) -> TemplateLimit:
    return TemplateLimit(f"{what} would be longer than {MAX_SEQUENCE:,} characters")


def _measure(value: Any) -> Any:
    """Count a value a template built against the render's budget; refuse one too large to keep."""
    if isinstance(value, str | list | tuple | dict | set):
        size = weight(value)
        if size > MAX_SEQUENCE:
            raise _too_big("a value the template builds")
        budget = _BUDGET.get()
        if budget is not None:
            budget.built += size
            if budget.built > MAX_BUILT:
                raise TemplateLimit(
                    f"the template builds more than {MAX_BUILT:,} characters of values in all "
                    "(text grown in a loop?); write it out instead, or use `join`"
                )
    return value


def _check_width(name: str, width: Any, base: Any = "") -> None:
    if isinstance(width, int) and width > MAX_SEQUENCE:
        raise TemplateLimit(f"`{name}` with a width of {width:,}; the limit is {MAX_SEQUENCE:,}")
    if isinstance(width, int) and isinstance(base, str) and weight(base) + width > 2 * MAX_SEQUENCE:
        raise _too_big(f"the result of `{name}`")


_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]")


def _check_printf(fmt: str, args: Any) -> None:
    """`'%2000000000s' % x` and `|format`: widths and precisions stay below the value limit."""
    for match in _PRINTF.finditer(fmt):
        for number in match.groups():
            if number == "*":
                raise TemplateLimit("`*` widths are not allowed in templates; write the width in the format")
            if number and int(number) > MAX_SEQUENCE:
                raise TemplateLimit(f"a format width of {int(number):,}; the limit is {MAX_SEQUENCE:,}")
    if weight(args) > MAX_SEQUENCE:
        raise _too_big("the formatted text")


def _check_braces(fmt: str, args: Any) -> None:
    """`'{:>2000000000}'.format(x)`: format specs stay below the value limit."""
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # str.format reports it
    for _, _, spec, _ in fields:
        if spec and "{" in spec:
            raise TemplateLimit("nested replacement fields in a format spec are not allowed in templates")
        for number in re.findall(r"\d+", spec or ""):
            if int(number) > MAX_SEQUENCE:
                raise TemplateLimit(f"a format width of {int(number):,}; the limit is {MAX_SEQUENCE:,}")
    if weight(args) > MAX_SEQUENCE:
        raise _too_big("the formatted text")


def _check_replace(text: Any, old: Any, new: Any, count: Any = -1) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str) and len(new) > len(old):
        times = text.count(old) if old else len(text) + 1
        if isinstance(count, int) and count >= 0:
            times = min(times, count)
        if len(text) + times * (len(new) - len(old)) > MAX_SEQUENCE:
            raise _too_big("the result of `replace`")


def _check_join(separator: Any, items: Any) -> None:
    if not isinstance(items, str | list | tuple | dict | set | frozenset):
        items = list(_bounded_items(items))
    size = weight(items) + (len(separator) * len(items) if isinstance(separator, str) else 0)
    if size > MAX_SEQUENCE:
        raise _too_big("the joined text")


def _bounded_items(items: Iterable[Any]) -> Iterator[Any]:
    for index, item in enumerate(items):
        if index > MAX_SEQUENCE:
            raise _too_big("the joined text")
        yield item


def _check_str_method(text: str, name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    if name in ("center", "ljust", "rjust", "zfill"):
        _check_width(name, args[0] if args else kwargs.get("width"), text)
    elif name == "expandtabs":
        size = args[0] if args else kwargs.get("tabsize", 8)
        if isinstance(size, int) and len(text) + text.count("\t") * size > MAX_SEQUENCE:
            raise _too_big("the result of `expandtabs`")
    elif name == "replace" and len(args) >= 2:
        _check_replace(text, args[0], args[1], args[2] if len(args) > 2 else kwargs.get("count", -1))
    elif name == "join" and args:
        _check_join(text, args[0])
    elif name in ("format", "format_map"):
        _check_braces(text, (args, kwargs))


def _argument(
    args: tuple[Any, ...], kwargs: Mapping[str, Any], index: int, name: str, default: Any = None
) -> Any:
    return args[index] if len(args) > index else kwargs.get(name, default)


def _check_filter(name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """The arguments of built-in filters that size their result: bounded before the filter runs."""
    value = args[0] if args else None
    if name == "center":
        _check_width(name, _argument(args, kwargs, 1, "width", 80), value)
    elif name == "indent":
        width = _argument(args, kwargs, 1, "width", 4)
        lines = value.count("\n") + 1 if isinstance(value, str) else 1
        pad = width if isinstance(width, int) else len(width) if isinstance(width, str) else 0
        if weight(value) + lines * pad > MAX_SEQUENCE:
            raise _too_big("the result of `indent`")
    elif name == "format" and isinstance(value, str):
        _check_printf(value, (args[1:], kwargs))
    elif name == "replace":
        _check_replace(
            value,
            _argument(args, kwargs, 1, "old"),
            _argument(args, kwargs, 2, "new"),
            _argument(args, kwargs, 3, "count", None) or -1,
        )
    elif name == "join":
        _check_join(_argument(args, kwargs, 1, "d", ""), value)
    elif name == "wordwrap":
        width = _argument(args, kwargs, 1, "width", 79)
        wrap = _argument(args, kwargs, 3, "wrapstring", "\n") or "\n"
        if (
            isinstance(width, int)
            and isinstance(value, str)
            and isinstance(wrap, str)
            and len(value) + len(value) // max(width, 1) * len(wrap) > MAX_SEQUENCE
        ):
            raise _too_big("the result of `wordwrap`")
    elif name in ("slice", "batch"):
        count = _argument(args, kwargs, 1, "slices" if name == "slice" else "linecount")
        if isinstance(count, int) and count > MAX_COUNT:
            raise TemplateLimit(f"`{name}` into {count:,} parts; the limit is {MAX_COUNT:,}")
    elif name == "tojson":
        indent = _argument(args, kwargs, 1, "indent")
        if isinstance(indent, int) and indent > MAX_INDENT:
            raise TemplateLimit(f"`tojson` with an indent of {indent:,}; the limit is {MAX_INDENT:,}")
    elif name == "truncate":
        end = _argument(args, kwargs, 3, "end", "...")
        if isinstance(end, str) and len(end) > MAX_SEQUENCE:
            raise _too_big("the result of `truncate`")
    if weight(value) > MAX_SEQUENCE:
        raise _too_big(f"the value given to `{name}`")


def _bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    passes = (
        1 if getattr(func, "jinja_pass_arg", None) is not None else 0
    )  # context, eval context or environment

    @functools.wraps(func)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        _check_filter(name, args[passes:], kwargs)
        return _measure(func(*args, **kwargs))

    return bounded


def _bounded_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    if any(isinstance(v, int) and v > limit for v, limit in ((n, 100), (min, 1_000), (max, 1_000))):
        raise TemplateLimit("`lipsum` of more than 100 paragraphs or 1,000 words each")
    return _measure(jinja2.utils.generate_lorem_ipsum(n=n, html=html, min=min, max=max))


class _BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with every loop and every `~` passing through the environment's bounds."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        """`for x in xs` walks `environment.guard_loop(xs)`, so every step counts against the render's time."""
        line = node.iter.lineno
        guarded = nodes.Call(
            nodes.EnvironmentAttribute("guard_loop", lineno=line), [node.iter], [], None, None, lineno=line
        )
        super().visit_For(
            nodes.For(
                node.target, guarded, node.body, node.else_, node.test, node.recursive, lineno=node.lineno
            ),
            frame,
        )

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            escape = "context.eval_ctx.volatile"
        else:
            escape = "True" if frame.eval_ctx.autoescape else "False"
        self.write("environment.concat_bounded((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write(f"), {escape})")


class BoundedSandbox(SandboxedEnvironment):
    """The sandbox, plus bounds on time, value sizes and output, so a template cannot exhaust memory or CPU."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _BoundedCodeGenerator

    def __init__(self, **options: Any) -> None:
        super().__init__(finalize=_finalize, **options)
        self.filters = {name: _bounded_filter(name, func) for name, func in self.filters.items()}
        self.globals["lipsum"] = _bounded_lipsum

    def guard_loop(self, iterable: Any) -> Iterator[Any]:
        for item in iterable:
            _tick()
            yield item

    def concat_bounded(self, parts: tuple[Any, ...], escape: bool) -> str:
        _tick()
        if sum(weight(part) for part in parts) > MAX_SEQUENCE:
            raise _too_big("text joined with `~`")
        return _measure(markup_join(parts) if escape else str_join(parts))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _tick()
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if (
                    isinstance(sequence, str | list | tuple)
                    and isinstance(count, int)
                    and weight(sequence) * max(count, 0) > MAX_SEQUENCE
                ):
                    raise TemplateLimit(f"the template builds a sequence longer than {MAX_SEQUENCE:,} items")
            if (
                isinstance(left, int)
                and isinstance(right, int)
                and left.bit_length() + right.bit_length() > MAX_INT_BITS
            ):
                raise TemplateLimit(f"the template builds a number of more than {MAX_INT_BITS:,} bits")
        elif operator == "**" and isinstance(right, int | float):
            if abs(right) > MAX_EXPONENT:
                raise SecurityError(f"the template raises to a power above {MAX_EXPONENT:,}")
            if isinstance(left, int) and right > 0 and left.bit_length() * right > MAX_INT_BITS:
                raise TemplateLimit(f"the template builds a number of more than {MAX_INT_BITS:,} bits")
        elif (
            operator == "+" and isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple)
        ):
            if weight(left) + weight(right) > MAX_SEQUENCE:
                raise _too_big("text or a list joined with `+`")
        elif operator == "%" and isinstance(left, str):
            _check_printf(left, right)
        return _measure(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _tick()
        if isinstance(__obj, LoopContext) and args:  # a recursive loop's next level
            args = (__self.guard_loop(args[0]), *args[1:])
        target = getattr(__obj, "__wrapped__", __obj)  # str.format comes wrapped by the sandbox
        owner = getattr(target, "__self__", None)
        if isinstance(owner, str):
            _check_str_method(owner, getattr(target, "__name__", ""), args, kwargs)
        return _measure(super().call(__context, __obj, *args, **kwargs))


def _finalize(value: Any) -> Any:
    """Every `{{ value }}`: refused before str() when showing it would be too long."""
    if isinstance(value, list | tuple | dict | set | frozenset) and weight(value) > MAX_SEQUENCE:
        raise _too_big("a value the template outputs")
    return value


class ConfinedLoader(jinja2.FileSystemLoader):
    """Templates under one folder, read only when they resolve (after links) inside the project."""

    def __init__(self, folder: Path, root: Path) -> None:
        super().__init__(str(folder), encoding="utf-8")
        self.folder = folder
        self.root = root

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = self.folder.joinpath(*split_template_path(template))  # `..` is TemplateNotFound
        try:
            raw = read_confined(path, self.root, limit=MAX_TEMPLATE_BYTES, what="a template")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise jinja2.TemplateNotFound(template) from None
        except Refused as exc:
            raise TemplateRefused(template, exc) from None
        except OSError as exc:
            raise TemplateRefused(template, Refused(f"cannot be read: {exc.strerror or exc}")) from None
        mtime = os.path.getmtime(path)

        def uptodate() -> bool:
            try:
                return os.path.getmtime(path) == mtime
            except OSError:
                return False

        return raw.decode("utf-8"), os.path.normpath(path), uptodate


class Renderer:
    """One environment per templates folder, so compiled templates are shared by every spec."""

    def __init__(self, templates_dir: Path, display_root: Path) -> None:
        self.templates_dir = templates_dir.resolve()
        self.display_root = display_root.resolve()
        self.env = BoundedSandbox(
            loader=ConfinedLoader(self.templates_dir, self.display_root),
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
        """Why a template name is unusable (outside the folder or the project, missing), or None (asked once
        per build for each name)."""
        return once_per_build(("template", self.templates_dir, name), lambda: self._check_name(name))

    def _check_name(self, name: str) -> str | None:
        written = Path(os.path.normpath(self.templates_dir / name))
        if Path(name).is_absolute() or not written.is_relative_to(self.templates_dir):
            return (
                f"template `{name}` is outside the templates folder `{self.display('')}`; "
                "template paths are relative to it and cannot leave it"
            )
        try:
            candidate = confine(written, self.display_root)
        except Refused as exc:
            return f"template {exc.message(name)}"
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
        text = self._render(lambda: self._load_file(name, origin), variables, origin, name)
        return Rendered(text, self.dependencies(name))

    def _load_file(self, name: str, origin: Diagnostic) -> jinja2.Template:
        try:
            return self.env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            raise RenderError(self._syntax(exc, origin)) from None
        except jinja2.TemplateNotFound as exc:
            raise RenderError(_with_message(origin, f"template `{exc.name}` not found")) from None
        except TemplateRefused as exc:
            raise RenderError(_refused(origin, exc)) from None
        except UnicodeDecodeError:
            raise RenderError(error(self.display(name), "template is not valid UTF-8")) from None
        except (RecursionError, MemoryError):
            raise RenderError(error(self.display(name), "template is nested too deeply to compile")) from None

    def render_inline(self, source: str, variables: Mapping[str, Any], *, origin: Diagnostic) -> Rendered:
        if len(source) > MAX_TEMPLATE_BYTES:
            raise RenderError(
                _with_message(
                    origin,
                    f"the inline template is {len(source):,} characters long; "
                    f"the limit is {MAX_TEMPLATE_BYTES:,}",
                )
            )
        text = self._render(lambda: self._load_inline(source, origin), variables, origin, None)
        deps = (
            frozenset().union(*(self.dependencies(n) for n in _referenced(self.env, source)))
            if "{%" in source
            else frozenset()
        )
        return Rendered(text, deps)

    def _load_inline(self, source: str, origin: Diagnostic) -> jinja2.Template:
        try:
            return self.env.from_string(source)
        except jinja2.TemplateSyntaxError as exc:
            raise RenderError(
                _with_message(
                    origin, f"template syntax error: {exc.message} (line {exc.lineno} of the inline template)"
                )
            ) from None
        except (RecursionError, MemoryError):
            raise RenderError(
                _with_message(origin, "the inline template is nested too deeply to compile")
            ) from None

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
            except (jinja2.TemplateNotFound, TemplateRefused, UnicodeDecodeError, OSError):
                continue
            stack.extend(_referenced(self.env, source))
        result = frozenset(seen)
        self._dependency_cache[name] = result
        return result

    def forget(self) -> None:
        """Drop the dependency cache (after template files changed on disk)."""
        self._dependency_cache.clear()

    def _render(
        self,
        load: Callable[[], jinja2.Template],
        variables: Mapping[str, Any],
        origin: Diagnostic,
        name: str | None,
    ) -> str:
        """Compile (constant folding runs template code too) and render, within the render's bounds."""
        budget = _BUDGET.set(_Budget(deadline=time.monotonic() + RENDER_SECONDS))
        try:
            return self._generate(load(), variables)
        except TemplateLimit as exc:
            raise RenderError(
                self._runtime(exc, f"template refused: {exc}", origin, name, hint=_LIMITS_HINT)
            ) from None
        except TemplateRefused as exc:
            raise RenderError(
                self._runtime(
                    exc, f"template {exc.refused.message(exc.name)}", origin, name, hint=exc.refused.hint
                )
            ) from None
        except jinja2.UndefinedError as exc:
            message, token, hint = _undefined(exc, variables)
            raise RenderError(self._runtime(exc, message, origin, name, token=token, hint=hint)) from None
        except SecurityError as exc:
            attribute = re.search(r"attribute '([^']+)'", str(exc))
            message = (
                f"the sandbox blocked access to `{attribute.group(1)}`; templates cannot reach Python internals"
                if attribute
                else f"the sandbox blocked an unsafe operation: {str(exc).rstrip('.')}"
            )
            raise RenderError(
                self._runtime(exc, message, origin, name, token=attribute.group(1) if attribute else None)
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            raise RenderError(self._syntax(exc, origin)) from None
        except jinja2.TemplateNotFound as exc:
            raise RenderError(self._runtime(exc, f"template `{exc.name}` not found", origin, name)) from None
        except jinja2.TemplateError as exc:
            raise RenderError(self._runtime(exc, f"template error: {exc}", origin, name)) from None
        except RecursionError:
            raise RenderError(_with_message(origin, "template recursion is too deep")) from None
        except MemoryError:
            raise RenderError(
                _with_message(origin, "template refused: rendering ran out of memory")
            ) from None
        except UnicodeDecodeError:
            raise RenderError(_with_message(origin, "a template it includes is not valid UTF-8")) from None
        except (
            TypeError,
            ValueError,
            ZeroDivisionError,
            AttributeError,
            LookupError,
            OverflowError,
            AssertionError,
        ) as exc:  # jinja's filters assert on their arguments (`truncate`)
            raise RenderError(
                self._runtime(exc, f"template error: {type(exc).__name__}: {exc}", origin, name)
            ) from None
        finally:
            _BUDGET.reset(budget)

    @staticmethod
    def _generate(template: jinja2.Template, variables: Mapping[str, Any]) -> str:
        """The rendered text, stopped as soon as it outgrows MAX_OUTPUT (not after building gigabytes)."""
        chunks: list[str] = []
        size = 0
        for chunk in template.generate(dict(variables)):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise TemplateLimit(
                    f"the rendered instructions exceed {MAX_OUTPUT:,} characters (rendering "
                    "stopped); the API allows 256,000"
                )
            chunks.append(chunk)
            _tick()
        return "".join(chunks)

    def _syntax(self, exc: jinja2.TemplateSyntaxError, origin: Diagnostic) -> Diagnostic:
        message = f"template syntax error: {(exc.message or 'invalid template').rstrip('.')}"
        if exc.name or exc.filename:
            shown = self.display(exc.name) if exc.name else str(exc.filename)
            return error(shown, message, line=exc.lineno, hint=_used_by(origin))
        return _with_message(origin, message)

    def _runtime(
        self,
        exc: BaseException,
        message: str,
        origin: Diagnostic,
        name: str | None,
        *,
        token: str | None = None,
        hint: str | None = None,
    ) -> Diagnostic:
        """Locate a render-time error in the template chain: where the offending name is written, else innermost.

        An undefined value is raised where it is printed, which for a macro argument or an included
        partial is not where the typo is: `{{ escalation(escalation_mail) }}` at the call site fails
        inside the partial's macro. So the frame that names the token wins, and the message names the
        chain of templates (partial, then each template that included or called it).
        """
        frames = _template_frames(exc.__traceback__, self.templates_dir)
        full_hint = _join_hints(hint, _used_by(origin))
        if frames:
            at = len(frames) - 1
            if token:
                named = [
                    i for i, (filename, line) in enumerate(frames) if self._column(filename, line, token)
                ]
                if named:
                    at = named[-1]
            filename, line = frames[at]
            if len(frames) > 1:
                chain = [f"{self.display(f)}:{n}" for f, n in reversed(frames)]
                message += f" (in {chain[0]}, " + ", ".join(f"from {place}" for place in chain[1:]) + ")"
            return error(
                self.display(filename),
                message,
                line=line,
                column=self._column(filename, line, token),
                hint=full_hint,
            )
        if name is not None:
            return error(self.display(name), message, hint=full_hint)
        return Diagnostic(
            origin.file, origin.line, origin.column, origin.pointer, message, origin.severity, hint
        )

    def _column(self, filename: str, line: int, token: str | None) -> int | None:
        """Where token first appears on that line of the template (Jinja reports lines only)."""
        if not token:
            return None
        try:
            source = self.env.loader.get_source(self.env, filename)[0]  # type: ignore[union-attr]
        except (jinja2.TemplateNotFound, TemplateRefused, UnicodeDecodeError, OSError):
            return None
        lines = source.splitlines()
        if not 0 < line <= len(lines):
            return None
        found = re.search(rf"(?<![A-Za-z0-9_]){re.escape(token)}(?![A-Za-z0-9_])", lines[line - 1])
        return found.start() + 1 if found else None


def _undefined(
    exc: jinja2.UndefinedError, variables: Mapping[str, Any]
) -> tuple[str, str | None, str | None]:
    """(message, offending name, hint) for an undefined variable or attribute."""
    text = exc.message or str(exc)
    variable = re.fullmatch(r"'([^']+)' is undefined", text)
    if variable:
        name = variable.group(1)
        close = difflib.get_close_matches(name, list(variables), n=1, cutoff=0.6)
        hint = (
            f"did you mean `{close[0]}`?"
            if close
            else (
                "defined variables: " + ", ".join(f"`{v}`" for v in sorted(variables)) if variables else None
            )
        )
        return (
            f"undefined variable `{name}`; set it in the spec's `instructions.vars`, the environment's `vars` "
            "or the project's `vars`",
            name,
            hint,
        )
    attribute = re.fullmatch(r"'(.+)' has no attribute '([^']+)'", text)
    if attribute:
        return (
            f"undefined attribute `{attribute.group(2)}` of a value of type {attribute.group(1)}",
            attribute.group(2),
            None,
        )
    return f"undefined value: {text}", None, None


def _used_by(origin: Diagnostic) -> str:
    return f"rendering the instructions of {origin.location()}" + (
        f" [{origin.pointer}]" if origin.pointer else ""
    )


def _template_frames(tb: Any, templates_dir: Path) -> list[tuple[str, int]]:
    """(template, line) of every template frame of a traceback, outermost first (includes, macro calls)."""
    frames: list[tuple[str, int]] = []
    root = str(templates_dir) + "/"
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(root):
            frame = (filename[len(root) :], tb.tb_lineno)
            if not frames or frames[-1] != frame:
                frames.append(frame)
        tb = tb.tb_next
    return frames


def _join_hints(*parts: str | None) -> str:
    """Hints joined into one sentence chain: `did you mean `x`? Rendering …`, never `?;`."""
    text = ""
    for part in parts:
        if not part:
            continue
        if not text:
            text = part
        elif text.endswith(("?", ".", "!")):
            text += " " + part[0].upper() + part[1:]
        else:
            text += "; " + part
    return text


def _referenced(env: jinja2.Environment, source: str) -> list[str]:
    try:
        ast = env.parse(source)
    except jinja2.TemplateSyntaxError:
        return []
    return [name for name in meta.find_referenced_templates(ast) if isinstance(name, str)]


def _refused(origin: Diagnostic, exc: TemplateRefused) -> Diagnostic:
    return Diagnostic(
        origin.file,
        origin.line,
        origin.column,
        origin.pointer,
        f"template {exc.refused.message(exc.name)}",
        origin.severity,
        exc.refused.hint,
    )


def _with_message(origin: Diagnostic, message: str) -> Diagnostic:
    return Diagnostic(
        origin.file, origin.line, origin.column, origin.pointer, message, origin.severity, origin.hint
    )
