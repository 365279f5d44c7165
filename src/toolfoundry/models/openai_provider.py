"""OpenAI and any OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp's server) via the official SDK.

`openai:gpt-4o-mini` honours OPENAI_API_KEY and OPENAI_BASE_URL; `openai-compatible:http://host:port/v1#model`
names a server; `ollama:model` is Ollama's default local address. The SDK's own retries are off: the one
retry loop is LLMService's.
"""

from __future__ import annotations

import time
from typing import Any

from ..errors import RetryableModelError
from .base import ChatModel, Completion, CompletionRequest, Usage
from .http_errors import ClientPerLoop, import_sdk, translate

OLLAMA_BASE_URL = "http://127.0.0.1:11434/v1"


class OpenAIModel(ChatModel):
    """Chat completions over the OpenAI wire protocol."""

    supports_prefill = False
    context_window = 128_000

    def __init__(
        self,
        model: str,
        name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        usd_per_million_tokens: tuple[float, float] | None = None,
        http_client: Any = None,
    ) -> None:
        openai = import_sdk("openai", "OpenAI")
        self.name = name
        self.model = model
        self.usd_per_million_tokens = usd_per_million_tokens
        # A local server needs no key; the SDK insists on one, so a placeholder stands in.
        self._client_options = {
            "api_key": api_key or "not-needed-for-local-servers",
            "base_url": base_url,
            "max_retries": 0,
            "http_client": http_client,
        }
        self._sdk = openai
        self._clients = ClientPerLoop(lambda: openai.AsyncOpenAI(**self._client_options))

    @property
    def limits_key(self) -> str:
        # Each OpenAI-compatible server is a provider of its own: one failing must not open another's breaker.
        if self.provider == "openai-compatible":
            return f"{self.provider}:{self._client_options['base_url']}"
        return self.provider

    async def complete(self, request: CompletionRequest) -> Completion:
        started = time.monotonic()
        arguments: dict[str, Any] = {
            "model": self.model,
            "messages": [message.model_dump() for message in request.messages],
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
        }
        if request.seed is not None:
            arguments["seed"] = request.seed
        if request.stop:
            arguments["stop"] = list(request.stop)
        try:
            response = await self._clients.get().chat.completions.create(**arguments, timeout=request.timeout_s)
        except self._sdk.OpenAIError as error:
            raise translate(error, self._sdk, self.name) from None
        except ValueError as error:  # a body that is not JSON
            raise RetryableModelError(
                f"{self.name}: the response could not be decoded ({type(error).__name__})"
            ) from None
        if not response.choices:
            raise RetryableModelError(f"{self.name}: the response held no choices")
        choice = response.choices[0]
        usage = response.usage
        return Completion(
            text=choice.message.content or "",
            model=self.name,
            usage=Usage(
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else 0,
            ),
            finish_reason=choice.finish_reason or "stop",
            seconds=time.monotonic() - started,
        )
