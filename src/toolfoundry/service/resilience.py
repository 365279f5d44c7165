"""Per-provider circuit breaker and rate limiter, and the limits that set them. Clock and sleep are injected
so tests never wait."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ..errors import CircuitOpen


@dataclass(frozen=True)
class ProviderLimits:
    """Per-provider settings for the breaker and the rate limiter."""

    failure_threshold: int = 5
    cooldown_s: float = 30.0
    max_concurrent: int | None = None  # int-valued settings may come from TOML as floats; they are cast on use
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None


@dataclass
class CircuitBreaker:
    """closed -> (N consecutive failures) -> open -> (cool-down) -> half-open: one probe -> closed or open."""

    provider: str
    failure_threshold: int = 5
    cooldown_s: float = 30.0
    clock: Callable[[], float] = time.monotonic
    state: str = "closed"
    consecutive_failures: int = 0
    opened_at: float | None = None
    times_opened: int = 0
    _probe_in_flight: bool = False

    def before_call(self) -> None:
        if self.state == "open":
            waited = self.clock() - (self.opened_at or 0.0)
            if waited < self.cooldown_s:
                raise CircuitOpen(
                    f"{self.provider}: {self.consecutive_failures} consecutive failures; calls fail fast for "
                    f"another {self.cooldown_s - waited:.0f}s"
                )
            self.state = "half-open"
        if self.state == "half-open":
            if self._probe_in_flight:
                raise CircuitOpen(f"{self.provider}: a probe call is testing the provider; waiting for it")
            self._probe_in_flight = True

    def record_success(self) -> None:
        self.state, self.consecutive_failures, self._probe_in_flight = "closed", 0, False

    def record_failure(self) -> None:
        self.consecutive_failures += 1
        if self.state == "half-open" or self.consecutive_failures >= self.failure_threshold:
            if self.state != "open":
                self.times_opened += 1
            self.state, self.opened_at, self._probe_in_flight = "open", self.clock(), False

    def snapshot(self) -> dict[str, object]:
        return {
            "state": self.state,
            "consecutive_failures": self.consecutive_failures,
            "times_opened": self.times_opened,
        }


@dataclass
class RateLimiter:
    """Concurrent requests, requests per minute and tokens per minute, over a sliding one-minute window."""

    max_concurrent: int | None = None
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    waited_s: float = 0.0
    _window: deque[tuple[float, int]] = field(default_factory=deque)
    _semaphore: asyncio.Semaphore | None = None

    def _room(self, tokens: int) -> float:
        """Seconds until a request of `tokens` fits in the window (0 when it fits now)."""
        now = self.clock()
        while self._window and now - self._window[0][0] >= 60:
            self._window.popleft()
        waits = [0.0]
        if self.requests_per_minute and len(self._window) >= self.requests_per_minute:
            waits.append(60 - (now - self._window[0][0]))
        if self.tokens_per_minute:
            used = sum(count for _, count in self._window)
            if self._window and used + tokens > self.tokens_per_minute:
                freed, needed = 0, used + tokens - self.tokens_per_minute
                for stamp, count in self._window:
                    freed += count
                    if freed >= needed:
                        waits.append(60 - (now - stamp))
                        break
        return max(waits)

    async def __aenter__(self) -> None:
        if self.max_concurrent:
            if self._semaphore is None:
                self._semaphore = asyncio.Semaphore(self.max_concurrent)
            await self._semaphore.acquire()

    async def __aexit__(self, *exc_info: object) -> None:
        if self._semaphore is not None:
            self._semaphore.release()

    async def admit(self, tokens: int) -> None:
        """Wait (with the injected sleep) until the request fits, then record it."""
        while (wait := self._room(tokens)) > 0:
            self.waited_s += wait
            await self.sleep(wait)
        self._window.append((self.clock(), tokens))
