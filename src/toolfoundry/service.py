"""LLMService: every model call goes through here for retries, timeouts, usage accounting and budget.

Retryability is decided by exception type (RetryableModelError, asyncio.TimeoutError, ConnectionError),
never by message text. Sleep and clock are injectable so tests assert waits without waiting.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from .errors import BudgetExceeded, ModelError, RetryableModelError
from .models.base import ChatModel, Completion, CompletionRequest, Usage

_RETRYABLE = (RetryableModelError, asyncio.TimeoutError, TimeoutError, ConnectionError)


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    base_delay_s: float = 0.5
    max_delay_s: float = 20.0
    jitter: float = 0.5  # each delay is scaled by a random factor in [1 - jitter, 1 + jitter]

    def delay(self, retry: int, rng: random.Random) -> float:
        """Exponential backoff with jitter so that many clients do not retry in lockstep."""
        base = min(self.max_delay_s, self.base_delay_s * (2**retry))
        return base * rng.uniform(1 - self.jitter, 1 + self.jitter)


@dataclass
class UsageLedger:
    """Tokens and calls spent so far, per model and in all."""

    calls: int = 0
    failed_calls: int = 0
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    by_model: dict[str, Usage] = field(default_factory=dict)

    def record(self, model: ChatModel, completion: Completion) -> None:
        self.calls += 1
        self.usage += completion.usage
        self.by_model[completion.model] = self.by_model.get(completion.model, Usage()) + completion.usage
        prompt_price, completion_price = model.usd_per_million_tokens
        self.cost_usd += (
            completion.usage.prompt_tokens * prompt_price + completion.usage.completion_tokens * completion_price
        ) / 1_000_000


class LLMService:
    """Calls a model with retries, a per-call timeout and an overall token budget."""

    def __init__(
        self,
        retry: RetryPolicy | None = None,
        timeout_s: float = 120.0,
        max_tokens_total: int | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        seed: int | None = None,
        grace_s: float = 5.0,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self.timeout_s = timeout_s
        self.grace_s = grace_s  # local models stop themselves at the deadline; this backstop waits a little longer
        self.max_tokens_total = max_tokens_total
        self.ledger = UsageLedger()
        self._sleep = sleep
        self._clock = clock
        self._rng = random.Random(seed)
        self.waits: list[float] = []  # every backoff taken, for reports and tests

    def check_budget(self, request: CompletionRequest, model: ChatModel) -> None:
        """Refuse a call that could pass the token budget: prompt plus the most it may write."""
        if self.max_tokens_total is None:
            return
        prompt_tokens = sum(model.count_tokens(message.content) for message in request.messages)
        projected = self.ledger.usage.total_tokens + prompt_tokens + request.max_tokens
        if projected > self.max_tokens_total:
            raise BudgetExceeded(
                f"token budget of {self.max_tokens_total} would be passed: {self.ledger.usage.total_tokens} spent, "
                f"the next call may use up to {prompt_tokens + request.max_tokens}"
            )

    async def complete(self, model: ChatModel, request: CompletionRequest) -> Completion:
        self.check_budget(request, model)
        if request.timeout_s is None:
            request = request.model_copy(update={"timeout_s": self.timeout_s})
        attempt = 0
        while True:
            started = self._clock()
            try:
                # The model gets the deadline too (local models stop generating at it); wait_for is the backstop.
                completion = await asyncio.wait_for(model.complete(request), timeout=self.timeout_s + self.grace_s)
            except _RETRYABLE as error:
                self.ledger.failed_calls += 1
                if attempt >= self.retry.max_retries:
                    raise ModelError(
                        f"{model.name}: gave up after {attempt + 1} attempts: {type(error).__name__}: {error}"
                    ) from error
                wait = self.retry.delay(attempt, self._rng)
                self.waits.append(wait)
                await self._sleep(wait)
                attempt += 1
                continue
            except ModelError:
                self.ledger.failed_calls += 1
                raise
            if not completion.seconds:
                completion = completion.model_copy(update={"seconds": self._clock() - started})
            self.ledger.record(model, completion)
            return completion
