"""The run's report: what a batch remembers of each tool (a small summary; the full report is on disk), and
report.json with totals."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from ..service import total_cost


@dataclass
class ToolSummary:
    """What a run remembers of one tool; the full report is on disk."""

    tool: str
    state: str = "queued"  # queued, generating, done, skipped (up to date), failed (an error, no tool written)
    status: str = ""  # verified, unverified, stub, failed
    reason: str = ""
    stopped: str = ""  # why its attempts ended (the report's `stopped`)
    attempts: int = 0
    tokens: int = 0
    cost_usd: float | None = 0.0
    seconds: float = 0.0
    report: str = ""  # the report file, relative to the output folder


def run_report(
    summaries: list[ToolSummary],
    *,
    model: str,
    seconds: float,
    interrupted: bool,
    service: dict,
    prompt_version: str,
    spec_files: dict[str, str] | None = None,
) -> dict:
    """The run's report.json: a line per tool, totals, how the run ended, and which spec file each tool came
    from (what `review` edits)."""
    counts = {status: sum(1 for s in summaries if s.status == status) for status in ("verified", "unverified", "stub")}
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
            "cost_usd": total_cost(summary.cost_usd for summary in summaries),
        },
        "service": service,
        "spec_files": spec_files or {},
    }


def merged_run_report(previous: dict[str, Any], summaries: list[ToolSummary], service: dict) -> dict:
    """report.json after some of its tools were made again (a review): their lines replaced, the rest kept,
    the totals counted again."""
    known = {field.name for field in fields(ToolSummary)}
    lines = {
        str(line.get("tool")): ToolSummary(**{key: value for key, value in line.items() if key in known})
        for line in previous.get("tools", [])
        if isinstance(line, dict) and "tool" in line
    }
    lines |= {summary.tool: summary for summary in summaries}
    return run_report(
        list(lines.values()),
        model=str(previous.get("model", "")),
        seconds=float(previous.get("seconds", 0.0)),
        interrupted=bool(previous.get("interrupted", False)),
        service=service,
        prompt_version=str(previous.get("prompt_version", "")),
        spec_files=previous.get("spec_files") if isinstance(previous.get("spec_files"), dict) else None,
    )
