"""Agent session spend (openai 3.60 `spend_control`): what a turn costs and when a session pauses.

Every turn that ends is charged its token usage at the model's price (constants.MODEL_PRICES, the
table run and chat estimate with; a dated snapshot at its model's price, unknown models free). The
spend is kept exactly, in nano-USD (`_spent_nano_usd`), and shown floored to whole cents in
`spend_control.consumed`. A turn that takes the spend to the limit or past it fails with
`session_budget_exceeded` and the session pauses as `budget_reached`; it takes no input until an
update raises or removes the limit (set_limit).
"""

from __future__ import annotations

import re
from typing import Any

from orchestrator.constants import MODEL_PRICES
from orchestrator.emulator.errors import ApiError, invalid

BUDGET_REACHED = "budget_reached"  # the session status
EXCEEDED = "session_budget_exceeded"  # the turn's error code, and the code of refused input
NANO_USD_PER_CENT = 10_000_000
SPENT = "_spent_nano_usd"  # private: the exact spend
SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def limit_of(payload: dict[str, Any]) -> int | None:
    """The limit in USD cents a create or update body asks for (a null spend_control: none)."""
    control = payload.get("spend_control")
    return None if control is None or control["limit"] is None else int(control["limit"])


def control(session: dict[str, Any]) -> dict[str, Any]:
    """The session's {consumed, limit} (sessions stored before openai 3.60 support have none)."""
    return session.setdefault("spend_control", {"consumed": 0, "limit": None})


def set_limit(session: dict[str, Any], limit: int | None) -> None:
    """A new limit, spend kept; a session with no turn running pauses or resumes to match it."""
    control(session)["limit"] = limit
    if session["_turn_id"] is None:
        session["status"] = BUDGET_REACHED if reached(session) else "idle"


def turn_cost(session: dict[str, Any], usage: dict[str, Any] | None) -> int:
    """What usage costs at the session's model's price, in nano-USD."""
    model = session["agent"]["model"]
    prices = MODEL_PRICES.get(model) or MODEL_PRICES.get(SNAPSHOT.sub("", model))
    if prices is None or usage is None:
        return 0
    per_input, per_output = (
        round(price * 1000) for price in prices
    )  # USD per 1M tokens -> nano-USD per token
    return usage["input_tokens"] * per_input + usage["output_tokens"] * per_output


def charge(session: dict[str, Any], usage: dict[str, Any] | None) -> None:
    spent = session.get(SPENT, 0) + turn_cost(session, usage)
    session[SPENT] = spent
    control(session)["consumed"] = spent // NANO_USD_PER_CENT  # floored to whole cents


def reached(session: dict[str, Any], usage: dict[str, Any] | None = None) -> bool:
    """Whether the spend, with `usage` charged on top, is at or past the session's limit."""
    limit = control(session)["limit"]
    if limit is None:
        return False
    return session.get(SPENT, 0) + turn_cost(session, usage) >= limit * NANO_USD_PER_CENT


def exceeded_error(session: dict[str, Any], usage: dict[str, Any]) -> dict[str, str]:
    """The error of the turn that reaches the limit (its usage about to be charged)."""
    spent = (session.get(SPENT, 0) + turn_cost(session, usage)) // NANO_USD_PER_CENT
    limit = control(session)["limit"]
    return {
        "code": EXCEEDED,
        "message": f"The session reached its spend limit of {limit} cents (consumed {spent} cents).",
    }


def refused_input(session: dict[str, Any], param: str) -> ApiError:
    """The 400 for input to a paused session."""
    spend = control(session)
    return invalid(
        f"Session {session['id']} reached its spend limit of {spend['limit']} cents (consumed "
        f"{spend['consumed']}); raise 'spend_control.limit' with an update to continue.",
        param,
        EXCEEDED,
    )
