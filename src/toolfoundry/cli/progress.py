"""How a batch shows its progress: on a terminal, an overall line (done of total, verified, unverified, failed,
elapsed, time left) above a live table of every tool; otherwise one stable line per tool at the end."""

from __future__ import annotations

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from ..report import ToolSummary

FINISHED_STATES = {"done", "skipped", "failed"}


def print_summary(summaries: list[ToolSummary]) -> None:
    """Plain, stable lines when the output is not a terminal: one per tool."""
    for summary in summaries:
        status = summary.status or summary.state
        stopped = f" (attempts stopped: {summary.stopped})" if summary.stopped and status != "verified" else ""
        print(
            f"{status}\t{summary.tool}\tattempts={summary.attempts}\ttokens={summary.tokens}\t"
            f"seconds={summary.seconds:.1f}\t{summary.reason}{stopped}"
        )


class LiveProgress:
    """A live table of every tool's state, attempts, tokens and cost, for terminals."""

    def __init__(self, console: Console) -> None:
        self.rows: dict[str, ToolSummary] = {}
        self.overall = Progress(
            TextColumn("tools"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TextColumn("elapsed"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console,
        )
        self.task = self.overall.add_task("tools", total=None, counts="")
        self.live = Live(console=console, refresh_per_second=8, transient=False)

    def __enter__(self) -> LiveProgress:
        self.live.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.live.update(self._view())
        self.live.__exit__(*exc_info)

    def update(self, summary: ToolSummary) -> None:
        self.rows[summary.tool] = summary
        statuses = [row.status for row in self.rows.values()]
        counts = ", ".join(f"{statuses.count(status)} {status}" for status in ("verified", "unverified", "failed"))
        finished = sum(row.state in FINISHED_STATES for row in self.rows.values())
        self.overall.update(self.task, total=len(self.rows), completed=finished, counts=counts)
        self.live.update(self._view())

    def _view(self) -> Group:
        return Group(self.overall, self._table())

    def _table(self) -> Table:
        table = Table(title="toolfoundry")
        for column in ("tool", "state", "attempts", "tokens", "cost", "seconds", "why not verified"):
            table.add_column(column)
        colours = {"verified": "green", "unverified": "yellow", "stub": "red", "failed": "red"}
        for row in self.rows.values():
            label = row.status or row.state
            cost = "?" if row.cost_usd is None else f"${row.cost_usd:.4f}"
            table.add_row(
                row.tool,
                f"[{colours.get(label, 'cyan')}]{escape(label)}[/]",
                str(row.attempts),
                str(row.tokens),
                cost,
                f"{row.seconds:.1f}",
                escape(row.reason),
            )
        return table
