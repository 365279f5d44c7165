"""LLMService: every model call goes through here.

In order: the cache (a deterministic request answered before is answered again, with no call), the budgets
(tokens and dollars, checked before the call could pass them), the provider's circuit breaker and rate limiter,
then the call with one retry loop: timeouts, dropped connections, 408/429/5xx are retried with exponential
backoff and jitter, honouring Retry-After, within an overall deadline; anything else fails at once.
Retryability is decided by exception type and status code, never by message text. Sleep and clock are
injectable so tests assert waits without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import BudgetExceeded, CircuitOpen, ModelError, RetryableModelError, redact
from ..models.base import ChatModel, Completion, CompletionRequest, Usage
from .cache import ResponseCache, cache_key, is_cacheable
from .pricing import cost_usd, total_cost
from .resilience import CircuitBreaker, ProviderLimits, RateLimiter

log = logging.getLogger("toolfoundry.service")
_RETRYABLE = (RetryableModelError, asyncio.TimeoutError, TimeoutError, ConnectionError)


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    jitter: float = 0.5  # each delay is scaled by a random factor in [1 - jitter, 1 + jitter]

    def delay(self, retry: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Exponential backoff with jitter, so many clients do not retry in lockstep; the server's
        Retry-After wins when it asks for longer."""
        backoff = min(self.max_delay_s, self.base_delay_s * (2**retry)) * rng.uniform(1 - self.jitter, 1 + self.jitter)
        return max(backoff, retry_after or 0.0)


@dataclass(frozen=True)
class ServiceSettings:
    """What a user decides about every model call, said once: the CLI's options, `LLMCodeGenerator.create`'s
    `service=` and the benchmarks build one of these, and only the service reads it."""

    timeout_s: float = 120.0  # one call
    deadline_s: float | None = None  # one complete() call, retries and waits included
    max_tokens_total: int | None = None  # across every call of this service
    max_cost_usd: float | None = None
    cache: ResponseCache | None = None
    limits: Mapping[str, ProviderLimits] = field(default_factory=dict)  # by ChatModel.limits_key
    retry: RetryPolicy = RetryPolicy()


@dataclass
class UsageLedger:
    """What was spent so far, per model and in all; cache hits are counted apart and cost nothing."""

    calls: int = 0
    failed_calls: int = 0
    cache_hits: int = 0
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0  # of the calls whose price is known
    cost_known: bool = True  # False once a call of unknown price was made
    by_model: dict[str, Usage] = field(default_factory=dict)

    def record(self, model: ChatModel, completion: Completion) -> None:
        self.calls += 1
        self.usage += completion.usage
        self.by_model[completion.model] = self.by_model.get(completion.model, Usage()) + completion.usage
        spent = cost_usd(
            model.usd_per_million_tokens, completion.usage.prompt_tokens, completion.usage.completion_tokens
        )
        self.cost_known = self.cost_known and spent is not None
        self.cost_usd += spent or 0.0

    @property
    def total_cost_usd(self) -> float | None:
        return total_cost([self.cost_usd if self.cost_known else None])


def _is_valid_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class LLMService:
    def __init__(
        self,
        settings: ServiceSettings | None = None,
        *,
        prompt_version: str = "",
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        seed: int | None = None,
        grace_s: float = 5.0,
    ) -> None:
        """`settings` are the user's; `prompt_version` joins the cache key; the rest are for tests."""
        self.settings = settings or ServiceSettings()
        self.prompt_version = prompt_version
        self.grace_s = grace_s  # local models stop themselves at the deadline; the backstop waits a little longer
        self.ledger = UsageLedger()
        self.breakers: dict[str, CircuitBreaker] = {}
        self.rate_limiters: dict[str, RateLimiter] = {}
        self._sleep = sleep
        self._clock = clock
        self._rng = random.Random(seed)
        self.waits: list[float] = []  # every backoff taken, for reports and tests

    def _breaker(self, key: str) -> CircuitBreaker:
        if key not in self.breakers:
            limits = self.settings.limits.get(key, ProviderLimits())
            self.breakers[key] = CircuitBreaker(key, limits.failure_threshold, limits.cooldown_s, self._clock)
        return self.breakers[key]

    def _limiter(self, key: str) -> RateLimiter:
        if key not in self.rate_limiters:
            limits = self.settings.limits.get(key, ProviderLimits())
            self.rate_limiters[key] = RateLimiter(
                limits.max_concurrent, limits.requests_per_minute, limits.tokens_per_minute, self._clock, self._sleep
            )
        return self.rate_limiters[key]

    def check_budget(self, request: CompletionRequest, model: ChatModel) -> None:
        """Refuse a call that could pass a budget: its prompt plus the most it may write."""
        prompt_tokens = sum(model.count_tokens(message.content) for message in request.messages)
        most = prompt_tokens + request.max_tokens
        token_budget, dollar_budget = self.settings.max_tokens_total, self.settings.max_cost_usd
        if token_budget is not None and self.ledger.usage.total_tokens + most > token_budget:
            raise BudgetExceeded(
                f"token budget of {token_budget} would be passed: {self.ledger.usage.total_tokens} spent, "
                f"the next call may use up to {most}"
            )
        if dollar_budget is not None:
            projected = cost_usd(model.usd_per_million_tokens, prompt_tokens, request.max_tokens)
            if projected is None:
                raise BudgetExceeded(f"{model.name} has no known price, so a dollar budget cannot be kept")
            if self.ledger.cost_usd + projected > dollar_budget:
                raise BudgetExceeded(
                    f"budget of ${dollar_budget:.4f} would be passed: ${self.ledger.cost_usd:.4f} spent, "
                    f"the next call may cost up to ${projected:.4f}"
                )

    async def complete(
        self, model: ChatModel, request: CompletionRequest, call_slots: asyncio.Semaphore | None = None
    ) -> Completion:
        """The model's reply, from the cache or a call. `call_slots` caps the calls in flight across every
        provider (a batch's --concurrency); a call waits for a slot, retries included."""
        if request.timeout_s is None:
            request = request.model_copy(update={"timeout_s": self.settings.timeout_s})
        key = (
            cache_key(model.cache_identity, request, self.prompt_version)
            if self.settings.cache and is_cacheable(request)
            else None
        )
        if key is not None:
            cached = await asyncio.to_thread(self.settings.cache.get, key)
            if cached is not None:
                self.ledger.cache_hits += 1
                return cached.model_copy(update={"cached": True})
        self.check_budget(request, model)
        completion = await self._call_with_retries(model, request, call_slots)
        if not _is_valid_text(completion.text):
            # A reply is hostile input: lone surrogates (a JSON body may carry "\ud800") cannot be written to a
            # file, a report or the cache, so they become U+FFFD here, once, for every consumer.
            text = completion.text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
            completion = completion.model_copy(update={"text": text})
        self.ledger.record(model, completion)
        log.info(
            "%s: %d+%d tokens in %.2fs",
            model.name,
            completion.usage.prompt_tokens,
            completion.usage.completion_tokens,
            completion.seconds,
        )
        if key is not None:
            await asyncio.to_thread(self.settings.cache.put, key, completion)
        return completion

    async def _call_with_retries(
        self, model: ChatModel, request: CompletionRequest, call_slots: asyncio.Semaphore | None
    ) -> Completion:
        breaker, limiter = self._breaker(model.limits_key), self._limiter(model.limits_key)
        retry, deadline_s = self.settings.retry, self.settings.deadline_s
        started = self._clock()
        attempt = 0
        while True:
            breaker.before_call()
            call_started = self._clock()
            try:
                async with call_slots or contextlib.nullcontext(), limiter:
                    await limiter.admit(
                        sum(model.count_tokens(m.content) for m in request.messages) + request.max_tokens
                    )
                    completion = await asyncio.wait_for(
                        model.complete(request), timeout=self.settings.timeout_s + self.grace_s
                    )
            except _RETRYABLE as error:
                breaker.record_failure()
                self.ledger.failed_calls += 1
                described = redact(f"{type(error).__name__}: {error}")
                if isinstance(error, TimeoutError) and not str(error):  # asyncio's own timeout says nothing
                    described = f"TimeoutError: no reply within the call timeout of {request.timeout_s:g}s (--timeout)"
                wait = retry.delay(attempt, self._rng, getattr(error, "retry_after", None))
                past_deadline = deadline_s is not None and self._clock() + wait - started > deadline_s
                if attempt >= retry.max_retries or past_deadline:
                    why = "the deadline would pass" if past_deadline else f"{attempt + 1} attempts"
                    raise ModelError(f"{model.name}: gave up after {why}: {described}") from None
                log.warning("%s: attempt %d failed (%s); retrying in %.2fs", model.name, attempt + 1, described, wait)
                self.waits.append(wait)
                await self._sleep(wait)
                attempt += 1
                continue
            except CircuitOpen:
                raise
            except ModelError:
                self.ledger.failed_calls += 1
                breaker.record_success()  # the provider answered; the request itself was refused
                raise
            breaker.record_success()
            if not completion.seconds:
                completion = completion.model_copy(update={"seconds": self._clock() - call_started})
            return completion

    def snapshot(self) -> dict[str, Any]:
        """The service's state for a report: breakers, cache, spend."""
        return {
            "breakers": {key: breaker.snapshot() for key, breaker in self.breakers.items()},
            "rate_limit_wait_s": round(sum(limiter.waited_s for limiter in self.rate_limiters.values()), 3),
            "calls": self.ledger.calls,
            "failed_calls": self.ledger.failed_calls,
            "cache_hits": self.ledger.cache_hits,
            "cost_usd": self.ledger.total_cost_usd,
        }
