"""`toolfoundry models`: the embedded local models, whether they are installed, and where their files are."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..models.embedded import EMBEDDED, status


def list_models(as_json: Annotated[bool, typer.Option("--json", help="print the list as JSON")] = False) -> None:
    """The local models toolfoundry knows by name: size, licence, file, installed and verified or not."""
    rows = [status(model) for model in EMBEDDED.values()]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title="local models (local:<name>; any other GGUF file: local:/path/model.gguf)")
    for column in ("name", "model", "licence", "size", "state", "file"):
        table.add_column(column)
    for row in rows:
        if not row["installed"]:
            state = f"not installed: {row['install']}"
        elif row["ready"] and not row["assembled"]:
            state = "installed (the file ships whole in its package)"
        elif row["ready"]:
            state = "installed, assembled, sha256 verified"
        else:
            state = "installed; assembled and verified on first use"
        size = f"{int(row['size']) / 1e6:,.0f} MB" if row["size"] else "?"
        table.add_row(str(row["name"]), str(row["model"]), str(row["licence"]), size, state, str(row["file"]))
    console = Console()
    # Piped, rich would squeeze the table into 80 columns and cut the paths short.
    (console if console.is_terminal else Console(width=200)).print(table)
