"""One pull-request comment from several markdown reports (each environment's plan and behaviour tests),
bounded to a size limit (GitHub's: 65,536 characters) by leaving out whole sections, never a part of one.

What stays, in this order of need: each report's head (title, summary, table of changes; the tests' verdict),
its warnings and the table of test cases (regressions first), then each resource's details in plan order and
each failing case's failures, as many as fit. Everything left out is named at the end of its report,
with where the full report is (a link passed in, e.g. the run's job summary or artifact).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orchestrator.views.plan_markdown import MarkdownSection

GITHUB_COMMENT_LIMIT = 65_536
DEFAULT_MARKER = "<!-- orchestrator-plan -->"
NEED = {
    "head": 0,
    "warnings": 1,
    "tests": 1,
    "resource": 2,
    "failure": 2,
}  # what is kept first when not everything fits
LEFT_OUT_NAMES = 20  # at most this many left-out sections are named one by one per report


@dataclass(frozen=True, slots=True)
class Report:
    """A titled group of sections (one environment's plan), kept whole or cut between sections."""

    name: str
    sections: tuple[MarkdownSection, ...]


def render_comment(
    reports: Sequence[Report],
    *,
    max_chars: int = GITHUB_COMMENT_LIMIT,
    link: str | None = None,
    marker: str = DEFAULT_MARKER,
    title: str = "## Orchestrator",
) -> str:
    """The comment body, at most max_chars characters; the marker on its first line finds it again to edit."""
    opening = f"{marker}\n{title}\n\n"
    where = f"[the full report]({link})" if link else "the full report (`orchestrator show PLAN -o markdown`)"
    closing = f"---\n*Some sections were left out to fit {max_chars:,} characters; see {where}.*\n"
    full = (opening + "".join(s.text for r in reports for s in r.sections)).rstrip("\n") + "\n"
    if len(full) <= max_chars:
        return full
    # reserve room for the closing line and each report's note of what was left out, then keep by need
    notes = sum(len(_left_out_note(r, r.sections)) for r in reports)
    budget = max_chars - len(opening) - len(closing) - notes
    order = sorted(
        (NEED.get(s.part, 2), ri, si) for ri, r in enumerate(reports) for si, s in enumerate(r.sections)
    )
    kept: list[tuple[int, int]] = []
    for _, ri, si in order:
        size = len(reports[ri].sections[si].text)
        if size <= budget:
            kept.append((ri, si))
            budget -= size
    while True:  # the notes of a partial cut can name longer labels than the reserve counted: drop more then
        body = _compose(reports, set(kept), opening, closing)
        if len(body) <= max_chars or not kept:
            return body
        kept.pop()


def _compose(reports: Sequence[Report], kept: set[tuple[int, int]], opening: str, closing: str) -> str:
    parts = [opening]
    for ri, report in enumerate(reports):
        left = [s for si, s in enumerate(report.sections) if (ri, si) not in kept]
        parts.extend(s.text for si, s in enumerate(report.sections) if (ri, si) in kept)
        if left:
            parts.append(_left_out_note(report, left))
    parts.append(closing)
    return "".join(parts)


def _left_out_note(report: Report, left: Sequence[MarkdownSection]) -> str:
    """`> Left out of dev: details of 3 resources (vault crm, ...)`: a block quote, outside any fence."""
    names = [s.label for s in left[:LEFT_OUT_NAMES]]
    more = f" and {len(left) - LEFT_OUT_NAMES} more" if len(left) > LEFT_OUT_NAMES else ""
    count = len(left)
    return (
        f"> ✂️ Left out of {report.name} ({count} section{'s' if count != 1 else ''}): "
        + ", ".join(f"`{_plain(n)}`" for n in names)
        + more
        + "\n\n"
    )


def _plain(text: str) -> str:
    return text.replace("`", "'").replace("\n", " ")
