"""The human views of `history NAME` (the revisions that changed a spec) and `history NAME --diff REV`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from orchestrator.engine.planning import Action, Change
from orchestrator.secrets import Redacting, active
from orchestrator.views.plan_text import render_change_fields


def render_history_text(data: Mapping[str, Any], *, redactor: Redacting | None = None) -> str:
    """One line per revision, newest first, `*` on the live one (the `history -o json` object as text)."""
    redactor = redactor or active()
    data = redactor.redact_data(data)
    where = f"environment {data['environment']}, target {data['target']}"
    revisions: Sequence[Mapping[str, Any]] = data["revisions"]
    count = len(revisions)
    lines = [
        f"History of {data['kind']} {data['name']} ({where}): {count} revision{'s' if count != 1 else ''} "
        "changed what it deploys, newest first",
        "",
    ]
    rows = [("", "REVISION", "DATE", "AUTHOR", "SUBJECT")]
    for item in revisions:
        notes = []
        if item["created"]:
            notes.append("created")
        if not item["valid"]:
            notes.append("does not validate")
        if item["live"]:
            notes.append(_live_note(data["live"], item))
        subject = item["subject"] + (f"  ({'; '.join(notes)})" if notes else "")
        rows.append(
            (
                "*" if item["live"] else "",
                item["short"],
                item["date"][:16].replace("T", " "),
                item["author"],
                subject,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        lines.append(
            "  ".join(f"{cell:<{widths[i]}}" if i < 4 else cell for i, cell in enumerate(row)).rstrip()
        )
    lines.append("")
    lines.extend(data.get("notes") or ())
    return redactor.redact("\n".join(lines).rstrip("\n") + "\n")


def _live_note(live: Mapping[str, Any], item: Mapping[str, Any]) -> str:
    revision = live["revision"]
    note = "live"
    if revision["commit"] != item["commit"]:
        note += f", applied from {revision['commit'][:7]}"
    if revision["dirty"]:
        note += " with uncommitted changes"
    return note


def render_revision_diff_text(
    data: Mapping[str, Any], change: Change, *, color: bool = False, redactor: Redacting | None = None
) -> str:
    """What revision REV changed in what spec NAME deploys, against its parent: the plan's field lines."""
    redactor = redactor or active()
    data = redactor.redact_data(data)
    revision, parent = data["revision"], data["parent"]
    head = f"{data['kind']} {data['name']} at {_commit(revision)}"
    against = _commit(parent) if parent else "nothing (the first commit)"
    lines = [
        f"{head}",
        f"  against its parent {against}",
        f"  (environment {data['environment']}, target {data['target']})",
        "",
    ]
    uploads: Sequence[Mapping[str, Any]] = data.get("uploads") or ()
    if change.action is Action.NOOP and not uploads:
        lines.append(f"{revision['short']} did not change what {data['name']} deploys.")
        files: Sequence[str] = data.get("files") or ()
        if files:  # why `history` does not list it: the payload, not the files, is what a revision deploys
            lines.append(
                f"  (it changed {', '.join(files)}, which render{'s' if len(files) == 1 else ''} "
                "the same payload)"
            )
    else:
        action = Action.UPDATE if change.action is Action.NOOP else change.action
        verb = {Action.CREATE: "+ created", Action.DELETE: "- deleted", Action.UPDATE: "~ changed"}[action]
        lines.append(f"  {verb}")
        if change.action not in (Action.DELETE, Action.NOOP):
            labels = (parent["short"] if parent else "(none)", revision["short"])
            lines.extend(render_change_fields(change, color=color, labels=labels))
        if uploads and change.action is not Action.DELETE:
            lines.append("      files it uploads:")
            lines.extend(f"        {_upload_line(item)}" for item in uploads)
    return redactor.redact("\n".join(lines) + "\n")


def _upload_line(item: Mapping[str, Any]) -> str:
    if item["before"] is None:
        return f"+ {item['path']} (sha256 {item['after'][:16]}…)"
    if item["after"] is None:
        return f"- {item['path']}"
    return f"~ {item['path']} (sha256 {item['before'][:16]}… -> {item['after'][:16]}…)"


def _commit(item: Mapping[str, Any]) -> str:
    return f"{item['short']} ({item['subject']}, {item['author']}, {item['date'][:10]})"
