"""The truth about what was made: each tool's report with every attempt, the run's report.json, report.html."""

from __future__ import annotations

from .html import write_html_report
from .run import ToolSummary, run_report, up_to_date
from .tool import AttemptRecord, Status, TokenTotals, ToolReport

__all__ = [
    "AttemptRecord",
    "Status",
    "TokenTotals",
    "ToolReport",
    "ToolSummary",
    "run_report",
    "up_to_date",
    "write_html_report",
]
