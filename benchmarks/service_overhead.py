"""What LLMService adds to a model call, against calling a zero-latency model directly; and the cache-hit path.

Run: .venv/bin/python benchmarks/service_overhead.py [--calls N]
All three are measured in one run on one event loop; figures are per call, and ratios to the direct call.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from toolfoundry.models import CompletionRequest, Message, ScriptedModel
from toolfoundry.service import LLMService, ResponseCache, ServiceSettings

REQUEST = CompletionRequest(
    messages=(Message(role="system", content="You write Python."), Message(role="user", content="Write f." * 40)),
    seed=1,
)


async def per_call(calls: int, action) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        await action()
    return (time.perf_counter() - started) / calls


async def main(calls: int) -> None:
    model = ScriptedModel(["```python\ndef f():\n    return 1\n```"])
    plain = LLMService()
    with tempfile.TemporaryDirectory() as folder:
        cached = LLMService(ServiceSettings(cache=ResponseCache(Path(folder) / "cache.sqlite3")))
        await cached.complete(model, REQUEST)  # fill the cache
        direct = await per_call(calls, lambda: model.complete(REQUEST))
        service = await per_call(calls, lambda: plain.complete(model, REQUEST))
        hit = await per_call(calls, lambda: cached.complete(model, REQUEST))
    print(f"direct model call   : {direct * 1e6:8.1f} us")
    added = (service - direct) * 1e6
    print(f"through LLMService  : {service * 1e6:8.1f} us  ({service / direct:.1f}x, +{added:.0f} us)")
    print(f"cache hit (SQLite)  : {hit * 1e6:8.1f} us  ({hit / direct:.1f}x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    asyncio.run(main(parser.parse_args().calls))
