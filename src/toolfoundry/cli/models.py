"""`toolfoundry models`: the embedded local models, whether they are installed, and where their files are;
`--check` also tries each installed one with the installed llama.cpp build, in a child process."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..errors import ConfigError
from ..models.build_check import ensure_runs_here
from ..models.embedded import EMBEDDED, model_file, status
from .common import EXIT_BAD_INPUT, stderr, stdout


def _state(row: dict[str, object]) -> str:
    if not row["installed"]:
        return f"not installed: {row['install']}"
    if row["ready"] and not row["assembled"]:
        return "installed (the file ships whole in its package)"
    if row["ready"]:
        return "installed, assembled, sha256 verified"
    return "installed; assembled and verified on first use"


def _check(out: Console) -> int:
    """Each installed model assembled, verified and tried in a child; exit 2 when any cannot run here."""
    failed = 0
    for model in EMBEDDED.values():
        if not status(model)["installed"]:
            continue
        name = f"local:{model.name}"
        try:
            tried = ensure_runs_here(model_file(model), name)
        except ConfigError as error:
            failed += 1
            stderr.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
            continue
        when = "tried now" if tried else "as tried before with this build on this CPU"
        out.print(f"{escape(name)}: runs here ({when})", highlight=False)
    return EXIT_BAD_INPUT if failed else 0


def list_models(
    as_json: Annotated[bool, typer.Option("--json", help="print the list as JSON")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="also try each installed model with the installed llama.cpp, in a child")
    ] = False,
) -> None:
    """The local models toolfoundry knows by name: size, licence, file, installed and verified or not."""
    rows = [status(model) for model in EMBEDDED.values()]
    if as_json:
        print(json.dumps(rows, indent=2))
    else:
        table = Table(title="local models (local:<name>; any other GGUF file: local:/path/model.gguf)")
        for column in ("name", "model", "licence", "size", "state", "file"):
            table.add_column(column)
        for row in rows:
            size = f"{int(row['size']) / 1e6:,.0f} MB" if row["size"] else "?"
            # Escaped: rich would take `toolfoundry[light]` in an install command for markup and drop it.
            cells = (row["name"], row["model"], row["licence"], size, _state(row), row["file"])
            table.add_row(*(escape(str(cell)) for cell in cells))
        console = Console()
        # Piped, rich would squeeze the table into 80 columns and cut the paths short.
        (console if console.is_terminal else Console(width=200)).print(table)
    if check:
        raise typer.Exit(_check(stderr if as_json else stdout))  # JSON alone on stdout
