"""The retail-analyst's functions: deterministic sample KPIs (no network, no database).

The figures are derived from a hash of the store id and period, so the same question always gets
the same answer. They are sample data for demos and tests, labelled as such in every result.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

PERIOD_DAYS = {"week": 7, "month": 30, "quarter": 91}
STORE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


def fetch_kpis(store_id: str, period: str) -> dict[str, Any]:
    """Sales, footfall, conversion, basket, inventory and markdown KPIs of one store for one period."""
    if period not in PERIOD_DAYS:
        raise ValueError(f"unknown period {period!r}; use week, month or quarter")
    if not STORE_ID.match(store_id):
        raise ValueError(f"store_id {store_id!r} is not a store identifier (letters, digits, - and _)")
    days = PERIOD_DAYS[period]
    seed = hashlib.sha256(f"{store_id.upper()}".encode()).digest()

    def unit(index: int) -> float:
        """A stable number in [0, 1) from the store's hash."""
        return int.from_bytes(seed[2 * index : 2 * index + 2], "big") / 65536

    daily_footfall = 400 + round(unit(0) * 1600)
    conversion = 0.18 + unit(1) * 0.17
    basket = 22.0 + unit(2) * 38.0
    footfall = daily_footfall * days
    transactions = round(footfall * conversion)
    sales = round(transactions * basket, 2)
    return {
        "store_id": store_id,
        "period": period,
        "days": days,
        "currency": "USD",
        "sales": sales,
        "footfall": footfall,
        "transactions": transactions,
        "conversion_rate": round(conversion, 4),
        "average_basket": round(basket, 2),
        "inventory_turnover": round((4.0 + unit(3) * 8.0) * days / 365, 2),
        "markdown_rate": round(0.05 + unit(4) * 0.2, 4),
        "same_store_sales_growth": round(-0.04 + unit(5) * 0.12, 4),
        "source": "sample data (deterministic, not real figures)",
    }
