"""The tools whose specs took a person's answers, made again in their folder: the candidates checked before
first (no model call when one passes every check, the answers included), else generated with the answers
shown as examples. The folder's report.json and report.html are brought up to date, other tools' lines kept."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..batch import BatchRunner
from ..generate import EarlierCandidate, LLMCodeGenerator
from ..output import write_atomically
from ..report import ToolReport, ToolSummary, write_html_report
from ..report.run import merged_run_report
from ..spec import ToolSpec
from .session import RUN_REPORT


def choose_again(
    generator: LLMCodeGenerator,
    folder: Path,
    specs: Sequence[ToolSpec],
    earlier: Mapping[str, Sequence[EarlierCandidate]],
) -> list[ToolReport]:
    """Each spec's tool made again in `folder` (its module and report replaced atomically); their reports. A tool
    whose pipeline failed keeps its report from before (its candidates, for the next review to check again:
    its spec's answers are then ones it was not chosen with), and the failure is the one returned."""
    before = {spec.name: _read(folder / f"{spec.name}.report.json") for spec in specs}
    runner = BatchRunner(generator, folder, concurrency=1, resume=False)
    summaries = asyncio.run(runner.run(list(specs), earlier))
    reports = []
    for spec in specs:
        path = folder / f"{spec.name}.report.json"
        report = ToolReport.read(path)
        if report is not None and report.status == "failed" and before[spec.name] is not None:
            write_atomically(path, before[spec.name])
            summaries = [summary for summary in summaries if summary.tool != spec.name]  # its line stays too
        if report is not None:
            reports.append(report)
    _update_run_files(folder, summaries, generator.snapshot())
    return reports


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def _update_run_files(folder: Path, summaries: list[ToolSummary], service: dict) -> None:
    try:
        previous = json.loads((folder / RUN_REPORT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = {}
    run = merged_run_report(previous if isinstance(previous, dict) else {}, summaries, service)
    write_atomically(folder / RUN_REPORT, json.dumps(run, indent=2) + "\n")
    write_html_report(folder, run)


def how_chosen(report: ToolReport) -> str:
    """`re-chosen among 6 candidates checked before (no model call)`, or how many calls generating it took."""
    calls = sum(attempt.called_model for attempt in report.attempts)
    rechecked = len(report.attempts) - calls
    if calls == 0 and report.chosen_attempt is not None:
        return f"re-chosen among {rechecked} candidates checked before (no model call)"
    return f"generated again ({calls} model call{'s' if calls != 1 else ''} after {rechecked} rechecked)"
