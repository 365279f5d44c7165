"""Models chosen by one string: `local:smollm2`, `local:/path/model.gguf`, `scripted:replies.yaml`.

The string's shape, `provider:target`, is the one cloud and server providers use too
(`openai:gpt-4o-mini`, `anthropic:claude-...`, `openai-compatible:http://host:port/v1#model`, `ollama:name`);
those providers are named here so that a user asking for one gets a clear answer rather than a parse error.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ..errors import ConfigError
from .base import ChatModel, Completion, CompletionRequest, Message, Usage, estimate_tokens
from .scripted import ScriptedModel

DEFAULT_MODEL = "local:smollm2"
AVAILABLE_PROVIDERS = ("local", "scripted")
PLANNED_PROVIDERS = ("openai", "anthropic", "openai-compatible", "ollama")


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
        if provider not in AVAILABLE_PROVIDERS + PLANNED_PROVIDERS:
            known = ", ".join(AVAILABLE_PROVIDERS + PLANNED_PROVIDERS)
            raise ConfigError(f"unknown model provider {provider!r} in {text!r}; known providers: {known}")
        return cls(provider=provider, target=target)

    def __str__(self) -> str:
        return f"{self.provider}:{self.target}"


def load_model(text: str = DEFAULT_MODEL) -> ChatModel:
    """The model a string names, loaded and ready."""
    config = ModelConfig.parse(text)
    if config.provider == "local":
        from .local import LocalModel  # imports llama.cpp only when a local model is used

        return LocalModel(config.target)
    if config.provider == "scripted":
        return ScriptedModel.from_file(config.target)
    raise ConfigError(
        f"provider {config.provider!r} is not available in this version of toolfoundry; "
        f"available: {', '.join(AVAILABLE_PROVIDERS)}"
    )


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
