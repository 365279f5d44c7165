"""Every model call goes through one service: cache, budgets, breaker and rate limits, retries, costs."""

from __future__ import annotations

from .cache import ResponseCache
from .llm_service import LLMService, RetryPolicy, ServiceSettings, UsageLedger
from .pricing import cost_usd, total_cost
from .resilience import CircuitBreaker, ProviderLimits, RateLimiter

__all__ = [
    "CircuitBreaker",
    "LLMService",
    "ProviderLimits",
    "RateLimiter",
    "ResponseCache",
    "RetryPolicy",
    "ServiceSettings",
    "UsageLedger",
    "cost_usd",
    "total_cost",
]
