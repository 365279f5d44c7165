"""What the sandbox adds to a served call: the same tool called through `SandboxedCalls` (a fresh bubblewrap
sandbox per call, from the spares) and through `InProcessCalls` (the `--unsandboxed` opt-out), in one run.

Run: .venv/bin/python benchmarks/serve_overhead.py [--calls N] [--pause-ms P]
Calls alternate between the two ways, so machine noise hits both alike; medians and the 90th percentile are
reported. `--pause-ms` is the time between calls (an agent thinks between tool calls): with no pause the
spares cannot be restarted as fast as they are used, and the sandbox's start shows in the calls.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from toolfoundry.sandbox import SPARES, sandbox_problem
from toolfoundry.serve import InProcessCalls, SandboxedCalls, limits_for, load_tool
from toolfoundry.spec import ToolSpecificationParser

SPEC = {
    "name": "word_count",
    "description": "Count the words in a text.",
    "output_type": "int",
    "input_params": [{"name": "text", "type": "str"}],
}
CODE = "def word_count(text: str) -> int:\n    return len(text.split())\n"


def _tool(folder: Path):
    literal = repr(ToolSpecificationParser().parse(SPEC).model_dump(mode="json"))
    path = folder / "word_count.py"
    path.write_text(f"{CODE}\n\nTOOL_SPEC = {literal}\nTOOL_STATUS = 'verified'\n")
    return load_tool(path)


def _timed(calls, tool) -> float:
    began = time.perf_counter()
    outcome = calls.call(tool, {"text": "one two three"})
    elapsed = time.perf_counter() - began
    assert outcome.value == 3, outcome
    return elapsed


def _describe(label: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return f"{label:<12} median {statistics.median(seconds) * 1000:7.2f} ms   p90 {p90 * 1000:7.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--pause-ms", type=float, default=100.0)
    options = parser.parse_args()
    if problem := sandbox_problem():
        sys.exit(f"cannot benchmark: {problem}")
    with tempfile.TemporaryDirectory() as folder:
        tool = _tool(Path(folder))
        sandboxed, in_process = SandboxedCalls(limits_for(10, 1024, 32, 1024)), InProcessCalls()
        _timed(sandboxed, tool), _timed(in_process, tool)  # warm caches; start the first spares
        time.sleep(1)
        boxed, bare = [], []
        for _ in range(options.calls):
            boxed.append(_timed(sandboxed, tool))
            time.sleep(options.pause_ms / 2000)
            bare.append(_timed(in_process, tool))
            time.sleep(options.pause_ms / 2000)
    added = statistics.median(boxed) - statistics.median(bare)
    print(f"{options.calls} calls each, {options.pause_ms:g} ms between calls, spares kept: {SPARES.most}")
    print(_describe("sandboxed", boxed))
    print(_describe("in-process", bare))
    print(f"added by the sandbox: {added * 1000:.2f} ms per call (median)")


if __name__ == "__main__":
    main()
