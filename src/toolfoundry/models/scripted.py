"""ScriptedModel: a deterministic model for offline tests of your own pipelines.

Give it a list of replies (served in order, the last one repeated when the list runs out) or a function
from request to reply. It records every request, so a test can assert on the prompts the pipeline sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

from ..errors import ConfigError, ModelError
from .base import Completion, CompletionRequest, Usage, estimate_tokens

Reply = str | BaseException
Responder = Callable[[CompletionRequest], Reply]


class ScriptedModel:
    """Replies are whole replies, so by default it takes no prefill; set `supports_prefill=True` to have
    the pipeline send one (the scripted reply is then taken as its continuation)."""

    context_window = 8192
    usd_per_million_tokens = (0.0, 0.0)

    def __init__(
        self,
        replies: Sequence[Reply] | Responder,
        name: str = "scripted",
        repeat_last: bool = True,
        supports_prefill: bool = False,
        latency_s: float = 0.0,
    ) -> None:
        if not callable(replies) and not replies:
            raise ConfigError("ScriptedModel needs at least one reply")
        self.name = name
        self.cache_identity = name  # what the response cache keys on; from_file adds the replies' hash
        self.supports_prefill = supports_prefill
        self.latency_s = latency_s  # a fixed delay per call, for throughput tests and benchmarks
        self._replies = replies if callable(replies) else list(replies)
        self._repeat_last = repeat_last
        self.requests: list[CompletionRequest] = []

    @classmethod
    def from_file(cls, path: str | Path) -> ScriptedModel:
        """Replies from a YAML or JSON file (`--model scripted:replies.yaml`): a list of strings, or a mapping
        with `replies` and `latency_s` (seconds each call takes)."""
        path = Path(path)
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise ConfigError(f"scripted model file {path}: {error}") from None
        latency = 0.0
        if isinstance(loaded, dict):
            latency = loaded.get("latency_s", 0.0)
            if not isinstance(latency, int | float) or latency < 0:
                raise ConfigError(f"scripted model file {path}: latency_s must be a number of seconds")
            loaded = loaded.get("replies")
        replies = loaded
        if not isinstance(replies, list) or not all(isinstance(reply, str) for reply in replies) or not replies:
            raise ConfigError(f"scripted model file {path}: must hold a non-empty list of reply strings")
        model = cls(replies, name=f"scripted:{path}", latency_s=float(latency))
        model.cache_identity = f"{model.name}#{hashlib.sha256(json.dumps(replies).encode()).hexdigest()[:16]}"
        return model

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    async def complete(self, request: CompletionRequest) -> Completion:
        self.requests.append(request)
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        reply = self._next_reply(request)
        if isinstance(reply, BaseException):
            raise reply
        prompt = "".join(message.content for message in request.messages)
        return Completion(
            text=reply,
            model=self.name,
            usage=Usage(prompt_tokens=self.count_tokens(prompt), completion_tokens=self.count_tokens(reply)),
        )

    def _next_reply(self, request: CompletionRequest) -> Reply:
        if callable(self._replies):
            return self._replies(request)
        index = len(self.requests) - 1
        if index >= len(self._replies):
            if not self._repeat_last:
                raise ModelError(f"{self.name}: script ran out after {len(self._replies)} replies")
            index = len(self._replies) - 1
        return self._replies[index]

    def __repr__(self) -> str:
        return f"ScriptedModel(name={json.dumps(self.name)}, served={len(self.requests)})"
