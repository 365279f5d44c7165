"""The truth about what was made: each tool's report with every attempt, the run's report.json, report.html."""

from __future__ import annotations

from .html import write_html_report
from .reuse import GeneratorIdentity, reusable, up_to_date
from .run import ToolSummary, run_report
from .tool import CHECKED_BEFORE, AttemptRecord, Status, TokenTotals, ToolReport

__all__ = [
    "CHECKED_BEFORE",
    "AttemptRecord",
    "GeneratorIdentity",
    "Status",
    "TokenTotals",
    "ToolReport",
    "ToolSummary",
    "reusable",
    "run_report",
    "up_to_date",
    "write_html_report",
]
