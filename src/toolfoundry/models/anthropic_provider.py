"""Anthropic's Messages API via the official SDK (`anthropic:<model>`, ANTHROPIC_API_KEY).

The SDK's retries are off (LLMService retries). The API has taken a final assistant turn as the start of the
reply (a prefill), but newer models refuse it, so prefill is opt-in (`supports_prefill=True`). Newer SDKs have
dropped `temperature` too: it is sent only where the installed SDK accepts it.
"""

from __future__ import annotations

import inspect
import time
from typing import Any

from ..errors import RetryableModelError
from .base import ChatModel, Completion, CompletionRequest, Usage
from .http_errors import ClientPerLoop, import_sdk, translate


class AnthropicModel(ChatModel):
    context_window = 200_000

    def __init__(
        self,
        model: str,
        name: str,
        api_key: str | None,
        base_url: str | None = None,
        usd_per_million_tokens: tuple[float, float] | None = None,
        http_client: Any = None,
        supports_prefill: bool = False,
    ) -> None:
        anthropic = import_sdk("anthropic", "Anthropic")
        self.supports_prefill = supports_prefill
        create = anthropic.resources.messages.AsyncMessages.create
        self._sends_temperature = "temperature" in inspect.signature(create).parameters
        self.name = name
        self.model = model
        self.usd_per_million_tokens = usd_per_million_tokens
        self._sdk = anthropic
        self._clients = ClientPerLoop(
            lambda: anthropic.AsyncAnthropic(api_key=api_key, base_url=base_url, max_retries=0, http_client=http_client)
        )

    async def complete(self, request: CompletionRequest) -> Completion:
        started = time.monotonic()
        system = "\n\n".join(message.content for message in request.messages if message.role == "system")
        turns = [message.model_dump() for message in request.messages if message.role != "system"]
        if request.prefill:
            # The API rejects an assistant turn that ends in whitespace.
            turns.append({"role": "assistant", "content": request.prefill.rstrip()})
        arguments: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_tokens,
            "messages": turns,
        }
        if self._sends_temperature:
            arguments["temperature"] = request.temperature
        if system:
            arguments["system"] = system
        if request.stop:
            arguments["stop_sequences"] = list(request.stop)
        try:
            response = await self._clients.get().messages.create(**arguments, timeout=request.timeout_s)
        except self._sdk.AnthropicError as error:
            raise translate(error, self._sdk, self.name) from None
        except ValueError as error:
            raise RetryableModelError(
                f"{self.name}: the response could not be decoded ({type(error).__name__})"
            ) from None
        text = "".join(getattr(block, "text", "") for block in response.content or [])
        if not response.content:
            raise RetryableModelError(f"{self.name}: the response held no content")
        # The prefill was cut at trailing whitespace; the pipeline prepends the full prefill, so restore it.
        trimmed = request.prefill[len(request.prefill.rstrip()) :]
        if trimmed and text.startswith(trimmed):
            text = text[len(trimmed) :]
        return Completion(
            text=text,
            model=self.name,
            usage=Usage(prompt_tokens=response.usage.input_tokens, completion_tokens=response.usage.output_tokens),
            finish_reason=response.stop_reason or "stop",
            seconds=time.monotonic() - started,
        )
