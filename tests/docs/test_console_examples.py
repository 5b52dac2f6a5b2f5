"""The docs' shell examples that show output are run against the emulator and compared with the page.

Which blocks run, and how output is compared, is in tests/docs/console.py and docs/writing-docs.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs import console

TUTORIAL = console.DOCS / "tutorial" / "getting-started.md"


def test_the_getting_started_tutorial_runs_every_step_it_shows() -> None:
    """The tutorial cannot opt out: fresh clone -> validate -> apply -> run -> diff -> a second environment."""
    commands = [item.command for item in console.examples(TUTORIAL)]
    assert TUTORIAL in console.marked_pages()
    for step in ("orchestrator validate", "orchestrator apply --yes", "orchestrator run ", "orchestrator diff",
                 "orchestrator apply -e agents --yes"):
        assert any(command.startswith(step) for command in commands), f"the tutorial no longer runs `{step}`"


def test_the_readme_quick_start_runs_what_it_shows() -> None:
    """The README is what a newcomer reads first: its quick start is executed like a docs page."""
    commands = [item.command for item in console.examples(console.README)]
    assert console.README in console.marked_pages()
    for step in ("orchestrator validate", "orchestrator diff", "orchestrator apply --yes", "orchestrator test",
                 "orchestrator run ", "orchestrator init "):
        assert any(command.startswith(step) for command in commands), f"the README no longer runs `{step}`"


@pytest.mark.parametrize("page", console.marked_pages(), ids=console.page_id)
def test_every_executed_example_prints_what_its_page_shows(page: Path, tmp_path: Path) -> None:
    items = console.examples(page)
    project = console.fresh_project(tmp_path)
    printed = console.run_examples(items, project, tmp_path)
    assert len(printed) == len(items), f"the shell session ended early:\n{printed[-1] if printed else ''}"
    problems = [problem for item, out in zip(items, printed, strict=True)
                if (problem := console.compare(item, out)) is not None]
    assert not problems, "\n\n".join(problems)


def test_normalising_hides_what_changes_from_run_to_run_and_nothing_else() -> None:
    printed = ["  assistant b: created (asst_dguszCLJ9TCwRHNJ16baM5H9)",
               "  file a.md: created (file-hlYAF07O9TF3ChfuAqRCgwcT)",
               "thread: thread_NMkEPT9Rv4i7CclkR61c0Xl0 · est. $0.001267 · e2490c1, at HEAD (12 ms)"]
    shown = ["  file a.md: created (file-QKNa4I6yfywxo0rzFW2QsbwO)",
             "  assistant b: created (asst_GFeDKtkoMIYl4tgrVxmVQvmb)",
             "thread: thread_SGy3c2EEGPhaOPdSwAsKIhNN · est. $0.003887 · 5856bcf, at HEAD (0 ms)"]
    assert console.normalise(printed) == console.normalise(shown)
    assert console.normalise(["2 specs valid"]) != console.normalise(["3 specs valid"])
    # a short commit id made only of digits (the CI run that found it had 4863060)
    assert console.normalise(["a  in sync  4863060, at HEAD", "b  in sync  4863060, 1 commit behind (x)"]) == \
        console.normalise(["a  in sync  c88b70f, at HEAD", "b  in sync  e2490c1, 1 commit behind (x)"])
    assert console.normalise(["1234567 tokens"]) != console.normalise(["7654321 tokens"])
    assert console.matches(["a", "...", "d"], ["a", "b", "c", "d"]) and not console.matches(["a", "d"], ["a", "b", "d"])
