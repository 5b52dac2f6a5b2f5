"""A small dated price table for cost estimates of run and chat.

The figures are ESTIMATES in USD per 1M tokens, as of PRICES_AS_OF; they ignore cached-input
discounts, batch pricing and tool fees. Check your provider's price page before relying on them.
Models not in the table get usage without a cost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

PRICES_AS_OF = date(2026, 11, 1)


@dataclass(frozen=True, slots=True)
class Price:
    input_per_million: float
    output_per_million: float


PRICES: dict[str, Price] = {
    "gpt-5.5": Price(5.00, 30.00),
    "gpt-5.4": Price(2.50, 15.00),
    "gpt-5.4-mini": Price(0.75, 4.50),
    "gpt-5.4-nano": Price(0.20, 1.25),
    "gpt-5.2": Price(1.75, 14.00),
    "gpt-5": Price(1.25, 10.00),
    "gpt-5-mini": Price(0.25, 2.00),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4o-mini": Price(0.15, 0.60),
}

_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def price_for(model: str) -> Price | None:
    """The price of a model or of its dated snapshot (gpt-4.1-2025-04-14 is priced as gpt-4.1)."""
    return PRICES.get(model) or PRICES.get(_SNAPSHOT.sub("", model))


def estimate_cost(model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
    """USD for this many tokens, rounded to micro-dollars; None for models not in the table."""
    price = price_for(model)
    if price is None:
        return None
    cost = (
        prompt_tokens * price.input_per_million + completion_tokens * price.output_per_million
    ) / 1_000_000
    return round(cost, 6)
