"""A small dated price table for cost estimates of run and chat.

The figures are ESTIMATES in USD per 1M tokens, as of PRICES_AS_OF; they ignore cached-input
discounts, batch pricing and tool fees. Check your provider's price page before relying on them.
Models not in the table get usage without a cost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from orchestrator.constants import MODEL_PRICES, MODEL_PRICES_AS_OF

PRICES_AS_OF = date.fromisoformat(MODEL_PRICES_AS_OF)


@dataclass(frozen=True, slots=True)
class Price:
    input_per_million: float
    output_per_million: float


# the figures live in orchestrator.constants, shared with the emulator's session spend accounting
PRICES: dict[str, Price] = {model: Price(*prices) for model, prices in MODEL_PRICES.items()}

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
