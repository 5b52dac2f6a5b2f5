"""Keep secrets out of every value that leaves the process: messages, views, plans, payloads, events, logs.

A `Redactor` is a value built from the project and the environment (by the CLI, the only place that
reads the environment): the values of every variable the project names (`api_key_env` of each target,
the local-target and emulator keys), values of variables whose names say they are secret, and the
passwords of target URLs. It finds each secret in the forms it takes on the way out: as is, Python-
or JSON-escaped (`b'Bearer sk-...\\n'`, `"sk-...\\n"`, doubly escaped inside a JSON line), percent-
encoded, and base64-encoded in a Basic authorisation. URL passwords (`https://user:***@host`) and
anything shaped like an OpenAI key (`sk-...`) are hidden even when unknown.

A run's secrets are a `SecretLedger`, owned by whoever runs the command and bound for the run's length:
it only grows (a secret once added is never forgotten within the run) and adding is thread-safe.
`active()` finds it from where no run is at hand (errors described deep in apply, watch, run).
"""

from __future__ import annotations

import base64
import dataclasses
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any, Protocol, TypeVar
from urllib.parse import unquote, urlsplit

MASK = "***"
MIN_NAMED = 4  # a value the project names as a key is a secret however short (within reason)
MIN_GUESSED = 8  # a value found by its variable's name only
SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL")
# always named: the keys of the local target (when served elsewhere) and of `orchestrator serve`
ALWAYS_NAMED = ("ORCHESTRATOR_LOCAL_API_KEY", "ORCHESTRATOR_EMULATOR_API_KEY", "OPENAI_API_KEY")

_KEY_LIKE = re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}")
_KEY_LIKE_MASK = "sk-" + MASK
# scheme://user:password@ -> scheme://user:***@ (the password of any URL, known or not)
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s/@:'\"]*:)(?P<password>[^\s/@'\"]+)@")
# a value made only of these is a word or a path, not a secret, even when its variable is called *_KEY
_PLAIN_WORDS = re.compile(r"[a-z._/:\-]*")

T = TypeVar("T")


class TargetLike(Protocol):
    type: str
    base_url: str | None
    api_key_env: str | None


@dataclass(frozen=True, slots=True)
class Redactor:
    """Replaces every known secret (in any of its escaped forms) with `***`; pure and immutable."""

    secrets: frozenset[str] = frozenset()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Redactor:
        """Values of variables whose names say they hold a secret (`*_KEY`, `*_TOKEN`, ...)."""
        found = []
        for name, value in environ.items():
            if any(word in name.upper() for word in SECRET_WORDS) and _looks_secret(value):
                found.append(value)
        return cls().with_secrets(found, minimum=MIN_GUESSED).with_variables(ALWAYS_NAMED, environ)

    def with_variables(self, names: Iterable[str], environ: Mapping[str, str]) -> Redactor:
        """Add the values of variables named as secrets (a target's `api_key_env`)."""
        return self.with_secrets(environ.get(name) for name in names)

    def with_targets(self, targets: Iterable[TargetLike], environ: Mapping[str, str]) -> Redactor:
        """Add what a project's targets name: their key variables and the passwords in their URLs."""
        names: list[str] = []
        values: list[str] = []
        for target in targets:
            if target.api_key_env:
                names.append(target.api_key_env)
            values.extend(url_secrets(target.base_url))
        return self.with_variables(names, environ).with_secrets(values)

    def with_secrets(self, values: Iterable[str | None], *, minimum: int = MIN_NAMED) -> Redactor:
        added = set(self.secrets)
        for value in values:
            if not value:
                continue
            for form in (value, value.strip()):
                if len(form) >= minimum:
                    added.add(form)
        return self if len(added) == len(self.secrets) else Redactor(frozenset(added))

    def redact(self, text: str) -> str:
        """The text with every secret, URL password and key-shaped string replaced."""
        if not text:
            return text
        pattern, anchors = _pattern(self.secrets)
        # every written form of a secret keeps its longest letters-and-digits run as is: a fast `in` test
        # spares the regex on the (large) texts that hold none of them
        if pattern is not None and (anchors is None or any(a in text for a in anchors)):
            text = pattern.sub(MASK, text)
        if "://" in text:
            text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK + "@", text)
        return _KEY_LIKE.sub(_KEY_LIKE_MASK, text) if "sk-" in text else text

    def would_redact(self, value: Any) -> bool:
        """Whether redact_data(value) would change anything (== value or not), at a fraction of its cost:
        none of what makes redact() change a text (a secret's anchor, `://`, `sk-`) in any of value's
        strings settles it; otherwise each string is redacted and compared."""
        strings: list[str] = []
        _strings(value, strings)
        joined = "\n".join(strings)
        pattern, anchors = _pattern(self.secrets)
        if not (
            "://" in joined
            or "sk-" in joined
            or (pattern is not None and (anchors is None or any(a in joined for a in anchors)))
        ):
            return False
        return any(self.redact(text) != text for text in strings)

    def redact_data(self, value: T) -> T:
        """The same value with every string in it redacted (mapping keys too): dicts, lists, tuples,
        frozen dataclasses. Redacting before formatting means truncation can never cut a secret in two."""
        return _walk(value, self.redact)  # type: ignore[no-any-return]


def url_secrets(url: str | None) -> list[str]:
    """The password of a URL as written and decoded, and the `user:password` pair as Basic auth sends it."""
    if not url:
        return []
    try:
        parts = urlsplit(url)
        raw_user, raw_password = parts.username, parts.password
    except ValueError:
        return []
    if not raw_password:
        return []
    user, password = unquote(raw_user or ""), unquote(raw_password)
    pair = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return [raw_password, password, pair]


def _looks_secret(value: str) -> bool:
    value = value.strip()
    return len(value) >= MIN_GUESSED and not _PLAIN_WORDS.fullmatch(value) and not value.isdigit()


def _strings(value: Any, found: list[str]) -> None:
    """Every string _walk would redact (mapping keys too), in found."""
    if isinstance(value, str):
        found.append(value)
    elif isinstance(value, Enum) or value is None or isinstance(value, bool | int | float):
        return
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _strings(key, found)
            _strings(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _strings(item, found)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            _strings(getattr(value, f.name), found)


def _walk(value: Any, redact: Any) -> Any:
    if isinstance(value, Enum) or value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {_walk(k, redact): _walk(v, redact) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, redact) for v in value]
    if isinstance(value, tuple):
        return tuple(_walk(v, redact) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _walk(getattr(value, f.name), redact) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value


_NAMED_ESCAPES = {"\n": "n", "\r": "r", "\t": "t", "\f": "f", "\b": "b", "\v": "v", "\0": "0"}
_BACKSLASHES = r"\\+"  # one, or several when the escaped text was escaped again (a JSON line)


def _hex(byte: int) -> str:
    """Two hex digits, either case."""
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in f"{byte:02x}")


def _char_forms(char: str) -> str:
    """A regex for one character of a secret, in every way it may be written out."""
    if char.isascii() and char.isalnum():
        return char
    code = ord(char)
    encoded = char.encode("utf-8")
    forms = [
        re.escape(char),
        "".join("%" + _hex(b) for b in encoded),
        "".join(_BACKSLASHES + "x" + _hex(b) for b in encoded),
    ]
    forms.append(
        _BACKSLASHES
        + (
            "u" + "".join(_hex(b) for b in code.to_bytes(2, "big"))
            if code < 0x10000
            else "U" + "".join(_hex(b) for b in code.to_bytes(4, "big"))
        )
    )
    if code < 0x100:
        forms.append(_BACKSLASHES + "x" + _hex(code))
    if char in _NAMED_ESCAPES:
        forms.append(_BACKSLASHES + _NAMED_ESCAPES[char])
    if char in "\"'/\\":
        forms.append(_BACKSLASHES + re.escape(char))
    if char == " ":
        forms.append(r"\+")
    return "(?:" + "|".join(forms) + ")"


_ALNUM_RUN = re.compile(r"[A-Za-z0-9]+")


@lru_cache(maxsize=64)
def _pattern(secrets: frozenset[str]) -> tuple[re.Pattern[str] | None, tuple[str, ...] | None]:
    """The regex of every form of every secret, and the literal anchors (None: no usable anchor)."""
    if not secrets:
        return None, ()
    ordered = sorted(secrets, key=lambda s: (-len(s), s))  # the longest form first ("key\n" before "key")
    pattern = re.compile("|".join("".join(_char_forms(c) for c in secret) for secret in ordered))
    anchors = []
    for secret in ordered:
        runs = _ALNUM_RUN.findall(secret)
        longest = max(runs, key=len) if runs else ""
        if len(longest) < 3:
            return pattern, None
        anchors.append(longest)
    return pattern, tuple(dict.fromkeys(anchors))


# -- the secrets of a run ------------------------------------------------------------------------


class Redacting(Protocol):
    """What a view or a saved plan needs to hide secrets: a Redactor value, or a run's SecretLedger."""

    def redact(self, text: str) -> str: ...

    def redact_data(self, value: T) -> T: ...

    def would_redact(self, value: Any) -> bool: ...


class SecretLedger:
    """The secrets of one run, append-only: a secret once added is hidden until the run ends.

    Whoever runs a command owns one (the CLI's main, a test) and binds it for the run's length
    (`with ledger.bound():`). Code deep in the engine, the backends and the runtime (a key read as a
    connection opens, a vault secret resolved on a worker thread, a server's error quoted) has no run at
    hand, so it reaches the bound ledger through `active()`; views and saved plans take one as `redactor=`.
    Adding holds a lock around the one read-modify-write, so secrets added from many threads at once are
    all kept; reading is lock-free (the current Redactor is an immutable value, replaced whole)."""

    __slots__ = ("_lock", "_redactor")

    def __init__(self, redactor: Redactor | None = None) -> None:
        self._lock = threading.Lock()
        self._redactor = redactor if redactor is not None else Redactor()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> SecretLedger:
        """A run's ledger, holding what the environment says is secret (Redactor.from_environment)."""
        return cls(Redactor.from_environment(environ))

    @property
    def redactor(self) -> Redactor:
        """Every secret added so far, as an immutable value."""
        return self._redactor

    def add(self, values: Iterable[str | None], *, minimum: int = MIN_NAMED) -> None:
        values = list(values)  # read before the lock: a generator may be slow or raise
        with self._lock:
            self._redactor = self._redactor.with_secrets(values, minimum=minimum)

    def add_targets(self, targets: Iterable[TargetLike], environ: Mapping[str, str]) -> None:
        """Add what a project's targets name: their key variables' values and their URLs' passwords."""
        targets = list(targets)
        with self._lock:
            self._redactor = self._redactor.with_targets(targets, environ)

    def redact(self, text: str) -> str:
        return self._redactor.redact(text)

    def redact_data(self, value: T) -> T:
        return self._redactor.redact_data(value)

    def would_redact(self, value: Any) -> bool:
        return self._redactor.would_redact(value)

    @contextmanager
    def bound(self) -> Iterator[SecretLedger]:
        """Make this the ledger of the run in progress (what `active()` answers) until the block ends."""
        with _binding:
            _bound.append(self)
        try:
            yield self
        finally:
            with _binding:
                # the last binding of this ledger, wherever it is: runs on other threads may bind in between
                del _bound[len(_bound) - 1 - _bound[::-1].index(self)]


_binding = threading.Lock()
# the ledgers of the runs in progress, innermost last (mutated under _binding, never rebound)
_bound: list[SecretLedger] = []
_UNBOUND = SecretLedger()  # used outside any run (library use, a test that binds none): append-only too


def active() -> SecretLedger:
    """The ledger of the run in progress: the one its owner bound last, else the process's own."""
    try:
        return _bound[-1] if _bound else _UNBOUND  # no raise on the common path: this runs per line shown
    except IndexError:  # the last run ended on another thread between the two reads
        return _UNBOUND


def register_secret(value: str | None) -> None:
    """Add a secret read while running (the key a connection actually sends) to the run's ledger."""
    active().add([value])


def redact(text: str) -> str:
    return active().redact(text)


# -- the one output path: what reaches a terminal or a file ----------------------------------------

# C0 controls but tab and newline, DEL, C1 controls, and the invisible or reordering format characters
# (bidirectional overrides and isolates, zero-width marks, line and paragraph separators, BOM) that make a
# terminal show something other than the bytes: terminal title escapes, cursor moves, a right-to-left name
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
    "\ufff9-\ufffb]"
)


_STYLED = re.compile("(\x1b\\[(?:0|1|2|22|3[0-79]|9[0-7])m)|(" + _CONTROL.pattern + ")")


def escape_controls(text: str, *, styled: bool = False) -> str:
    """text with every control or reordering character written as `\\uXXXX` (tab and newline kept): what
    is shown is what is there. In a JSON string the escape means the same character, so JSON stays valid.
    styled keeps the colour codes the views paint with (SGR only: no title, cursor or erase sequences)."""
    if text.isprintable() or text.replace("\n", "").replace("\t", "").isprintable():  # fast: most text
        return text
    if styled:
        return _STYLED.sub(lambda m: m.group(1) or f"\\u{ord(m.group(2)):04x}", text)
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def escape_line(text: str) -> str:
    """A name or value shown on one line: newlines and tabs are escaped too."""
    return escape_controls(text).replace("\n", "\\n").replace("\t", "\\t")


def shown(text: str, *, styled: bool = False) -> str:
    """What may reach a terminal, a log or a file: every secret masked, every control character escaped."""
    return escape_controls(active().redact(text), styled=styled)


MAX_QUOTED = 2000  # characters of a server's error message (or any foreign text) quoted in one message


def clipped(text: str, limit: int = MAX_QUOTED) -> str:
    """text redacted, then cut at limit with a note of what was left out (redacting first: a cut never
    splits a secret out of the redactor's sight)."""
    text = active().redact(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"
