"""Serving generated tools: the tools in a folder (catalog.py, learned without running their code), each call
in a bubblewrap sandbox with the tool's declared permissions (calls.py, over sandbox.call), behind the official
MCP SDK's server over stdio or streamable HTTP (server.py)."""

from __future__ import annotations

from .calls import CallOutcome, InProcessCalls, SandboxedCalls, limits_for
from .catalog import ServedTool, load_folder, load_tool
from .server import build_server, mcp_tool, run_http, run_stdio

__all__ = [
    "CallOutcome",
    "InProcessCalls",
    "SandboxedCalls",
    "ServedTool",
    "build_server",
    "limits_for",
    "load_folder",
    "load_tool",
    "mcp_tool",
    "run_http",
    "run_stdio",
]
