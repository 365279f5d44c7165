"""The providers, listed once: how each model string is loaded, whether it costs money, what it needs.

`load_model("provider:target")` looks the provider up here; adding a provider is one loader and one entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from ..errors import ConfigError
from ..settings import setting
from .base import ChatModel
from .prices import Price, price_for
from .scripted import ScriptedModel

DEFAULT_MODEL = "local:qwen2.5-coder-1.5b"


class ModelConfig(BaseModel):
    """A parsed model string. Keys are never part of it: they come from the environment or a config file."""

    model_config = ConfigDict(frozen=True)

    provider: str
    target: str

    @classmethod
    def parse(cls, text: str) -> ModelConfig:
        provider, separator, target = text.partition(":")
        if not separator or not provider or not target:
            raise ConfigError(f"model {text!r} is not `provider:model`, e.g. {DEFAULT_MODEL!r}")
        if provider not in PROVIDERS:
            known = ", ".join(PROVIDERS)
            raise ConfigError(f"unknown model provider {provider!r} in {text!r}; known providers: {known}")
        return cls(provider=provider, target=target)

    def __str__(self) -> str:
        return f"{self.provider}:{self.target}"


@dataclass(frozen=True)
class Provider:
    """One provider: its loader (config and price in, a ready model out) and whether its calls cost money."""

    load: Callable[[ModelConfig, Price | None], ChatModel]
    free: bool = False  # runs here or on the user's own server: every call costs 0


def _local(config: ModelConfig, price: Price | None) -> ChatModel:
    from .local import LocalModel  # imports llama.cpp only when a local model is used

    return LocalModel(config.target)


def _scripted(config: ModelConfig, price: Price | None) -> ChatModel:
    return ScriptedModel.from_file(config.target)


def _anthropic(config: ModelConfig, price: Price | None) -> ChatModel:
    from .anthropic_provider import AnthropicModel

    key = setting("ANTHROPIC_API_KEY", "anthropic_api_key")
    if not key:
        raise ConfigError("anthropic: no API key; set ANTHROPIC_API_KEY or anthropic_api_key in the config file")
    return AnthropicModel(config.target, str(config), api_key=key, usd_per_million_tokens=price)


def _openai(config: ModelConfig, price: Price | None) -> ChatModel:
    from .openai_provider import OpenAIModel

    base_url = setting("OPENAI_BASE_URL", "openai_base_url")
    key = setting("OPENAI_API_KEY", "openai_api_key")
    if not key and not base_url:
        raise ConfigError("openai: no API key; set OPENAI_API_KEY or openai_api_key in the config file")
    return OpenAIModel(config.target, str(config), base_url=base_url, api_key=key, usd_per_million_tokens=price)


def _ollama(config: ModelConfig, price: Price | None) -> ChatModel:
    from .openai_provider import OLLAMA_BASE_URL, OpenAIModel

    host = setting("OLLAMA_HOST", "ollama_host")
    base_url = f"{host.rstrip('/')}/v1" if host and host.startswith("http") else OLLAMA_BASE_URL
    return OpenAIModel(config.target, str(config), base_url=base_url, usd_per_million_tokens=price)


def _openai_compatible(config: ModelConfig, price: Price | None) -> ChatModel:
    from .openai_provider import OpenAIModel

    base_url, separator, model = config.target.partition("#")
    if not separator or not model or not base_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"{str(config)!r}: write openai-compatible:<http(s) base URL>#<model>, e.g. "
            "openai-compatible:http://127.0.0.1:8080/v1#smollm2"
        )
    # Never OPENAI_API_KEY here: an OpenAI key must not be sent to some other server.
    key = setting("OPENAI_COMPATIBLE_API_KEY", "openai_compatible_api_key")
    return OpenAIModel(model, str(config), base_url=base_url, api_key=key, usd_per_million_tokens=price)


PROVIDERS: dict[str, Provider] = {
    "local": Provider(_local, free=True),
    "scripted": Provider(_scripted, free=True),
    "openai": Provider(_openai),
    "anthropic": Provider(_anthropic),
    "openai-compatible": Provider(_openai_compatible),
    "ollama": Provider(_ollama, free=True),
}


def load_model(text: str = DEFAULT_MODEL, prices: dict[str, Price] | None = None) -> ChatModel:
    """The model a string names, loaded and ready; `prices` overrides the pinned price table."""
    config = ModelConfig.parse(text)
    provider = PROVIDERS[config.provider]
    price = (0.0, 0.0) if provider.free and str(config) not in (prices or {}) else price_for(str(config), prices)
    return provider.load(config, price)
