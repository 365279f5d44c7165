"""What each model costs: USD per million tokens, pinned, overridable with --prices. Free providers (local
models, the user's own servers) are marked in the registry; an unknown price stays unknown (None)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from ..errors import ConfigError

Price = tuple[float, float]  # (prompt, completion) USD per million tokens
PRICES_AS_OF = "2026-11"
# As published by the providers; override with --prices FILE.
PINNED_PRICES: dict[str, Price] = {
    "openai:gpt-4o": (2.50, 10.00),
    "openai:gpt-4o-mini": (0.15, 0.60),
    "openai:gpt-4.1": (2.00, 8.00),
    "openai:gpt-4.1-mini": (0.40, 1.60),
    "openai:gpt-4.1-nano": (0.10, 0.40),
    "openai:o3-mini": (1.10, 4.40),
    "openai:o4-mini": (1.10, 4.40),
    "anthropic:claude-3-5-haiku-latest": (0.80, 4.00),
    "anthropic:claude-3-7-sonnet-latest": (3.00, 15.00),
    "anthropic:claude-sonnet-4-0": (3.00, 15.00),
    "anthropic:claude-opus-4-0": (15.00, 75.00),
}


def load_price_overrides(path: str | Path) -> dict[str, Price]:
    """A YAML or JSON mapping of model string to [prompt, completion] USD per million tokens."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"price file {path}: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"price file {path}: must map model strings to [prompt, completion] prices")
    prices: dict[str, Price] = {}
    for model, pair in data.items():
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, int | float) and x >= 0 for x in pair)):
            raise ConfigError(f"price file {path}: {model}: expected [prompt, completion], got {json.dumps(pair)}")
        prices[str(model)] = (float(pair[0]), float(pair[1]))
    return prices


def price_for(model: str, overrides: dict[str, Price] | None = None) -> Price | None:
    """USD per million (prompt, completion) tokens for a model string, or None when not known."""
    if overrides and model in overrides:
        return overrides[model]
    return PINNED_PRICES.get(model)
