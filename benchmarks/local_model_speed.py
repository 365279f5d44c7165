"""The offline model's speed through toolfoundry against calling llama.cpp directly, as a ratio.

Run: .venv/bin/python benchmarks/local_model_speed.py [--runs N] [--max-tokens N]

Both sides use the same loaded SmolLM2 (one llama.cpp context), the same formatted prompt, temperature 0
and the same token limit, so they generate the same tokens; runs are interleaved and medians reported.
"toolfoundry" is the whole path a pipeline call takes: LLMService (budgets, breaker, limiter, retry loop)
and LocalModel (chat template, a worker thread, the deadline check on every token).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from toolfoundry.models.base import CompletionRequest, Message
from toolfoundry.models.local import LocalModel
from toolfoundry.service import LLMService

PROMPT = (
    "Write the Python function `word_lengths` that returns the length of every word in a sentence.\n"
    "Its signature must be exactly:\n```python\ndef word_lengths(sentence: str) -> list[int]:\n```"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--max-tokens", type=int, default=256)
    args = parser.parse_args()
    model = LocalModel()
    service = LLMService()
    request = CompletionRequest(
        messages=(Message(role="user", content=PROMPT),), temperature=0.0, max_tokens=args.max_tokens, seed=0
    )
    formatted = model._formatter(messages=[message.model_dump() for message in request.messages])
    stop = [formatted.stop] if isinstance(formatted.stop, str) else list(formatted.stop or [])

    def direct() -> tuple[int, float]:
        started = time.perf_counter()
        result = model._llama.create_completion(
            prompt=formatted.prompt, max_tokens=args.max_tokens, temperature=0.0, seed=0, stop=stop
        )
        return result["usage"]["completion_tokens"], time.perf_counter() - started

    def through_toolfoundry() -> tuple[int, float]:
        started = time.perf_counter()
        completion = asyncio.run(service.complete(model, request))
        return completion.usage.completion_tokens, time.perf_counter() - started

    direct(), through_toolfoundry()  # warm up both paths
    direct_rates, ours_rates, tokens = [], [], set()
    for _ in range(args.runs):
        for measure, rates in ((direct, direct_rates), (through_toolfoundry, ours_rates)):
            count, seconds = measure()
            tokens.add(count)
            rates.append(count / seconds)
    direct_rate, ours_rate = statistics.median(direct_rates), statistics.median(ours_rates)
    print(f"completion tokens per call       : {sorted(tokens)}")
    print(f"llama.cpp direct                 : {direct_rate:7.1f} tokens/s (median of {args.runs})")
    print(f"through LLMService + LocalModel  : {ours_rate:7.1f} tokens/s (median of {args.runs})")
    print(f"ratio                            : {ours_rate / direct_rate:7.1%}")


if __name__ == "__main__":
    main()
