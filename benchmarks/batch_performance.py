"""Batch performance: per-tool overhead, throughput against the ideal, and memory against batch size.

Run: .venv/bin/python benchmarks/batch_performance.py [overhead|throughput|memory|all]

- overhead: one tool through every stage (prompt, context, extraction, static checks, bandit, one sandbox
  run, rendering) with a zero-latency scripted model whose first reply is right, tools back to back on one
  event loop, against the bare start of one `python -I -S -c pass` subprocess; in alternating blocks in one
  run, medians; then a breakdown by stage.
- throughput: N specs (default 200) on a scripted model of fixed latency (default 0.5 s a call) at
  concurrency C (default 16), against the ideal: calls x latency / concurrency.
- memory: peak Python heap (tracemalloc) and peak RSS of a batch of 50 and of 200 specs, each in a fresh
  process, as a ratio: flat means results stream to disk instead of piling up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from functools import partial
from pathlib import Path

from toolfoundry.batch import BatchRunner
from toolfoundry.checks import CodeValidator, NotRun, SandboxRunner
from toolfoundry.checks.bandit_check import check_bandit
from toolfoundry.generate import ContextBuilder, FallbackPolicy, LLMCodeGenerator, PromptBuilder, extract_code
from toolfoundry.models.scripted import ScriptedModel
from toolfoundry.output import ImplementationInjector
from toolfoundry.sandbox import sandbox_problem
from toolfoundry.spec import ToolSpec, ToolSpecificationParser

ONE_ATTEMPT = FallbackPolicy(rounds=1, samples_per_round=1)


def numbered_specs(count: int) -> list[ToolSpec]:
    parser = ToolSpecificationParser()
    return [
        parser.parse(
            {
                "name": f"add_{index}",
                "description": f"Add {index} to a number.",
                "input_params": [{"name": "n", "type": "int", "description": "the number"}],
                "output_type": "int",
                "examples": [{"input": {"n": 1}, "output": 1 + index}, {"input": {"n": -1}, "output": index - 1}],
            }
        )
        for index in range(count)
    ]


def right_replies(count: int) -> dict[str, list[str]]:
    body = '```python\ndef add_{0}(n: int) -> int:\n    """Add {0}."""\n    return n + {0}\n```'
    return {f"add_{index}": [body.format(index)] for index in range(count)}


def generator_for(model: ScriptedModel) -> LLMCodeGenerator:
    # No cache and no library: every tool is really generated and checked.
    return LLMCodeGenerator.create(model=model, policy=ONE_ATTEMPT, library=None)


def bare_python() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-I", "-S", "-c", "pass"], check=True)
    return time.perf_counter() - started


def timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def overhead(runs: int) -> dict:
    specs = numbered_specs(runs + 1)
    generator = generator_for(ScriptedModel(right_replies(runs + 1)))
    prompts, context, injector = PromptBuilder(), ContextBuilder(), ImplementationInjector()
    static, sandbox = CodeValidator(runner=NotRun("benchmark"), use_bandit=False), SandboxRunner()
    reply = right_replies(1)["add_0"][0]
    code = extract_code(reply).code
    stages: dict[str, list[float]] = {
        name: [] for name in ("context", "prompt", "extract", "static", "bandit", "sandbox", "render")
    }
    whole, bare = [], []
    with asyncio.Runner() as loop:  # one event loop, as in a batch
        loop.run(generator.generate_code(specs[-1]))  # warm imports, the page cache and the spare sandboxes
        bare_python()
        # Blocks of five, alternating, so that machine noise hits both alike. Within a block the tools run back
        # to back, as in a batch with an instant model: a sandbox started ahead has only the previous tool's
        # time to get ready.
        for block in range(0, runs, 5):
            bare += [bare_python() for _ in specs[block : block + 5]]
            for spec in specs[block : block + 5]:
                started = time.perf_counter()
                tool = loop.run(generator.generate_code(spec))
                whole.append(time.perf_counter() - started)
                assert tool.status == "verified", tool.report.reason
    spec0 = specs[0]  # then each stage alone, on one spec, for the breakdown
    built = context.build_context(spec0)
    for _ in range(runs):
        stages["context"].append(timed(context.build_context, spec0))
        stages["prompt"].append(timed(prompts.build_prompt, spec0, built))
        stages["extract"].append(timed(extract_code, reply))
        stages["static"].append(timed(static.validate, code, spec0))
        stages["bandit"].append(timed(check_bandit, code))
        stages["sandbox"].append(timed(sandbox.run_examples, code, spec0))
        stages["render"].append(timed(partial(injector.inject, code, spec0, status="verified")))
    bare_ms, whole_ms = statistics.median(bare) * 1000, statistics.median(whole) * 1000
    return {
        "bare_python_ms": round(bare_ms, 1),
        "per_tool_ms": round(whole_ms, 1),
        "ratio": round(whole_ms / bare_ms, 1),
        "stages_ms": {name: round(statistics.median(times) * 1000, 2) for name, times in stages.items()},
        "runs": runs,
    }


def run_batch(count: int, latency_s: float, concurrency: int) -> tuple[float, int]:
    """Seconds for a batch, and the model calls it made."""
    model = ScriptedModel(right_replies(count), latency_s=latency_s, keep_requests=10)
    generator = generator_for(model)
    with tempfile.TemporaryDirectory() as folder:
        runner = BatchRunner(generator, Path(folder), concurrency=concurrency, resume=False)
        started = time.perf_counter()
        summaries = asyncio.run(runner.run(numbered_specs(count)))
        seconds = time.perf_counter() - started
    assert all(summary.status == "verified" for summary in summaries)
    return seconds, sum(summary.attempts for summary in summaries)


def throughput(count: int, latency_s: float, concurrency: int) -> dict:
    seconds, calls = run_batch(count, latency_s, concurrency)
    ideal = calls * latency_s / concurrency
    return {
        "specs": count,
        "calls": calls,
        "latency_s": latency_s,
        "concurrency": concurrency,
        "ideal_s": round(ideal, 2),
        "measured_s": round(seconds, 2),
        "over_ideal": f"{(seconds / ideal - 1):+.1%}",
    }


def memory_child(count: int) -> None:
    """In a fresh process: one batch, then its peaks as JSON on stdout."""
    tracemalloc.start()
    run_batch(count, latency_s=0.0, concurrency=16)
    _, peak = tracemalloc.get_traced_memory()
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"specs": count, "heap_peak_mib": peak / 2**20, "rss_peak_mib": rss_kib / 1024}))


def memory(sizes: tuple[int, ...] = (50, 200)) -> dict:
    results = []
    for count in sizes:
        command = [sys.executable, __file__, "memory-child", "--specs", str(count)]
        child = subprocess.run(command, capture_output=True, text=True, check=True)
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
    small, large = results[0], results[-1]
    return {
        "batches": [{key: round(value, 1) for key, value in result.items()} for result in results],
        "heap_ratio": round(large["heap_peak_mib"] / small["heap_peak_mib"], 2),
        "rss_ratio": round(large["rss_peak_mib"] / small["rss_peak_mib"], 2),
        "specs_ratio": large["specs"] / small["specs"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["overhead", "throughput", "memory", "all", "memory-child"], default="all")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--specs", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    if sandbox_problem():
        sys.exit(f"cannot benchmark: {sandbox_problem()}")
    if args.what == "memory-child":
        memory_child(args.specs)
        return
    if args.what in {"overhead", "all"}:
        print("overhead:", json.dumps(overhead(args.runs), indent=2))
    if args.what in {"throughput", "all"}:
        print("throughput:", json.dumps(throughput(args.specs, args.latency, args.concurrency), indent=2))
    if args.what in {"memory", "all"}:
        print("memory:", json.dumps(memory(), indent=2))


if __name__ == "__main__":
    main()
