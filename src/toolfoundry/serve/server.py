"""The MCP server (the official `mcp` SDK's low-level server): each tool listed with a title, its input and
output schemas and annotations derived from its permissions; each call handed to a worker thread that runs it
(in a sandbox of its own, unless the operator opted out), at most `concurrency` at once, none dropped."""

from __future__ import annotations

import json
from typing import Any, Protocol

import anyio
import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

from .._version import __version__
from .calls import CallOutcome
from .catalog import ServedTool


class Calls(Protocol):
    def call(self, tool: ServedTool, arguments: dict[str, Any]) -> CallOutcome: ...


def annotations(tool: ServedTool) -> types.ToolAnnotations:
    """Hints an agent can plan with, from what the tool may touch (declared, so they hold in the sandbox)."""
    writes = tool.spec.permissions.filesystem == "write"
    return types.ToolAnnotations(
        title=tool.spec.display_title,
        read_only_hint=not writes,
        destructive_hint=writes,
        idempotent_hint=tool.spec.idempotent,
        open_world_hint=bool(tool.spec.permissions.network),
    )


def mcp_tool(tool: ServedTool) -> types.Tool:
    output = tool.view.output_schema
    return types.Tool(
        name=tool.spec.name,
        title=tool.spec.display_title,
        description=tool.view.description,
        input_schema=tool.view.input_schema(),
        # MCP's structured content is an object: the value goes under "result", as the SDK's own servers do.
        output_schema=None
        if output is None
        else {"type": "object", "properties": {"result": output}, "required": ["result"]},
        annotations=annotations(tool),
    )


def _result(tool: ServedTool, outcome: CallOutcome) -> types.CallToolResult:
    if outcome.error is not None:
        return types.CallToolResult(content=[types.TextContent(text=outcome.error)], is_error=True)
    text = json.dumps(outcome.value, ensure_ascii=False)
    structured = {"result": outcome.value} if tool.view.output_schema is not None else None
    return types.CallToolResult(content=[types.TextContent(text=text)], structured_content=structured)


def build_server(tools: list[ServedTool], calls: Calls, concurrency: int) -> Server[Any]:
    by_name = {tool.spec.name: tool for tool in tools}
    listed = types.ListToolsResult(tools=[mcp_tool(tool) for tool in tools])
    slots = anyio.CapacityLimiter(concurrency)

    async def list_tools(context: Any, params: Any) -> types.ListToolsResult:
        return listed

    async def call_tool(context: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        tool = by_name.get(params.name)
        if tool is None:
            known = ", ".join(by_name)
            return types.CallToolResult(
                content=[types.TextContent(text=f"unknown tool {params.name!r}; this server has {known}")],
                is_error=True,
            )
        outcome = await anyio.to_thread.run_sync(calls.call, tool, dict(params.arguments or {}), limiter=slots)
        return _result(tool, outcome)

    return Server(
        "toolfoundry",
        version=__version__,
        instructions="Tools generated and checked by toolfoundry; each call runs in a sandbox of its own.",
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def run_stdio(server: Server[Any]) -> None:
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


async def run_http(server: Server[Any], host: str, port: int) -> None:
    """Streamable HTTP at http://host:port/mcp (the SDK turns on DNS-rebinding protection for loopback)."""
    import uvicorn

    app = server.streamable_http_app(host=host)
    await uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning")).serve()
