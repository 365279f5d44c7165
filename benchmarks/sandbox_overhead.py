"""Cost of one sandboxed example run against a bare `python -I -S -c pass` subprocess, as a ratio.

Run: .venv/bin/python benchmarks/sandbox_overhead.py [--runs N]
Two kinds of run: from a spare (a sandbox started ahead, as runs get when checks follow a model call) and
cold (started for the run: spares off). All three are measured in the same run, interleaved, so machine noise
hits them alike; medians are reported.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from toolfoundry.sandbox import SPARES, SandboxLimits, run_in_sandbox, sandbox_problem

CODE = "def double(n: int) -> int:\n    return n * 2\n"
EXAMPLES = [{"index": 0, "input": {"n": 21}, "files": {}}]


def bare_python() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-I", "-S", "-c", "pass"], check=True)
    return time.perf_counter() - started


def sandboxed_example() -> float:
    started = time.perf_counter()
    run = run_in_sandbox(CODE, "double", EXAMPLES, SandboxLimits())
    elapsed = time.perf_counter() - started
    assert run.results and run.results[0]["value"] == 42, run
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    problem = sandbox_problem()
    if problem:
        sys.exit(f"cannot benchmark: {problem}")
    bare_python(), sandboxed_example()  # warm the page cache for both, and start a spare
    spares = SPARES.most
    bare, warm, cold = [], [], []
    for _ in range(runs):
        bare.append(bare_python())  # meanwhile the spare the last run asked for gets ready
        warm.append(sandboxed_example())
        SPARES.most = 0
        cold.append(sandboxed_example())
        SPARES.most = spares
    bare_median, warm_median, cold_median = (statistics.median(times) for times in (bare, warm, cold))
    print(f"bare python -I -S -c pass           : {bare_median * 1000:7.1f} ms (median of {runs})")
    print(f"one sandboxed run, from a spare     : {warm_median * 1000:7.1f} ms  {warm_median / bare_median:5.1f}x")
    print(f"one sandboxed run, started for it   : {cold_median * 1000:7.1f} ms  {cold_median / bare_median:5.1f}x")


if __name__ == "__main__":
    main()
