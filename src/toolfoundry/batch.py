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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .generate import EarlierCandidate, LLMCodeGenerator, RunHooks, save_tool
from .output import remove_partial_files, render_targets, write_atomically
from .report import AttemptRecord, ToolReport, ToolSummary, run_report, up_to_date, write_html_report
from .service import total_cost
from .spec import ToolSpec


@dataclass
class BatchRunner:
    """Runs many specs through one generator. It lends the generator what a batch shares (RunHooks) and asks it
    only for its identity (resume, the reports) and its snapshot: the generator's parts are its own."""

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
        summary.cost_usd = total_cost([summary.cost_usd, attempt.cost_usd])
        self._changed(summary)

    async def run(
        self, specs: list[ToolSpec], earlier: Mapping[str, Sequence[EarlierCandidate]] | None = None
    ) -> list[ToolSummary]:
        """Every spec, `concurrency` model calls at most at once; `earlier`: per tool, code an earlier run
        checked, checked again before any call (a review's re-choice)."""
        earlier = earlier or {}
        # A run killed mid-write (kill -9) left at most temporary files, never half a tool: clear them first.
        remove_partial_files(self.output)
        self.summaries = {spec.name: ToolSummary(tool=spec.name) for spec in specs}
        for summary in self.summaries.values():
            self._changed(summary)
        # Every spec's model calls share these slots, and every attempt is reported here as it ends.
        hooks = RunHooks(on_attempt=self._observe, call_slots=asyncio.Semaphore(self.concurrency))
        queue = iter(specs)

        async def worker() -> None:
            for spec in queue:  # the workers share one iterator: each spec is taken once
                await self._generate(spec, hooks, earlier.get(spec.name, ()))

        # Specs in progress: two per call slot (one calling, one being checked: calls end in waves) and two per
        # core. A fixed set of workers, not a task per spec, so memory does not grow with the specs waiting.
        workers = 2 * self.concurrency + 2 * (os.cpu_count() or 1)
        await asyncio.gather(*(worker() for _ in range(min(workers, len(specs)))))
        return list(self.summaries.values())

    async def _generate(self, spec: ToolSpec, hooks: RunHooks, earlier: Sequence[EarlierCandidate]) -> None:
        summary = self.summaries[spec.name]
        existing = up_to_date(spec, self.output, self.generator.identity) if self.resume else None
        if existing is not None:
            summary.state, summary.status, summary.report = "skipped", "verified", f"{spec.name}.report.json"
            summary.attempts, summary.seconds = len(existing.attempts), 0.0
            self._changed(summary)
            return
        summary.state = "generating"
        self._changed(summary)
        started = time.monotonic()
        try:
            tool = await self.generator.generate_code(spec, hooks, earlier)
            await asyncio.to_thread(save_tool, tool, self.output)
        except Exception as error:  # whatever ends this tool ends only this tool; the batch goes on
            await self._failed(spec, summary, error, time.monotonic() - started)
            return
        report = tool.report
        summary.state, summary.status, summary.reason = "done", report.status, report.reason
        summary.stopped = report.stopped
        summary.attempts, summary.tokens, summary.cost_usd = len(report.attempts), report.tokens.total, report.cost_usd
        summary.seconds, summary.report = report.seconds, f"{spec.name}.report.json"
        self._changed(summary)

    async def _failed(self, spec: ToolSpec, summary: ToolSummary, error: Exception, seconds: float) -> None:
        """A tool whose pipeline raised: `failed`, with the exception in its report (and a traceback when it is a
        bug of ours, for the bug report; never on the console). No module is written for it."""
        report = ToolReport.failure(spec.name, spec.spec_hash(), self.generator.identity.model, error, seconds)
        path = self.output / f"{spec.name}.report.json"
        try:
            await asyncio.to_thread(write_atomically, path, report.to_json() + "\n")
            summary.report = path.name
        except OSError:
            summary.report = ""  # the folder itself failed us: report.json still names the tool and why
        summary.state, summary.status, summary.reason = "failed", "failed", report.reason
        summary.seconds = report.seconds
        self._changed(summary)

    def write_run_files(
        self,
        specs: list[ToolSpec],
        targets: list[str],
        seconds: float,
        interrupted: bool,
        spec_files: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """The files beside the tools once the run ends: every target for the tools this run finished (a module
        left by an earlier run for a spec that failed now does not count), report.json and report.html."""
        summaries = list(self.summaries.values())
        finished = {summary.tool for summary in summaries if summary.state in {"done", "skipped"}}
        for filename, text in render_targets(targets, [spec for spec in specs if spec.name in finished]).items():
            write_atomically(self.output / filename, text)
        identity = self.generator.identity
        run = run_report(
            summaries,
            model=identity.model,
            seconds=seconds,
            interrupted=interrupted,
            service=self.generator.snapshot(),
            prompt_version=identity.prompt_version,
            spec_files=spec_files,
        )
        write_atomically(self.output / "report.json", json.dumps(run, indent=2) + "\n")
        write_html_report(self.output, run)
        return run
