"""Handlers loaded from several threads at once (parallel behaviour-test cases) all find their modules."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from types import SimpleNamespace

from orchestrator.runtime.handlers import load_handler

MODULES = 24


def test_handlers_imported_from_many_threads_at_once_are_all_found(tmp_path: Path) -> None:
    package = tmp_path / "handlers" / "par_handlers"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for n in range(MODULES):  # each first import is slow enough for the threads to overlap
        (package / f"m{n}.py").write_text(f"import time\ntime.sleep(0.01)\n\ndef handle():\n    return {n}\n")
    project = SimpleNamespace(root=tmp_path, python_path=(tmp_path / "handlers",))
    barrier = threading.Barrier(MODULES)
    results: dict[int, object] = {}
    path_before = list(sys.path)

    def load(n: int) -> None:
        barrier.wait()
        try:
            results[n] = load_handler(f"par_handlers.m{n}:handle", project)()  # type: ignore[arg-type]
        except Exception as exc:  # the failure is what the test reports
            results[n] = exc

    threads = [threading.Thread(target=load, args=(n,)) for n in range(MODULES)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for name in [m for m in sys.modules if m == "par_handlers" or m.startswith("par_handlers.")]:
            del sys.modules[name]
    assert results == {n: n for n in range(MODULES)}
    assert sys.path == path_before
