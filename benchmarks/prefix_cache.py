"""Reusing llama.cpp's KV cache across calls that share a prefix, measured on the default model.

Run: .venv/bin/python benchmarks/prefix_cache.py [--model local:qwen2.5-coder-1.5b] [--specs 3]

The calls a batch makes, in the order it makes them: for each of a few specs, the full prompt, sampled three
times, then a repair prompt that repeats the prompt and adds an attempt; the specs' calls interleave, as they do
at --concurrency > 1 (each spec's next call comes after the other specs' calls). Each call generates one token,
so what is timed is the first-token latency: prompt processing. One process per side (no reuse across calls,
as before; $TOOLFOUNDRY_PREFIX_CACHE_MB of saved states), alternating; the ratio is of the totals in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def calls(specs: int) -> list[list[dict[str, str]]]:
    """The messages of the batch's calls, interleaved across specs (full prompts, so prefixes are long)."""
    from toolfoundry.checks import CodeValidator, NotRun
    from toolfoundry.generate import ContextBuilder, PromptBuilder
    from toolfoundry.spec import ToolSpecificationParser

    folder = Path(__file__).parent / "specs"
    parsed = [ToolSpecificationParser().parse_file(path)[0] for path in sorted(folder.glob("*.yaml"))[:specs]]
    builder, validator = PromptBuilder(style="full"), CodeValidator(runner=NotRun("benchmark"), use_bandit=False)
    initial, repair = [], []
    for spec in parsed:
        context = ContextBuilder().build_context(spec)
        initial.append(builder.build_prompt(spec, context))
        attempt = f"{spec.signature()}\n    return None\n"
        repair.append(builder.build_repair_prompt(spec, context, attempt, validator.validate(attempt, spec)))
    order = [*initial * 3, *repair]  # three samples of each prompt, then each repair; specs interleaved
    return [[message.model_dump() for message in prompt.messages] for prompt in order]


def measure(model_name: str, specs: int) -> None:
    """In a child process: the first-token latency of every call, as one JSON line."""
    from toolfoundry.models import CompletionRequest, Message, load_model

    model = load_model(model_name)
    latencies = []
    for index, messages in enumerate(calls(specs)):
        request = CompletionRequest(
            messages=tuple(Message(**m) for m in messages), temperature=0.6, max_tokens=1, seed=index, timeout_s=600
        )
        started = time.perf_counter()
        model._complete_blocking(request)  # type: ignore[attr-defined]
        latencies.append(time.perf_counter() - started)
    print(json.dumps({"latencies": latencies}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="local:qwen2.5-coder-1.5b")
    parser.add_argument("--specs", type=int, default=3)
    parser.add_argument("--runs", type=int, default=2, help="processes per side, alternating")
    parser.add_argument("--megabytes", type=int, default=1024, help="the cache's size on the cached side")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure(args.model, args.specs)
        return
    totals: dict[str, list[float]] = {"no reuse": [], "prefix cache": []}
    firsts: dict[str, list[float]] = {"no reuse": [], "prefix cache": []}
    for _ in range(args.runs):
        for side in totals:
            megabytes = "0" if side == "no reuse" else str(args.megabytes)
            environment = {**os.environ, "TOOLFOUNDRY_PREFIX_CACHE_MB": megabytes}
            command = [sys.executable, __file__, "--child", "--model", args.model, "--specs", str(args.specs)]
            output = subprocess.run(command, capture_output=True, text=True, check=True, env=environment).stdout
            latencies = json.loads(output.strip().splitlines()[-1])["latencies"]
            totals[side].append(sum(latencies))
            firsts[side] += latencies
    plain, cached = statistics.median(totals["no reuse"]), statistics.median(totals["prefix cache"])
    count = len(firsts["no reuse"]) // args.runs
    print(f"calls per run                    : {count} ({args.specs} specs, interleaved)")
    for side in totals:
        print(
            f"{side:16} first-token latency: median {statistics.median(firsts[side]):.2f} s, "
            f"total {statistics.median(totals[side]):.1f} s a run"
        )
    print(f"prefix cache / no reuse (total)  : {cached / plain:.0%}")


if __name__ == "__main__":
    main()
