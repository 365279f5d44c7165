"""The offline models run for real by llama.cpp in this process: SmolLM2-135M-Instruct, the fast one."""

import asyncio
import threading

import pytest

from toolfoundry.errors import ConfigError
from toolfoundry.models import CompletionRequest, Message, load_model
from toolfoundry.models.base import closed_block_with
from toolfoundry.models.local import LocalModel, smollm2_path

pytestmark = pytest.mark.slow
REQUEST = CompletionRequest(
    messages=(Message(role="system", content="You write Python."), Message(role="user", content="Add two numbers.")),
    max_tokens=24,
    seed=3,
)


@pytest.fixture(scope="module")
def model() -> LocalModel:
    return LocalModel("smollm2")


def test_the_gguf_file_is_found_in_the_installed_package() -> None:
    path = smollm2_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50_000_000


def test_tokens_are_counted_by_the_models_own_tokenizer(model) -> None:
    assert model.count_tokens("def add(a, b):\n    return a + b") != model.count_tokens("x")
    assert 5 < model.count_tokens("def add(a, b):\n    return a + b") < 30


def test_a_completion_reports_usage_and_is_repeatable_at_temperature_zero(model) -> None:
    first = asyncio.run(model.complete(REQUEST))
    second = asyncio.run(model.complete(REQUEST))
    assert first.text and first.text == second.text
    assert first.usage.prompt_tokens > 10 and 0 < first.usage.completion_tokens <= 24
    assert first.model == "local:smollm2"


def test_every_call_runs_on_the_models_one_thread(model, monkeypatch) -> None:
    # llama.cpp's OpenMP team belongs to the calling thread: calls from a second thread run at about 60% speed
    # (benchmarks/local_model_speed.py), so however the pipeline calls, one thread makes every llama.cpp call.
    callers: list[threading.Thread] = []
    original = model._complete_blocking

    def recording(request):
        callers.append(threading.current_thread())
        return original(request)

    monkeypatch.setattr(model, "_complete_blocking", recording)

    async def from_a_worker_thread():
        return await asyncio.to_thread(lambda: asyncio.run(model.complete(REQUEST)))

    async def two_at_once():
        return await asyncio.gather(model.complete(REQUEST), model.complete(REQUEST))

    asyncio.run(model.complete(REQUEST))
    asyncio.run(from_a_worker_thread())
    asyncio.run(two_at_once())
    assert len(callers) == 4 and len(set(callers)) == 1
    assert callers[0] is not threading.main_thread()


def test_a_prefill_is_continued(model) -> None:
    completion = asyncio.run(
        model.complete(REQUEST.model_copy(update={"prefill": "```python\ndef add(", "stop": ("```",)}))
    )
    assert "```" not in completion.text


def test_a_free_reply_ends_once_a_closed_block_holds_the_function(model) -> None:
    asked = REQUEST.model_copy(
        update={
            "messages": (
                Message(
                    role="user", content="Write a Python function add(a, b) in a markdown code block, then explain it."
                ),
            ),
            "max_tokens": 300,
        }
    )
    whole = asyncio.run(model.complete(asked)).text
    cut = asyncio.run(model.complete(asked.model_copy(update={"stop_after_block": "def add("}))).text
    assert closed_block_with(whole, "def add(")  # this reply does write the block (and more after it)
    assert whole.startswith(cut) and len(cut) < len(whole)  # the same reply, up to the block's end
    assert cut.rstrip().endswith("```") and closed_block_with(cut, "def add(")


def test_the_deadline_stops_generation(model) -> None:
    slow = REQUEST.model_copy(update={"max_tokens": 400, "timeout_s": 0.001})
    completion = asyncio.run(model.complete(slow))
    assert completion.finish_reason == "timeout" and completion.usage.completion_tokens < 400


def test_model_strings_pick_the_file(tmp_path) -> None:
    assert load_model("local:smollm2").name == "local:smollm2"
    with pytest.raises(ConfigError, match="model file not found"):
        load_model(f"local:{tmp_path}/missing.gguf")
    not_gguf = tmp_path / "model.bin"
    not_gguf.write_bytes(b"x")
    with pytest.raises(ConfigError, match=r"not a \.gguf file"):
        load_model(f"local:{not_gguf}")
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="is not a GGUF model: it does not start with the GGUF magic bytes"):
        load_model(f"local:{broken}")
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(b"GGUF" + bytes(60))
    with pytest.raises(ConfigError, match="cannot load model file"):
        load_model(f"local:{truncated}")


def test_calls_that_share_a_prefix_start_from_a_saved_state(model: LocalModel) -> None:
    # llama.cpp's RAM cache of states: a later call whose prompt shares a prefix with an earlier one (another
    # sample, a repair) loads that state instead of processing the prefix again, whatever came in between.
    assert model._llama.cache is not None
    first = asyncio.run(model.complete(REQUEST))
    other = REQUEST.model_copy(update={"messages": (Message(role="user", content="Something else entirely."),)})
    asyncio.run(model.complete(other))
    assert model._llama.cache.cache_size > 0 and len(model._llama.cache.cache_state) >= 2
    # Each kept state holds one row of logits, not llama.cpp's whole n_batch x vocabulary buffer (hundreds of MB).
    assert all(state.scores.shape[0] <= 1 for state in model._llama.cache.cache_state.values())
    again = asyncio.run(model.complete(REQUEST))  # the first prompt's state comes back from the cache
    assert again.usage.prompt_tokens > 0 and again.text == first.text  # the slimmed state gives the same reply
