"""Many specs at once: concurrent generation on one event loop, live progress, resume, clean interruption.

`concurrency` caps the model calls in flight. Checks (sandbox runs, bandit) run in worker threads, so they
use the cores without blocking the event loop, and a few more specs than there are call slots are in
progress at once: while one spec's candidate is checked, another's call takes its slot. Each finished tool
is written at once (atomically) and only a small summary stays in memory, so a run of hundreds of specs
holds no more than that window's attempts at a time.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .agent import save_tool
from .errors import ToolfoundryError, redact
from .generator import LLMCodeGenerator
from .report import AttemptRecord
from .spec import ToolSpec


@dataclass
class ToolSummary:
    """What a run remembers of one tool; the full report is on disk."""

    tool: str
    state: str = "queued"  # queued, generating, done, skipped (up to date), failed (an error, no tool written)
    status: str = ""  # verified, unverified, stub
    reason: str = ""
    attempts: int = 0
    tokens: int = 0
    cost_usd: float | None = 0.0
    seconds: float = 0.0
    report: str = ""  # the report file, relative to the output folder


def up_to_date(spec: ToolSpec, output: Path, model: str, prompt_version: str) -> dict | None:
    """The existing report if this spec was verified before with the same model and prompt version."""
    report_path, module_path = output / f"{spec.name}.report.json", output / f"{spec.name}.py"
    if not (report_path.is_file() and module_path.is_file()):
        return None
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    same = (
        report.get("status") == "verified"
        and report.get("spec_hash") == spec.spec_hash()
        and report.get("model") == model
        and report.get("prompt_version") == prompt_version
    )
    return report if same else None


@dataclass
class BatchRunner:
    generator: LLMCodeGenerator
    output: Path
    concurrency: int = 4
    resume: bool = True
    on_change: Callable[[ToolSummary], None] | None = None
    summaries: dict[str, ToolSummary] = field(default_factory=dict)

    def _changed(self, summary: ToolSummary) -> None:
        if self.on_change is not None:
            self.on_change(summary)

    def _observe(self, name: str, attempt: AttemptRecord) -> None:
        summary = self.summaries[name]
        summary.attempts += 1
        if not attempt.cached:
            summary.tokens += attempt.prompt_tokens + attempt.completion_tokens
        if summary.cost_usd is not None:
            summary.cost_usd = None if attempt.cost_usd is None else summary.cost_usd + attempt.cost_usd
        self._changed(summary)

    async def run(self, specs: list[ToolSpec]) -> list[ToolSummary]:
        self.summaries = {spec.name: ToolSummary(tool=spec.name) for spec in specs}
        for summary in self.summaries.values():
            self._changed(summary)
        self.generator.fallback_manager.observer = self._observe
        self.generator.llm_service.call_slots = asyncio.Semaphore(self.concurrency)
        queue = iter(specs)

        async def worker() -> None:
            for spec in queue:  # the workers share one iterator: each spec is taken once
                await self._generate(spec)

        # Specs in progress: two per call slot (one calling, one being checked: calls end in waves) and two per
        # core. A fixed set of workers, not a task per spec, so memory does not grow with the specs waiting.
        workers = 2 * self.concurrency + 2 * (os.cpu_count() or 1)
        try:
            await asyncio.gather(*(worker() for _ in range(min(workers, len(specs)))))
        finally:
            self.generator.llm_service.call_slots = None
        return list(self.summaries.values())

    async def _generate(self, spec: ToolSpec) -> None:
        summary = self.summaries[spec.name]
        existing = (
            up_to_date(spec, self.output, self.generator.models[0].name, self.generator.prompt_builder.version)
            if self.resume
            else None
        )
        if existing is not None:
            summary.state, summary.status, summary.report = "skipped", "verified", f"{spec.name}.report.json"
            summary.attempts, summary.seconds = len(existing.get("attempts", [])), 0.0
            self._changed(summary)
            return
        summary.state = "generating"
        self._changed(summary)
        started = time.monotonic()
        try:
            tool = await self.generator.generate_code(spec)
        except ToolfoundryError as error:
            summary.state, summary.reason = "failed", redact(str(error))
            summary.seconds = round(time.monotonic() - started, 3)
            self._changed(summary)
            return
        await asyncio.to_thread(save_tool, tool, self.output)
        report = tool.report
        summary.state, summary.status, summary.reason = "done", report.status, report.reason
        summary.attempts, summary.tokens, summary.cost_usd = len(report.attempts), report.tokens.total, report.cost_usd
        summary.seconds, summary.report = report.seconds, f"{spec.name}.report.json"
        self._changed(summary)


def run_report(
    summaries: list[ToolSummary],
    *,
    model: str,
    seconds: float,
    interrupted: bool,
    service: dict,
    prompt_version: str,
) -> dict:
    """The run's report.json: a line per tool, totals, and how the run ended."""
    counts = {status: sum(1 for s in summaries if s.status == status) for status in ("verified", "unverified", "stub")}
    costs = [summary.cost_usd for summary in summaries]
    return {
        "model": model,
        "prompt_version": prompt_version,
        "interrupted": interrupted,
        "seconds": round(seconds, 3),
        "tools": [asdict(summary) for summary in summaries],
        "summary": {
            **counts,
            "skipped": sum(1 for s in summaries if s.state == "skipped"),
            "failed": sum(1 for s in summaries if s.state == "failed"),
            "not_finished": sum(1 for s in summaries if s.state in {"queued", "generating"}),
            "tokens": sum(summary.tokens for summary in summaries),
            "cost_usd": None if None in costs else round(sum(cost or 0.0 for cost in costs), 6),
        },
        "service": service,
    }
