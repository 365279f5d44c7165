"""What calls cost: one call from its token counts and price, and any number of costs totalled."""

from __future__ import annotations

from collections.abc import Iterable

from ..models.prices import Price


def cost_usd(price: Price | None, prompt_tokens: int, completion_tokens: int) -> float | None:
    """What one call costs, or None when the model's price is unknown."""
    if price is None:
        return None
    return (prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000


def total_cost(costs: Iterable[float | None]) -> float | None:
    """The sum of some costs, rounded to a millionth of a dollar; unknown (None) when any one is unknown."""
    known = 0.0
    for cost in costs:
        if cost is None:
            return None
        known += cost
    return round(known, 6)
