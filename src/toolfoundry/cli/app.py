"""The command line: one Typer app, its commands each in a module of their own.

Exit status: 0 every tool verified, 1 some tool is not, 2 bad input (nothing written), 130 interrupted.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .._version import __version__
from .cache import cache_app
from .generate import generate
from .library import library_app
from .models import list_models
from .record import record
from .review import review
from .serve import serve
from .validate import validate

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Generate checked Python tools from specs.")


def _print_version(asked: bool) -> None:
    if asked:
        print(__version__)
        raise typer.Exit()


@app.callback()
def options(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="print the version and exit")
    ] = False,
) -> None:
    """Generate checked Python tools from specs."""


app.command()(generate)
app.command()(validate)
app.command("models")(list_models)
app.command()(serve)
app.command()(record)
app.command()(review)
app.add_typer(library_app, name="library")
app.add_typer(cache_app, name="cache")


@app.command("version")
def print_version() -> None:
    """Print the version."""
    print(__version__)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
