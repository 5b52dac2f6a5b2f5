"""Issue 28, item 1 (size): one pull-request comment from the plans of several environments, bounded to
GitHub's 65,536 characters by leaving out whole sections, naming them and where the full report is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.projects import make_project, run_cli, write, write_spec

LINK = "https://github.com/acme/assistants/actions/runs/42"
TEMPLATE_LINES = 2_500


def well_formed(markdown: str) -> None:
    """Every code fence closed (by a fence at least as long, as CommonMark reads them), every <details>
    closed, in order, and none inside a fence."""
    fence = ""
    open_details = 0
    for line in markdown.splitlines():
        found = re.match(r"^ {0,3}(`{3,})(.*)$", line)
        if found and not fence:
            fence = found.group(1)
            continue
        if found and fence and len(found.group(1)) >= len(fence) and not found.group(2).strip():
            fence = ""
            continue
        if fence:
            continue
        open_details += line.count("<details>") - line.count("</details>")
        assert open_details >= 0, line
    assert not fence, "a code fence is left open"
    assert open_details == 0, "a <details> is left open"


def long_template(word: str) -> str:
    return "".join(f"Rule {i}: be {word} to {{{{ company }}}}.\n" for i in range(TEMPLATE_LINES))


@pytest.fixture
def two_environments(tmp_path: Path, served, monkeypatch: pytest.MonkeyPatch) -> Path:  # type: ignore[no-untyped-def]
    """dev and staging on one served emulator; a 2,500-line template and four small specs in both."""
    from tests.conftest import TEST_KEY

    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    root = make_project(
        tmp_path / "project", base_url=served.base_url, extra_environments={"staging": {"target": "main"}}
    )
    write(root / "templates" / "long.md.j2", long_template("kind"))
    write_spec(root, "long-tutor", instructions={"template": "long.md.j2"})
    for name in ("alpha", "beta", "gamma"):
        write_spec(root, name)
    for env in ("dev", "staging"):
        assert run_cli(["-C", str(root), "apply", "-e", env, "--yes"]).exit_code == 0
    write(root / "templates" / "long.md.j2", long_template("very kind"))
    for name in ("alpha", "beta", "gamma"):
        write_spec(root, name, instructions=f"You are {name}, changed.")
    return root


def plans_of(root: Path, tmp_path: Path) -> list[Path]:
    saved = []
    for env in ("dev", "staging"):
        plan = tmp_path / f"{env}.plan"
        result = run_cli(["-C", str(root), "diff", "-e", env, "--out", str(plan)])
        assert result.exit_code == 2, result.output
        saved.append(plan)
    return saved


def test_a_2500_line_template_change_in_two_environments_fits_one_comment(
    two_environments: Path, tmp_path: Path
) -> None:
    dev, staging = plans_of(two_environments, tmp_path)
    full = run_cli(["show", str(dev), "-o", "markdown"]).stdout
    assert len(full) > 150_000, "the whole plan of one environment is far over the limit"

    result = run_cli(["comment", "--plan", f"dev={dev}", "--plan", f"staging={staging}", "--link", LINK])
    assert result.exit_code == 0, result.output
    body = result.stdout
    assert len(body) <= 65_536
    well_formed(body)
    assert body.startswith("<!-- orchestrator-plan -->\n")
    # both environments' heads stay (summary and table), the huge details block is cut and named
    for env in ("dev", "staging"):
        assert f"/ `{env}` →" in body and "| 🟡 update | assistant | `long-tutor` |" in body
        assert f"> ✂️ Left out of {env} (1 section): `details of assistant long-tutor`" in body
    # the small resources' details are kept whole
    assert body.count("<summary><code>alpha</code>") == 2
    assert body.rstrip().endswith(f"see [the full report]({LINK}).*")


def test_a_plan_that_fits_is_the_whole_plan(two_environments: Path, tmp_path: Path) -> None:
    write(two_environments / "templates" / "long.md.j2", long_template("kind"))
    dev, _ = plans_of(two_environments, tmp_path)
    body = run_cli(["comment", "--plan", str(dev)]).stdout
    assert (
        body
        == "<!-- orchestrator-plan -->\n## Orchestrator\n\n"
        + run_cli(["show", str(dev), "-o", "markdown"]).stdout
    )
    assert "Left out" not in body


def test_a_tight_limit_keeps_every_environment_head_and_names_each_cut(
    two_environments: Path, tmp_path: Path
) -> None:
    dev, staging = plans_of(two_environments, tmp_path)
    out = tmp_path / "comment.md"
    result = run_cli(
        [
            "comment",
            "--plan",
            f"dev={dev}",
            "--plan",
            f"staging={staging}",
            "--max-chars",
            "2500",
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 0 and result.stdout == "", result.output
    body = out.read_text(encoding="utf-8")
    assert len(body) <= 2500
    well_formed(body)
    assert "> ✂️ Left out of dev (1 section): `details of assistant long-tutor`" in body
    staging_cut = re.search(r"^> ✂️ Left out of staging \(\d sections\): (.*)$", body, re.M)
    assert staging_cut and "`details of assistant long-tutor`" in staging_cut.group(1)
    assert body.count("| 🟡 update | assistant | `gamma` |") == 2, "both environments' tables stay whole"
    assert "see the full report (`orchestrator show PLAN -o markdown`)" in body


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plan", "missing.plan"], "missing.plan"),
        (["--plan", "dev=x.plan", "--link", "javascript:alert(1)"], "is not an http(s) URL"),
        (["--plan", "dev=x.plan", "--link", "https://x.example/a)b"], "is not an http(s) URL"),
        (["--plan", "bad name=x.plan"], "is not a name"),
        (["--plan", "x.plan", "--marker", "not a comment"], "--marker must be one HTML comment"),
        (["--plan", "x.plan", "--max-chars", "10"], "10 is not in the range x>=2000"),
        ([], "nothing to comment: give at least one --plan or --tests"),
    ],
)
def test_bad_comment_arguments_are_diagnosed(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "x.plan").write_text("{not json", encoding="utf-8")
    result = run_cli(["-C", str(tmp_path), "comment", *args])
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output


def test_a_plan_file_that_is_not_a_plan_writes_no_comment(tmp_path: Path) -> None:
    (tmp_path / "x.plan").write_text("{not json", encoding="utf-8")
    result = run_cli(["-C", str(tmp_path), "comment", "--plan", "x.plan"])
    assert result.exit_code == 1 and result.stdout == ""
    assert "x.plan is not a valid saved plan; no comment was written" in result.stderr


def test_an_environment_whose_head_does_not_fit_is_left_out_whole_and_named() -> None:
    from orchestrator.views.comment_markdown import Report, render_comment
    from orchestrator.views.plan_markdown import MarkdownSection

    def head(env: str, rows: int) -> MarkdownSection:
        table = "".join(f"| update | `spec-{i}` |\n" for i in range(rows))
        return MarkdownSection("head", f"plan of environment {env}", f"### {env}\n\n{table}\n")

    reports = [
        Report("dev", (head("dev", 10),)),
        Report("prod", (head("prod", 400),)),
        Report(
            "staging",
            (
                head("staging", 10),
                MarkdownSection(
                    "warnings", "warnings of environment staging", "**Warnings**\n\n- secret missing\n\n"
                ),
            ),
        ),
    ]
    body = render_comment(reports, max_chars=3000, link=LINK)
    assert len(body) <= 3000
    well_formed(body)
    assert "### dev" in body and "### staging" in body and "secret missing" in body
    assert "### prod" not in body and "> ✂️ Left out of prod (1 section): `plan of environment prod`" in body


def test_a_template_holding_code_fences_keeps_the_comment_well_formed(
    two_environments: Path, tmp_path: Path
) -> None:
    """A markdown template's own ``` lines appear in the diff's context: the diff's fence is longer."""
    root = two_environments
    write(root / "templates" / "fenced.md.j2", "Intro.\n```python\nprint(1)\n```\nOutro.\n")
    write_spec(root, "fenced", instructions={"template": "fenced.md.j2"})
    assert run_cli(["-C", str(root), "apply", "-e", "dev", "--yes"]).exit_code == 0
    write(root / "templates" / "fenced.md.j2", "Intro, changed.\n```python\nprint(1)\n```\nOutro.\n")
    plan = tmp_path / "dev.plan"
    assert (
        run_cli(["-C", str(root), "diff", "-e", "dev", "--only", "fenced", "--out", str(plan)]).exit_code == 2
    )
    body = run_cli(["comment", "--plan", str(plan)]).stdout
    well_formed(body)
    assert "````diff" in body and " ```python" in body
