"""The model interface: a small async base class every provider extends, and the values it exchanges."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

_FROZEN = ConfigDict(frozen=True)
# A fenced block, opened and closed: its body is group 1.
_CLOSED_BLOCK = re.compile(r"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```", re.DOTALL | re.MULTILINE)


def closed_block_with(text: str, needle: str) -> bool:
    """Whether `text` holds a fenced block, closed, whose body contains `needle` (CompletionRequest's
    stop_after_block): a provider that can stop on a condition stops there."""
    return any(needle in match.group(1) for match in _CLOSED_BLOCK.finditer(text))


class Message(BaseModel):
    model_config = _FROZEN

    role: Literal["system", "user", "assistant"]
    content: str


class CompletionRequest(BaseModel):
    """One model call. `prefill` starts the assistant's reply (the model continues it) where supported."""

    model_config = _FROZEN

    messages: tuple[Message, ...]
    temperature: float = 0.0
    max_tokens: int = 512
    seed: int | None = None
    stop: tuple[str, ...] = ()
    # Where supported, the reply ends once it holds a closed fenced block containing this text (a `def` line):
    # what a model writes after its code is never read, and costs tokens and seconds.
    stop_after_block: str = ""
    prefill: str = ""
    timeout_s: float | None = None
    purpose: str = "code"  # "code" (a tool's implementation) or "tests" (test cases from a spec's words)


class Usage(BaseModel):
    model_config = _FROZEN

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


class Completion(BaseModel):
    """A model's reply. `text` excludes the prefill; `finish_reason` is 'stop', 'length' or 'timeout'."""

    model_config = _FROZEN

    text: str
    model: str
    usage: Usage = Field(default_factory=Usage)
    finish_reason: str = "stop"
    seconds: float = 0.0
    cached: bool = False  # served from the response cache: no call made, nothing spent


class ChatModel(ABC):
    """What the pipeline needs of a model. Capabilities are attributes with defaults here, as in simonw/llm:
    a provider sets `name`, implements `complete`, and overrides only what differs from these."""

    name: str = ""  # the model string it was chosen by, e.g. "local:smollm2"
    supports_prefill: bool = False  # continues an assistant reply that the request starts (CompletionRequest.prefill)
    context_window: int = 8192
    usd_per_million_tokens: tuple[float, float] | None = None  # (prompt, completion); 0 for local; None unknown
    prompt_style: str = "full"  # "compact" for small models that a long prompt confuses (generate.prompting)
    _identity: str = ""  # set where the name alone does not tell two models apart (a file's size and time)

    @abstractmethod
    async def complete(self, request: CompletionRequest) -> Completion: ...

    def count_tokens(self, text: str) -> int:
        """Tokens in `text` by the model's own tokenizer, or a close estimate where it has none."""
        return estimate_tokens(text)

    @property
    def cache_identity(self) -> str:
        """What the response cache keys on: the name, and whatever else makes this model another one."""
        return self._identity or self.name

    @property
    def provider(self) -> str:
        """The provider of the model string: `openai` for `openai:gpt-4o-mini`."""
        return self.name.partition(":")[0]

    @property
    def limits_key(self) -> str:
        """The circuit breaker and rate limiter this model's calls count against: one per provider unless a
        provider has several endpoints (openai-compatible servers)."""
        return self.provider


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate (about 4 characters a token for English and code)."""
    return max(1, (len(text) + 3) // 4) if text else 0
