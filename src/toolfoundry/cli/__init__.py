"""The command line: `toolfoundry generate | validate | library | cache`, a thin layer over the package."""

from __future__ import annotations

from .app import app, main

__all__ = ["app", "main"]
