"""The live view of a batch on a terminal: an overall line above the table of tools."""

from __future__ import annotations

import io

from rich.console import Console

from toolfoundry.cli.progress import LiveProgress
from toolfoundry.report import ToolSummary


def test_the_overall_line_counts_what_is_done_and_what_it_became() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=160, color_system=None)
    with LiveProgress(console) as progress:
        for name in ("a", "b", "c", "d"):
            progress.update(ToolSummary(tool=name))
        progress.update(ToolSummary(tool="a", state="done", status="verified"))
        progress.update(ToolSummary(tool="b", state="done", status="unverified", reason="1 of 2 examples failed"))
        progress.update(ToolSummary(tool="c", state="failed", status="failed", reason="RuntimeError: x"))
    last = screen.getvalue().rsplit("tools ", 1)[-1]  # the final frame
    assert "3/4" in last and "1 verified, 1 unverified, 1 failed" in last
    assert "elapsed" in last and "left" in last
    assert "RuntimeError: x" in last and "1 of 2 examples failed" in last
