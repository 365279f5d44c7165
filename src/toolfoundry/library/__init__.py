"""The library of verified tools: the user's SQLite store (kept, versioned, reused) and the built-in examples."""

from __future__ import annotations

from .store import SCHEMA_VERSION, ToolLibrary, default_library_path
from .verified import VerifiedTool, builtin_library

__all__ = [
    "SCHEMA_VERSION",
    "ToolLibrary",
    "VerifiedTool",
    "builtin_library",
    "default_library_path",
]
