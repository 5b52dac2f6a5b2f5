"""Cron expressions of automations, parsed by cronsim (the parser healthchecks.io runs in production).

A pattern only checks the shape of the five fields; `99 25 * * *` or `0 0 30 2 *` (February 30th)
have the shape and never fire. cronsim checks ranges, names and whether a date can exist at all, and
gives the next run times the plan shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, tzinfo

from cronsim import CronSim, CronSimError

FIELDS = ("minute", "hour", "day-of-month", "month", "day-of-week")
RANGES = {
    "minute": "0-59",
    "hour": "0-23",
    "day-of-month": "1-31",
    "month": "1-12 or JAN-DEC",
    "day-of-week": "0-7 or SUN-SAT",
}


def cron_problem(expression: str) -> str | None:
    """What is wrong with a five-field cron expression, or None when it is valid and fires."""
    try:
        CronSim(expression, datetime(2026, 1, 1))
    except CronSimError as exc:
        reason = str(exc).strip().rstrip(".")
        for index, name in enumerate(FIELDS):
            if reason.lower() == f"bad {name}":
                value = expression.split()[index]
                if name == "day-of-month" and all(part.isdigit() for part in value.replace(",", " ").split()):
                    days = expression.split()[3]
                    return (
                        f"day-of-month `{value}` never occurs in month `{days}`"
                        if int(value.split(",")[0]) <= 31
                        else f"{name} `{value}` is out of range {RANGES[name]}"
                    )
                return (
                    f"{name} `{value}` is not valid (expected {RANGES[name]}, `*`, lists, ranges and steps)"
                )
        return reason[0].lower() + reason[1:] if reason else "not a valid cron expression"
    return None


def next_runs(expression: str, zone: tzinfo, count: int = 3, now: datetime | None = None) -> list[datetime]:
    """The next `count` times the expression fires in `zone`, after `now` (default: the current time)."""
    start = (now or datetime.now(zone)).astimezone(zone).replace(second=0, microsecond=0)
    runs: Iterator[datetime] = CronSim(expression, start)
    found: list[datetime] = []
    for moment in runs:
        found.append(moment)
        if len(found) == count:
            break
    return found
