"""Function handlers of the helpdesk spec: `run` and `chat` call them when the assistant asks."""

from __future__ import annotations

SAMPLE_ORDERS = {"A-1001": "shipped on Monday, arriving Thursday", "A-1002": "being packed"}


def lookup_order(order_number: str) -> dict[str, str]:
    """Sample data: replace with a call to your order system."""
    status = SAMPLE_ORDERS.get(order_number.strip().upper(), "not found")
    return {"order_number": order_number, "status": status}
