"""Executable shell examples of the docs: find them, run them, compare what they print.

The convention (docs/writing-docs.md): a ```console block right after a `<!-- test: run -->` line is
executed. Each `$ ` line is a command; the lines after it, up to the next `$ ` line or the end of the
block, are what it prints (stdout and stderr as a terminal shows them). All marked blocks of a page run in
order, in one bash session (so `cd`, variables and `echo $?` work), in a fresh copy of this repository's
project with the embedded `local` target. A line `...` alone stands for any number of lines.
Live ids, timestamps, git revisions, durations and costs are normalised on both sides before comparing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
MARKER = "<!-- test: run -->"
# what a fresh clone's project is: every path `orchestrator paths` lists, and the .gitignore
PROJECT_FILES = ("orchestrator.yaml", "specs", "templates", "schemas", "examples", ".gitignore")
END = "@@docs-example-end@@"


@dataclass(frozen=True, slots=True)
class Example:
    page: str
    line: int  # 1-based line of the `$ ` command in the page
    command: str
    expected: tuple[str, ...]


README = REPO / "README.md"


def marked_pages() -> list[Path]:
    """Every docs page with at least one executed block, and the README's quick start."""
    pages = sorted(p for p in DOCS.rglob("*.md") if MARKER in p.read_text(encoding="utf-8") and examples(p))
    return [README, *pages] if examples(README) else pages


def page_id(page: Path) -> str:
    """A page's name for test ids and messages: its path under docs/, or README.md."""
    return str(page.relative_to(DOCS)) if page.is_relative_to(DOCS) else page.name


_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


def examples(page: Path) -> list[Example]:
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Example] = []
    index = 0
    fence: str | None = None  # an unmarked fenced block, whose lines are never markers (an example of one)
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if fence is not None:
            if opening and opening.group(1) == fence and not lines[index].strip()[len(fence) :]:
                fence = None
            index += 1
            continue
        if opening:
            fence = opening.group(1)
            index += 1
            continue
        if lines[index].strip() == MARKER:
            start = index + 1
            while start < len(lines) and not lines[start].strip():
                start += 1
            if start >= len(lines) or lines[start].strip() != "```console":
                raise AssertionError(f"{page}:{index + 1}: {MARKER} must be followed by a ```console block")
            end = start + 1
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            indent = len(lines[start]) - len(lines[start].lstrip())  # a block inside a list item
            command: tuple[int, str] | None = None
            output: list[str] = []
            for number in range(start + 1, end):
                line = lines[number][indent:] if lines[number][:indent].isspace() else lines[number]
                if line.startswith("$ "):
                    if command:
                        found.append(Example(page.name, command[0], command[1], tuple(output)))
                    command, output = (number + 1, line[2:]), []
                elif command is None:
                    raise AssertionError(f"{page}:{number + 1}: output before the first `$ ` command")
                else:
                    output.append(line)
            if command:
                found.append(Example(page.name, command[0], command[1], tuple(output)))
            index = end
        index += 1
    return found


def fresh_project(root: Path) -> Path:
    """A copy of this repository's project, committed once, as a fresh clone has it."""
    project = root / "assistant-orchestrator"
    project.mkdir()
    for name in PROJECT_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(
                source, project / name, ignore=shutil.ignore_patterns("__pycache__", ".orchestrator")
            )
        elif source.exists():
            shutil.copy2(source, project / name)
    env = example_environment(root)
    for args in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "-A"],
        ["git", "commit", "-qm", "Tutor and analyst"],
    ):
        subprocess.run(args, cwd=project, env=env, check=True, capture_output=True, timeout=60)
    return project


def example_environment(root: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ORCHESTRATOR_", "OPENAI_", "GIT_")) and k not in ("NO_COLOR", "FORCE_COLOR")
    }
    env.update(
        {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",  # this venv's `orchestrator`
            "PYTHONUNBUFFERED": "1",  # stdout and stderr interleave as on a terminal
            "ORCHESTRATOR_TODAY": "2026-11-26",  # model shutdown dates are judged on a fixed day
            "HOME": str(root),
            "GIT_AUTHOR_NAME": "Ana Ruiz",
            "GIT_AUTHOR_EMAIL": "ana@example.com",
            "GIT_COMMITTER_NAME": "Ana Ruiz",
            "GIT_COMMITTER_EMAIL": "ana@example.com",
            "GIT_CONFIG_NOSYSTEM": "1",
            "COLUMNS": "100",
        }
    )
    return env


def run_examples(items: list[Example], project: Path, root: Path, timeout: int = 600) -> list[str]:
    """Run the commands in one bash session; what each printed, in order."""
    script = ["set +e", "exec 2>&1"]
    for item in items:
        script.append(item.command)
        script.append(f"__rc=$?; printf '%s\\n' '{END}'; (exit $__rc)")
    result = subprocess.run(
        ["bash", "--noprofile", "--norc"],
        input="\n".join(script) + "\n",
        cwd=project,
        env=example_environment(root),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    outputs = result.stdout.split(END + "\n")  # stderr joins stdout (exec 2>&1), as on a terminal
    return outputs[: len(items)]


# -- normalising and comparing

_ID = re.compile(
    r"\b(asst|vs|file|agent|thread|sess|run|msg|step|envtpl|env|vault|cred|skill|skillver|auto|"
    r"autorun|call|batch|vsfb|turn)([_-])[A-Za-z0-9]{6,}\b"
)
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (_ID, r"\1\2<ID>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?\b"), "<TIME>"),
    (re.compile(r"\[\d{2}:\d{2}:\d{2}\]"), "[<TIME>]"),
    # an automation's next runs are counted from today: `Tue 2026-12-08 07:00`
    (re.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) <TIME>"), "<TIME>"),
    # a commit's date (history, --rev, rollback name the commit with its author and date)
    (re.compile(r"(?<=, )\d{4}-\d{2}-\d{2}(?=\))"), "<DATE>"),
    (re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b"), "<REV>"),
    # a short commit id of digits only (1 in 40 or so): a revision where the output names one
    (
        re.compile(
            r"\b\d{7}\b(?=, (?:dirty, )?(?:at HEAD|\d+ commits? (?:behind|ahead))| \(| ->| did not change|\s+<TIME>)"
            r"|(?<=--- )\d{7}\b|(?<=\+\+\+ )\d{7}\b"
        ),
        "<REV>",
    ),
    (re.compile(r"(?<=\brevision )\d{7,40}\b"), "<REV>"),
    # a test run's id (8 hex digits, digits only 1 in 40 or so) and a baseline's short commit id
    (re.compile(r"(?<=\btest run )[0-9a-f]{8}\b"), "<REV>"),
    (re.compile(r"(?<=^Against baseline )(\S+) \([0-9a-f]{7}\)"), r"\1 (<REV>)"),
    (re.compile(r"\b\d+(\.\d+)? ?(ms|s)\b"), "<DURATION>"),
    (re.compile(r"\$\d+\.\d+"), "$<COST>"),
    (re.compile(r"/tmp/\S+"), "<TMP>"),
    # a link to /proc/self/... resolves to the reading process: `/proc/PID/environ` on the page
    (re.compile(r"/proc/\d+/"), "/proc/PID/"),
    # a server on a free loopback port (examples/hostile_server.py, `serve --port 0`)
    (re.compile(r"\b127\.0\.0\.1:\d+\b"), "127.0.0.1:PORT"),
)
# lines that report one change's outcome: written as each finishes, so their order is the servers'
_OUTCOME = re.compile(r"^  (?:[a-z_]+ )?\S.*: (?:created|updated|deleted|adopted|in sync|FAILED to)\b")


def normalise(lines: list[str] | tuple[str, ...]) -> list[str]:
    out = []
    for line in lines:
        line = line.rstrip()
        for pattern, replacement in _RULES:
            line = pattern.sub(replacement, line)
        out.append(line)
    return _sort_outcomes(out)


def _sort_outcomes(lines: list[str]) -> list[str]:
    out: list[str] = []
    run: list[str] = []
    for line in [*lines, None]:
        if line is not None and _OUTCOME.match(line):
            run.append(line)
            continue
        out.extend(sorted(run))
        run = []
        if line is not None:
            out.append(line)
    return out


def matches(expected: list[str], actual: list[str]) -> bool:
    """expected equals actual, where a line `...` in expected stands for any number of lines."""
    if not expected:
        return not actual
    if expected[0].strip() == "...":
        return any(matches(expected[1:], actual[skip:]) for skip in range(len(actual) + 1))
    return bool(actual) and expected[0] == actual[0] and matches(expected[1:], actual[1:])


def compare(item: Example, printed: str) -> str | None:
    """None when what the command printed is what the page shows; else a readable difference."""
    actual = printed.splitlines()
    while actual and not actual[-1].strip():
        actual.pop()
    expected = list(item.expected)
    while expected and not expected[-1].strip():
        expected.pop()
    want, got = normalise(expected), normalise(actual)
    if matches(want, got):
        return None
    return (
        f"{item.page}:{item.line}: `$ {item.command}` printed something else than the page shows.\n"
        "--- the page (normalised)\n"
        + "\n".join(want)
        + "\n+++ printed (normalised)\n"
        + "\n".join(got)
        + "\n+++ printed (as is)\n"
        + "\n".join(actual)
    )
