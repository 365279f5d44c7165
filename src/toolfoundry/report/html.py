"""report.html: the run, readable by a person and self-contained (no network, no scripts).

Written one tool at a time from the reports on disk, so its size in memory does not grow with the run.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from ..errors import redact
from ..evidence import Evidence
from ..output import atomic_writer
from ..output.templates import environment


def _diff_lines(before: str | None, after: str | None) -> list[tuple[str, str]]:
    """(css class, line) pairs of a unified diff between two attempts' code."""
    lines = difflib.unified_diff(
        (before or "").splitlines(), (after or "").splitlines(), "previous", "this", lineterm="", n=2
    )
    kinds = {"+": "add", "-": "del", "@": "hunk"}
    return [(kinds.get(line[:1], ""), line) for line in lines]


def _tool_view(report: dict[str, Any]) -> dict[str, Any]:
    attempts = report.get("attempts", [])
    previous: str | None = None
    views = []
    for attempt in attempts:
        views.append({**attempt, "diff": _diff_lines(previous, attempt.get("code")) if previous else []})
        previous = attempt.get("code") or previous
    view = {**report, "attempts": views, "evidence_line": "", "evidence": None}  # none for a failed or stub tool
    if isinstance(report.get("evidence"), dict) and report.get("status") in {"verified", "unverified"}:
        evidence = Evidence.model_validate(report["evidence"])
        view |= {"evidence_line": evidence.line(report["status"]), "evidence": evidence}
    return view


def write_html_report(output: Path, run: dict[str, Any], filename: str = "report.html") -> Path:
    templates = environment()
    path = output / filename
    with atomic_writer(path) as page:
        page.write(templates.get_template("report_head.html.j2").render(run=run))
        for tool in run["tools"]:
            report: dict[str, Any] = {
                "tool": tool["tool"],
                "status": tool["status"] or tool["state"],
                "reason": tool["reason"],
                "attempts": [],
            }
            if tool["report"] and (output / tool["report"]).is_file():
                report = json.loads((output / tool["report"]).read_text(encoding="utf-8"))
            page.write(
                redact(templates.get_template("report_tool.html.j2").render(tool=_tool_view(report), summary=tool))
            )
        page.write(templates.get_template("report_foot.html.j2").render(run=run))
    return path
