"""The offline model's speed through toolfoundry against calling llama.cpp directly, as a ratio.

Run: .venv/bin/python benchmarks/local_model_speed.py [--model NAME] [--runs N] [--calls N] [--max-tokens N]
     .venv/bin/python benchmarks/local_model_speed.py --against OTHER_VENV/bin/python   (two llama.cpp builds)

Both sides load the same GGUF file (the default model unless --model names another embedded one), format the
same prompt with its chat template, and generate at temperature 0 with the same token limit, so they produce
the same tokens. "direct" is what a user of llama-cpp-python writes: `Llama.create_completion` from the main
thread. "toolfoundry" is the whole path a pipeline call takes: LLMService (budgets, breaker, limiter, retry
loop) and LocalModel (chat template, its own thread, the deadline check on every token, the prefix cache), from a
running event loop.

Each side runs in a fresh process of its own, alternating, one warm-up call then `--calls` measured calls per
process; the ratio is of the medians in one run. Separate processes matter: llama.cpp computes with OpenMP,
whose thread team belongs to the calling thread, and once two threads of one process have called it, calls
run at about 60% speed (which is why LocalModel makes every call from one thread).

`--against PYTHON` compares two builds of llama.cpp instead (scripts/setup's flags against a native build, say):
the "direct" side in this interpreter and in the other, alternating, one process at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time

PROMPT = (
    "Write the Python function `word_lengths` that returns the length of every word in a sentence.\n"
    "Its signature must be exactly:\n```python\ndef word_lengths(sentence: str) -> list[int]:\n```"
)


def measure(side: str, calls: int, max_tokens: int, model_name: str) -> None:
    """In a child process: tokens per second of each call on one side, as one JSON line."""
    from toolfoundry.models.base import CompletionRequest, Message
    from toolfoundry.models.local import LocalModel
    from toolfoundry.service import LLMService

    model = LocalModel(model_name)
    request = CompletionRequest(
        messages=(Message(role="user", content=PROMPT),), temperature=0.0, max_tokens=max_tokens, seed=0
    )
    if side == "direct":
        formatted = model._formatter(messages=[message.model_dump() for message in request.messages])
        stop = [formatted.stop] if isinstance(formatted.stop, str) else list(formatted.stop or [])

        def one_call() -> int:
            result = model._llama.create_completion(
                prompt=formatted.prompt, max_tokens=max_tokens, temperature=0.0, seed=0, stop=stop
            )
            return result["usage"]["completion_tokens"]
    else:
        service = LLMService()
        loop = asyncio.new_event_loop()

        def one_call() -> int:
            return loop.run_until_complete(service.complete(model, request)).usage.completion_tokens

    one_call()  # warm up: the first call also fills llama.cpp's buffers
    rates, tokens = [], set()
    for _ in range(calls):
        started = time.perf_counter()
        count = one_call()
        rates.append(count / (time.perf_counter() - started))
        tokens.add(count)
    print(json.dumps({"rates": rates, "tokens": sorted(tokens)}))


def in_child(side: str, calls: int, max_tokens: int, model_name: str, python: str = sys.executable) -> dict:
    command = [python, __file__, "--side", side, "--calls", str(calls), "--max-tokens", str(max_tokens)]
    command += ["--model", model_name]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=4, help="processes per side, alternating")
    parser.add_argument("--calls", type=int, default=5, help="measured calls per process")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--model", default="qwen2.5-coder-1.5b", help="an embedded model's name (local:<name>)")
    parser.add_argument("--against", metavar="PYTHON", help="compare this llama.cpp build with another venv's")
    parser.add_argument("--side", choices=["direct", "toolfoundry"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        measure(args.side, args.calls, args.max_tokens, args.model)
        return
    if args.against:
        compare_builds(args)
        return
    rates: dict[str, list[float]] = {"direct": [], "toolfoundry": []}
    tokens: set[int] = set()
    for _ in range(args.runs):
        for side, side_rates in rates.items():
            result = in_child(side, args.calls, args.max_tokens, args.model)
            side_rates += result["rates"]
            tokens.update(result["tokens"])
    direct, ours = statistics.median(rates["direct"]), statistics.median(rates["toolfoundry"])
    calls = args.runs * args.calls
    print(f"completion tokens per call       : {sorted(tokens)}")
    print(f"llama.cpp direct                 : {direct:7.1f} tokens/s (median of {calls})")
    print(f"through LLMService + LocalModel  : {ours:7.1f} tokens/s (median of {calls})")
    print(f"ratio                            : {ours / direct:7.1%}")


def compare_builds(args: argparse.Namespace) -> None:
    builds = {sys.executable: [], args.against: []}
    tokens: set[int] = set()
    for _ in range(args.runs):
        for python, build_rates in builds.items():
            result = in_child("direct", args.calls, args.max_tokens, args.model, python)
            build_rates += result["rates"]
            tokens.update(result["tokens"])
    ours, other = (statistics.median(rates) for rates in builds.values())
    calls = args.runs * args.calls
    print(f"completion tokens per call : {sorted(tokens)}")
    print(f"{sys.executable:<26} : {ours:7.1f} tokens/s (median of {calls})")
    print(f"{args.against:<26} : {other:7.1f} tokens/s (median of {calls})")
    print(f"ratio                      : {ours / other:7.1%}")


if __name__ == "__main__":
    main()
