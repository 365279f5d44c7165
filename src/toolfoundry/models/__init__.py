"""Models chosen by one string, `provider:target`:

    local:qwen2.5-coder-1.5b            the offline default (Qwen2.5-Coder-1.5B-Instruct, llama.cpp in-process)
    local:smollm2                       the smallest embedded model (SmolLM2-135M-Instruct)
    local:/path/model.gguf              any GGUF file
    openai:gpt-4o-mini                  OPENAI_API_KEY, OPENAI_BASE_URL honoured
    anthropic:claude-3-5-haiku-latest   ANTHROPIC_API_KEY
    openai-compatible:http://host:port/v1#model   any OpenAI-compatible server (OPENAI_COMPATIBLE_API_KEY)
    ollama:qwen2.5-coder                Ollama at OLLAMA_HOST or its default local address
    scripted:replies.yaml               a deterministic list of replies, for tests

Keys come from the environment or the config file (settings.py), never from the model string or command line.
"""

from __future__ import annotations

from .base import ChatModel, Completion, CompletionRequest, Message, Usage, estimate_tokens
from .registry import DEFAULT_MODEL, PROVIDERS, ModelConfig, Provider, load_model
from .scripted import ScriptedModel

__all__ = [
    "DEFAULT_MODEL",
    "PROVIDERS",
    "ChatModel",
    "Completion",
    "CompletionRequest",
    "Message",
    "ModelConfig",
    "Provider",
    "ScriptedModel",
    "Usage",
    "estimate_tokens",
    "load_model",
]
