"""Models chosen by one string, `provider:target`:

    local:smollm2                       the offline default (SmolLM2-135M-Instruct, llama.cpp in-process)
    local:/path/model.gguf              any GGUF file
    openai:gpt-4o-mini                  OPENAI_API_KEY, OPENAI_BASE_URL honoured
    anthropic:claude-3-5-haiku-latest   ANTHROPIC_API_KEY
    openai-compatible:http://host:port/v1#model   any OpenAI-compatible server (OPENAI_COMPATIBLE_API_KEY)
    ollama:qwen2.5-coder                Ollama at OLLAMA_HOST or its default local address
    scripted:replies.yaml               a deterministic list of replies, for tests

Keys come from the environment or the config file (settings.py), never from the model string or command line.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ..errors import ConfigError
from .base import ChatModel, Completion, CompletionRequest, Message, Usage, estimate_tokens
from .scripted import ScriptedModel

DEFAULT_MODEL = "local:smollm2"
AVAILABLE_PROVIDERS = ("local", "scripted", "openai", "anthropic", "openai-compatible", "ollama")


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
        if provider not in AVAILABLE_PROVIDERS:
            known = ", ".join(AVAILABLE_PROVIDERS)
            raise ConfigError(f"unknown model provider {provider!r} in {text!r}; known providers: {known}")
        return cls(provider=provider, target=target)

    def __str__(self) -> str:
        return f"{self.provider}:{self.target}"


def load_model(text: str = DEFAULT_MODEL, prices: dict[str, tuple[float, float]] | None = None) -> ChatModel:
    """The model a string names, loaded and ready; `prices` overrides the pinned price table."""
    from ..pricing import price_for
    from ..settings import setting

    config = ModelConfig.parse(text)
    price = price_for(str(config), prices)
    if config.provider == "local":
        from .local import LocalModel  # imports llama.cpp only when a local model is used

        return LocalModel(config.target)
    if config.provider == "scripted":
        return ScriptedModel.from_file(config.target)
    if config.provider == "anthropic":
        from .anthropic_provider import AnthropicModel

        key = setting("ANTHROPIC_API_KEY", "anthropic_api_key")
        if not key:
            raise ConfigError("anthropic: no API key; set ANTHROPIC_API_KEY or anthropic_api_key in the config file")
        return AnthropicModel(config.target, str(config), api_key=key, usd_per_million_tokens=price)
    from .openai_provider import OLLAMA_BASE_URL, OpenAIModel

    if config.provider == "openai":
        base_url = setting("OPENAI_BASE_URL", "openai_base_url")
        key = setting("OPENAI_API_KEY", "openai_api_key")
        if not key and not base_url:
            raise ConfigError("openai: no API key; set OPENAI_API_KEY or openai_api_key in the config file")
        return OpenAIModel(config.target, str(config), base_url=base_url, api_key=key, usd_per_million_tokens=price)
    if config.provider == "ollama":
        host = setting("OLLAMA_HOST", "ollama_host")
        base_url = f"{host.rstrip('/')}/v1" if host and host.startswith("http") else OLLAMA_BASE_URL
        return OpenAIModel(config.target, str(config), base_url=base_url, usd_per_million_tokens=price)
    base_url, separator, model = config.target.partition("#")
    if not separator or not model or not base_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"{text!r}: write openai-compatible:<http(s) base URL>#<model>, e.g. "
            "openai-compatible:http://127.0.0.1:8080/v1#smollm2"
        )
    # Never OPENAI_API_KEY here: an OpenAI key must not be sent to some other server.
    key = setting("OPENAI_COMPATIBLE_API_KEY", "openai_compatible_api_key")
    return OpenAIModel(model, str(config), base_url=base_url, api_key=key, usd_per_million_tokens=price)


__all__ = [
    "DEFAULT_MODEL",
    "ChatModel",
    "Completion",
    "CompletionRequest",
    "Message",
    "ModelConfig",
    "ScriptedModel",
    "Usage",
    "estimate_tokens",
    "load_model",
]
