"""`orchestrator watch`: reconcile now, then on every file change, until Ctrl-C or SIGTERM.

Exit codes: 0 when stopped by SIGTERM (a supervisor's clean stop), 130 when stopped by Ctrl-C
(SIGINT, as every command reports an interrupt), 1 when it cannot start. A stop request is
honoured between cycles: the write in flight and the rest of its cycle finish first.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

import click

from orchestrator.app.live import apply_lock
from orchestrator.app.project import select, today
from orchestrator.app.watch import open_session
from orchestrator.cli.common import (
    directory_option,
    environment_option,
    output_option,
    parallelism_option,
    print_diagnostics,
    resolve_root,
    stdout_color,
    target_option,
)
from orchestrator.cli.events import events_option, make_bus
from orchestrator.cli.output import echo
from orchestrator.cli.report import TERMINAL
from orchestrator.diagnostics import Diagnostics
from orchestrator.engine.planning import Action

VERBS = {Action.CREATE: "created", Action.UPDATE: "updated", Action.DELETE: "deleted"}
PLANNED = {Action.CREATE: "to create", Action.UPDATE: "to update", Action.DELETE: "to delete"}


@click.command()
@directory_option
@environment_option
@target_option
@click.option("--dry-run", is_flag=True, help="Print the plan of every cycle; apply nothing.")
@click.option(
    "--resync",
    "resync",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="Re-read all live objects this often and repair drift (0: never).",
)
@click.option("--prune", is_flag=True, help="Delete orphans (specs removed) and duplicates too.")
@output_option("text", "json", help="text: a line and the plan per cycle; json: one JSON object per cycle.")
@click.option(
    "--debounce-ms",
    type=click.IntRange(10, 5000),
    default=50,
    show_default=True,
    help="Quiet time after the last file event before a cycle starts.",
)
@parallelism_option()
@events_option
def watch(
    directory: Path | None,
    environment: str | None,
    target: str | None,
    dry_run: bool,
    resync: float,
    prune: bool,
    output: str,
    debounce_ms: int,
    parallelism: int,
    events: Path | None,
) -> int:
    """Reconcile now, then on every change of specs, templates, schemas or orchestrator.yaml.

    Runs until Ctrl-C (exit 130) or SIGTERM (exit 0); never stops in the middle of a write.

    \b
    Examples:
      orchestrator watch                      # the default environment
      orchestrator watch -e dev --dry-run     # show each cycle's plan, change nothing
    """
    from orchestrator.engine.watching import Reconciler, watch_loop

    root = resolve_root(directory)
    selection = select(root, environment, target)  # unknown -e/-t: exit 1 now rather than wait
    if isinstance(selection, Diagnostics):
        print_diagnostics(selection)  # an invalid orchestrator.yaml is waited for, like any invalid file
    bus = make_bus(events)
    stop = threading.Event()
    stopped_by: list[int] = []
    reconciler = Reconciler(
        root,
        environment,
        target,
        today(),
        open_session(bus, parallelism, specs=lambda: reconciler.desired, reporter=TERMINAL),
        partial(apply_lock, reporter=TERMINAL),
        bus,
        prune=prune,
        dry_run=dry_run,
    )
    printer = CyclePrinter(output, root)

    def request_stop(signum: int, frame: FrameType | None) -> None:
        if not stopped_by:
            stopped_by.append(signum)
            echo("Stopping after the current cycle...", err=True)
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if isinstance(selection, Diagnostics):
            where = f"{root} (orchestrator.yaml is invalid: waiting for a fix)"
        else:
            where = (
                f"project {selection.project.name} in {root} (environment {selection.environment.name}, "
                f"target {selection.target.name})"
            )
        echo(f"Watching {where}" + (", dry run" if dry_run else "") + "; Ctrl-C to stop.", err=True)
        bus.publish("watch_started", root=str(root), dry_run=dry_run, resync=resync)
        watch_loop(reconciler, stop, printer, resync_s=resync, debounce_ms=debounce_ms)
    finally:
        reconciler.close_session()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    code = 130 if stopped_by and stopped_by[0] == signal.SIGINT else 0
    bus.publish("watch_stopped", exit_code=code)
    echo("Watch stopped.", err=True)
    return code


class CyclePrinter:
    """Writes each cycle: text (a line, then the plan when it has something to show) or one JSON line."""

    def __init__(self, output: str, root: Path) -> None:
        self.output = output
        self.root = root
        self._last_warnings: tuple[str, ...] = ()
        self._last_diagnostics: tuple[Any, ...] | None = None

    def __call__(self, report: Any) -> None:
        if report.diagnostics and tuple(report.diagnostics) != self._last_diagnostics:
            print_diagnostics(Diagnostics(report.diagnostics), summary=report.invalid)
        self._last_diagnostics = tuple(report.diagnostics)
        if self.output == "json":
            echo(json.dumps(cycle_to_data(report), ensure_ascii=False))
        else:
            echo(self._text(report), nl=False, styled=True)

    def _text(self, report: Any) -> str:
        from orchestrator.views.plan_text import render_plan_text

        stamp = time.strftime("%H:%M:%S", time.localtime(report.started))
        head = f"[{stamp}] cycle {report.number} ({report.trigger}"
        if report.files:
            shown = ", ".join(report.files[:3]) + (
                f", +{len(report.files) - 3} more" if len(report.files) > 3 else ""
            )
            head += f": {shown}"
        head += f"): {summarise(report)} in {report.duration_ms} ms"
        if report.retry_in is not None:
            head += f"; retrying in {report.retry_in:.1f} s"
        lines = [head]
        the_plan = report.plan
        if the_plan is not None:
            warnings = tuple(the_plan.warnings)
            if the_plan.has_changes or (warnings and warnings != self._last_warnings):
                lines.append(render_plan_text(the_plan, color=stdout_color()).rstrip("\n"))
            self._last_warnings = warnings
        for outcome in report.failed:
            change = outcome.change
            lines.append(f"  {change.kind} {change.name}: FAILED to {change.action.value}: {outcome.error}")
        lines.extend(f"  error: {message}" for message in report.errors)
        return "\n".join(lines) + "\n"


def summarise(report: Any) -> str:
    if report.invalid:
        return "invalid, live state left untouched"
    if report.plan is None:
        text = "no changes" if not report.errors else "not reconciled"
    else:
        actionable = report.plan.actionable
        noop = report.plan.summary()["noop"]
        if report.dry_run:
            counts = [f"{sum(c.action is a for c in actionable)} {word}" for a, word in PLANNED.items()]
            text = "dry run: " + ", ".join(counts) if actionable else "no changes"
        elif actionable:
            done = {o.change.name for o in report.outcomes if o.ok}
            counts = [
                f"{sum(c.action is a and c.name in done for c in actionable)} {word}"
                for a, word in VERBS.items()
            ]
            text = ", ".join(counts) + (f", {len(report.failed)} failed" if report.failed else "")
        else:
            text = "no changes"
        if noop:
            text += f", {noop} in sync"
    return text


def cycle_to_data(report: Any) -> dict[str, Any]:
    """One cycle as a JSON object for log collectors (keys fixed; changes sorted by name)."""
    outcomes = {(o.change.name, o.change.action, o.change.id): o for o in report.outcomes}
    changes = []
    the_plan = report.plan
    for change in the_plan.actionable if the_plan is not None else ():
        outcome = outcomes.get((change.name, change.action, change.id))
        status = "planned" if outcome is None else ("applied" if outcome.ok else "failed")
        item = {
            "kind": change.kind,
            "name": change.name,
            "action": change.action.value,
            "id": outcome.id if outcome is not None and outcome.id else change.id,
            "drift": change.drift,
            "reason": change.reason.value,
            "status": status,
            "fields": sorted({f.path for f in change.fields}),
        }
        if outcome is not None and outcome.error:
            item["error"] = outcome.error
        changes.append(item)
    errors = [{"name": o.change.name, "message": o.error} for o in report.failed]
    errors.extend({"name": None, "message": message} for message in report.errors)
    started = report.started
    return {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(started))
        + f".{int(started * 1000) % 1000:03d}Z",
        "cycle": report.number,
        "trigger": report.trigger,
        "files": list(report.files),
        "dry_run": report.dry_run,
        "invalid": report.invalid,
        "changes": changes,
        "summary": the_plan.summary() if the_plan is not None else None,
        "warnings": list(the_plan.warnings) if the_plan is not None else [],
        "diagnostics": [d.to_json() for d in report.diagnostics],
        "errors": errors,
        "retry_in_s": report.retry_in,
        "full_read": report.full_read,
        "duration_ms": report.duration_ms,
    }
