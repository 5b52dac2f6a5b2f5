"""The docs' shell examples that show output are run against the emulator and compared with the page.

Which blocks run, and how output is compared, is in tests/docs/console.py and docs/writing-docs.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.docs import console

TUTORIAL = console.DOCS / "tutorial" / "getting-started.md"


def test_the_getting_started_tutorial_runs_every_step_it_shows() -> None:
    """The tutorial cannot opt out: fresh clone -> validate -> apply -> run -> diff -> a second environment."""
    commands = [item.command for item in console.examples(TUTORIAL)]
    assert TUTORIAL in console.marked_pages()
    for step in (
        "orchestrator validate",
        "orchestrator apply --yes",
        "orchestrator run ",
        "orchestrator diff",
        "orchestrator apply -e agents --yes",
    ):
        assert any(command.startswith(step) for command in commands), f"the tutorial no longer runs `{step}`"


def test_the_readme_quick_start_runs_what_it_shows() -> None:
    """The README is what a newcomer reads first: its quick start is executed like a docs page."""
    commands = [item.command for item in console.examples(console.README)]
    assert console.README in console.marked_pages()
    for step in (
        "orchestrator validate",
        "orchestrator diff",
        "orchestrator apply --yes",
        "orchestrator test",
        "orchestrator run ",
        "orchestrator init ",
    ):
        assert any(command.startswith(step) for command in commands), f"the README no longer runs `{step}`"


def _run_page(page: Path, root: Path) -> tuple[list[console.Example], list[str]]:
    items = console.examples(page)
    return items, console.run_examples(items, console.fresh_project(root), root)


@pytest.fixture(scope="module")
def sessions(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[Path, Future[tuple[list[console.Example], list[str]]]]]:
    """The session of every marked page this run selected, started at once and run two at a time (each
    is mostly process start-ups: two workers halve the wall time on a 2-core CI runner)."""
    selected = [
        item.callspec.params["page"]
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_every_executed_example_prints_what_its_page_shows"
        and hasattr(item, "callspec")
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures: dict[Path, Future[tuple[list[console.Example], list[str]]]] = {}
        by_commands: dict[tuple[str, ...], Future[tuple[list[console.Example], list[str]]]] = {}
        for page in selected:  # pages showing the same session (README, index) share its run
            commands = tuple(item.command for item in console.examples(page))
            if commands not in by_commands:
                by_commands[commands] = pool.submit(_run_page, page, tmp_path_factory.mktemp("docs-example"))
            futures[page] = by_commands[commands]
        yield futures
        for future in futures.values():
            future.cancel()


@pytest.mark.parametrize("page", console.marked_pages(), ids=console.page_id)
def test_every_executed_example_prints_what_its_page_shows(
    page: Path, sessions: dict[Path, Future[tuple[list[console.Example], list[str]]]]
) -> None:
    items, printed = console.examples(page), sessions[page].result()[1]
    assert len(printed) == len(items), f"the shell session ended early:\n{printed[-1] if printed else ''}"
    problems = [
        problem
        for item, out in zip(items, printed, strict=True)
        if (problem := console.compare(item, out)) is not None
    ]
    assert not problems, "\n\n".join(problems)


def test_normalising_hides_what_changes_from_run_to_run_and_nothing_else() -> None:
    printed = [
        "  assistant b: created (asst_dguszCLJ9TCwRHNJ16baM5H9)",
        "  file a.md: created (file-hlYAF07O9TF3ChfuAqRCgwcT)",
        "thread: thread_NMkEPT9Rv4i7CclkR61c0Xl0 · est. $0.001267 · e2490c1, at HEAD (12 ms)",
    ]
    shown = [
        "  file a.md: created (file-QKNa4I6yfywxo0rzFW2QsbwO)",
        "  assistant b: created (asst_GFeDKtkoMIYl4tgrVxmVQvmb)",
        "thread: thread_SGy3c2EEGPhaOPdSwAsKIhNN · est. $0.003887 · 5856bcf, at HEAD (0 ms)",
    ]
    assert console.normalise(printed) == console.normalise(shown)
    assert console.normalise(["2 specs valid"]) != console.normalise(["3 specs valid"])
    # a short commit id made only of digits (the CI run that found it had 4863060)
    assert console.normalise(
        ["a  in sync  4863060, at HEAD", "b  in sync  4863060, 1 commit behind (x)"]
    ) == console.normalise(["a  in sync  c88b70f, at HEAD", "b  in sync  e2490c1, 1 commit behind (x)"])
    assert console.normalise(["1234567 tokens"]) != console.normalise(["7654321 tokens"])
    # history, history --diff and rollback name commits in their own places (CI found 8619761)
    assert console.normalise(
        [
            "*  8619761   2026-12-07 17:32  Ana Ruiz  House style",
            "  against its parent 8619761 (x)",
            "          --- 8619761",
            "          +++ 8619761",
            "8619761 did not change what a deploys.",
            "Rolling back a: live 8619761 -> 8619762 (x)",
        ]
    ) == console.normalise(
        [
            "*  eceb85c   2026-12-07 17:32  Ana Ruiz  House style",
            "  against its parent fc88d2a (x)",
            "          --- fc88d2a",
            "          +++ eceb85c",
            "eceb85c did not change what a deploys.",
            "Rolling back a: live eceb85c -> fc88d2a (x)",
        ]
    )
    # a failed change is an outcome line too, written when it fails, among the others
    assert console.normalise(
        ["  vault crm: FAILED to create: x", "  skill grammar: created (skill_abcdefgh)"]
    ) == (
        console.normalise(["  skill grammar: created (skill_hgfedcba)", "  vault crm: FAILED to create: x"])
    )
    # an automation's next runs, counted from the day the example runs
    assert console.normalise(
        ["note: next runs (Europe/Madrid): Tue 2026-12-08 07:00, Wed 2026-12-09 07:00"]
    ) == (console.normalise(["note: next runs (Europe/Madrid): Sat 2027-03-06 07:00, Sun 2027-03-07 07:00"]))
    assert console.matches(["a", "...", "d"], ["a", "b", "c", "d"]) and not console.matches(
        ["a", "d"], ["a", "b", "d"]
    )
