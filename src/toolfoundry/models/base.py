"""The model protocol: a small async interface every provider implements, and the values it exchanges."""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

_FROZEN = ConfigDict(frozen=True)


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
    prefill: str = ""
    timeout_s: float | None = None


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


@runtime_checkable
class ChatModel(Protocol):
    """What the pipeline needs of a model. Capabilities are attributes, as in simonw/llm."""

    name: str  # the model string it was chosen by, e.g. "local:smollm2"
    supports_prefill: bool
    context_window: int
    usd_per_million_tokens: tuple[float, float] | None  # (prompt, completion); local models cost 0; None unknown
    # Optional: "compact" for models that a long prompt confuses (prompting.PROMPT_STYLES); "full" if absent.

    async def complete(self, request: CompletionRequest) -> Completion: ...

    def count_tokens(self, text: str) -> int:
        """Tokens in `text` by the model's own tokenizer, or a close estimate where it has none."""
        ...


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate (about 4 characters a token for English and code)."""
    return max(1, (len(text) + 3) // 4) if text else 0
