"""The secrets of a run: a ledger its owner binds, append-only, that keeps every secret added from many
threads at once (the old read-modify-write of a module global lost some: each one a leak)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator import secrets
from orchestrator.secrets import Redactor, SecretLedger

THREADS = 8
EACH = 300


@pytest.fixture
def eager_switching() -> Iterator[None]:
    """Switch threads as often as the interpreter can, so a lost update has every chance to happen."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def test_secrets_registered_from_many_threads_at_once_are_all_kept(eager_switching: None) -> None:
    values = [f"thread-{t:02d}-secret-{i:04d}-Zq" for t in range(THREADS) for i in range(EACH)]
    start = threading.Barrier(THREADS)

    def register(mine: list[str]) -> None:
        start.wait()
        for value in mine:
            secrets.register_secret(value)

    with SecretLedger().bound() as ledger:
        workers = [
            threading.Thread(target=register, args=(values[t * EACH : (t + 1) * EACH],))
            for t in range(THREADS)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        lost = [value for value in values if value not in ledger.redactor.secrets]
        assert not lost, f"{len(lost)} of {len(values)} secrets lost"
        assert secrets.redact(f"a {values[0]} b {values[-1]}") == "a *** b ***"


def test_the_ledger_only_grows_and_its_owner_decides_how_long_it_is_active() -> None:
    outer, inner = SecretLedger(), SecretLedger.from_environment({"SERVICE_TOKEN": "tok-0123456789abc"})
    with outer.bound():
        secrets.register_secret("outer-secret-value")
        with inner.bound():
            assert secrets.active() is inner
            secrets.register_secret("inner-secret-value")
            assert secrets.shown("tok-0123456789abc inner-secret-value") == "*** ***"
            inner.add([None, ""])  # nothing to add: nothing forgotten either
            inner.add(["inner-secret-value"])
        assert secrets.active() is outer
        assert secrets.clipped("outer-secret-value inner-secret-value") == "*** inner-secret-value"
    assert {"tok-0123456789abc", "inner-secret-value"} <= inner.redactor.secrets
    assert outer.redactor.secrets == frozenset({"outer-secret-value"})


def test_a_ledger_bound_on_another_thread_ends_without_unbinding_this_one() -> None:
    mine, theirs = SecretLedger(), SecretLedger()
    bound, release = threading.Event(), threading.Event()

    def other_run() -> None:
        with theirs.bound():
            bound.set()
            release.wait(5)

    other = threading.Thread(target=other_run)
    with mine.bound():
        other.start()
        bound.wait(5)
    release.set()
    other.join()
    assert secrets.active() not in (mine, theirs)


def test_a_view_takes_the_runs_ledger_explicitly_or_finds_the_bound_one() -> None:
    from orchestrator.diagnostics import Diagnostics, error
    from orchestrator.views.diagnostics_text import render_diagnostics, render_diagnostics_json

    found = Diagnostics([error("specs/a.yaml", "the key ledger-secret-value is written here")])
    ledger = SecretLedger(Redactor().with_secrets(["ledger-secret-value"]))
    assert "ledger-secret-value" not in render_diagnostics_json(found, redactor=ledger)
    assert "ledger-secret-value" in render_diagnostics(found)  # no run holds it
    with ledger.bound():
        assert "the key *** is written" in render_diagnostics(found)
    data = {"ledger-secret-value": ["x ledger-secret-value", ("sk-abcdefghijklmnop",)]}
    assert ledger.redact_data(data) == {"***": ["x ***", ("sk-***",)]}
    assert ledger.would_redact(data) and not ledger.would_redact({"plain": "text"})


def test_a_cli_run_owns_its_ledger_until_its_last_message_and_leaves_none_behind(tmp_path: Path) -> None:
    from tests.support.projects import run_cli

    token = "tok-abcdefgh12345"  # secret by its variable's name only: the run's ledger knows it
    with SecretLedger().bound() as outer:
        result = run_cli(["-C", str(tmp_path / token), "validate"], env={"MY_SERVICE_TOKEN": token})
        assert result.exit_code == 1 and "no such directory" in result.stderr and token not in result.output
        assert secrets.active() is outer and token not in outer.redactor.secrets
