"""What a checked tool becomes: its module (or an honest stub), the targets that plug it into agent
frameworks, all rendered from one Jinja2 environment, formatted by ruff and written atomically."""

from __future__ import annotations

from .files import atomic_writer, remove_partial_files, write_atomically
from .module import ImplementationInjector, docstring_for, implementation_of, stub_code
from .ruff import format_python, ruff_clean
from .targets import TARGETS, check_targets, render_targets, tool_view

__all__ = [
    "TARGETS",
    "ImplementationInjector",
    "atomic_writer",
    "check_targets",
    "docstring_for",
    "format_python",
    "implementation_of",
    "remove_partial_files",
    "render_targets",
    "ruff_clean",
    "stub_code",
    "tool_view",
    "write_atomically",
]
