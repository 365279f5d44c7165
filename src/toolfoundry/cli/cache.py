"""`toolfoundry cache ...`: the response cache (a second identical run makes no model call)."""

from __future__ import annotations

import typer

from ..service import ResponseCache
from ..settings import default_cache_path

cache_app = typer.Typer(help="The response cache (a second identical run makes no model call).")


@cache_app.command("stats")
def cache_stats() -> None:
    """Entries, size and location of the response cache."""
    for key, value in ResponseCache(default_cache_path()).stats().items():
        if key not in {"hits", "misses"}:
            print(f"{key}: {value}")


@cache_app.command("clear")
def cache_clear() -> None:
    """Remove every cached response."""
    print(f"removed {ResponseCache(default_cache_path()).clear()} cached responses")
