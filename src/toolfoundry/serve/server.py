"""The MCP server (the official `mcp` SDK's low-level server): each tool listed with a title, its input and
output schemas and annotations derived from its permissions; each call handed to a worker thread that runs it
(in a sandbox of its own, unless the operator opted out), at most `concurrency` at once, none dropped.

A hostile or broken client costs only its own request: a line on stdio that is not a JSON-RPC message gets a
JSON-RPC error (the SDK's stdio transport drops it unanswered; its HTTP transport answers such bodies itself),
a result JSON cannot carry is that call's tool error (the SDK's stdio writer dies on it, taking the server
along), and HTTP answers only requests that name this server's own address (DNS-rebinding protection, which
the SDK turns on by itself for 127.0.0.1, localhost and ::1 alone)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Protocol

import anyio
import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.message import SessionMessage
from pydantic import ValidationError

from .._version import __version__
from ..sandbox import is_loopback
from .access import BearerToken
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


def _error(text: str) -> types.CallToolResult:
    # Messages are for people, so a lone surrogate in one (a declared exception's message about a file name
    # that is not UTF-8, say) is escaped, `\udcff`, rather than the message lost.
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return types.CallToolResult(content=[types.TextContent(text=text)], is_error=True)


def _lone_surrogate(value: Any, where: str = "the result") -> str:
    """Where in a (normalised: JSON-shaped) value the first string that is not valid Unicode sits."""
    if isinstance(value, str):
        return where if not value.isascii() and not _encodes(value) else ""
    items: list[tuple[Any, str]] = []
    if isinstance(value, dict):
        items = [(key, f"a key of {where}") for key in value]
        items += [(item, f"{where}[{key!r:.40}]") for key, item in value.items()]
    elif isinstance(value, list):
        items = [(item, f"{where}[{index}]") for index, item in enumerate(value)]
    return next((found for item, place in items if (found := _lone_surrogate(item, place))), "")


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _result(tool: ServedTool, outcome: CallOutcome) -> types.CallToolResult:
    """The one place a call's value or error enters a reply: what JSON cannot carry never reaches the SDK."""
    name = tool.spec.name
    if outcome.error is not None:
        return _error(outcome.error)
    try:
        text = json.dumps(outcome.value, ensure_ascii=False)
    except ValueError:  # an int past Python's (and JSON readers') 4300 digits
        return _error(f"{name} returned an integer too long to write as JSON (over 4300 digits)")
    if not _encodes(text):
        # Refused, not escaped: the value would reach the agent changed (`\udcff` for the byte 0xff of a file
        # name that is not UTF-8, which os.listdir gives as a lone surrogate) and still look like the result.
        where = _lone_surrogate(outcome.value) or "the result"
        return _error(
            f"{name} returned text that is not valid Unicode at {where} (a lone surrogate, as Python decodes a "
            "file name that is not UTF-8); JSON cannot carry it, so the result is refused"
        )
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
            return _error(f"unknown tool {params.name!r}; this server has {', '.join(by_name)}")
        outcome = await anyio.to_thread.run_sync(calls.call, tool, dict(params.arguments or {}), limiter=slots)
        return _result(tool, outcome)

    return Server(
        "toolfoundry",
        version=__version__,
        instructions="Tools generated and checked by toolfoundry; each call runs in a sandbox of its own.",
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def _request_id(error: ValidationError) -> types.RequestId | None:
    """The id of a message that is JSON but not JSON-RPC, when one can be read: a missing field's error carries
    the whole message as its input."""
    for problem in error.errors(include_url=False):
        message = problem.get("input")
        if problem["type"] == "missing" and len(problem["loc"]) == 2 and isinstance(message, dict):
            found = message.get("id")
            if isinstance(found, str) or (isinstance(found, int) and not isinstance(found, bool)):
                return found
    return None


def rejection(error: Exception) -> types.JSONRPCError:
    """The JSON-RPC error for a line the stdio transport could not read as a message: parse error (-32700)
    when it is not JSON (nested past 200, a number past 4300 digits, not JSON at all), invalid request
    (-32600) when it is JSON but no JSON-RPC message. The line itself is never echoed."""
    problems = error.errors(include_url=False) if isinstance(error, ValidationError) else []
    unreadable = next((problem for problem in problems if problem["type"] == "json_invalid"), None)
    if unreadable is not None or not isinstance(error, ValidationError):
        detail = unreadable["msg"].removeprefix("Invalid JSON: ") if unreadable else "the line could not be read"
        return types.JSONRPCError(
            jsonrpc="2.0", id=None, error=types.ErrorData(code=types.PARSE_ERROR, message=f"Parse error: {detail}")
        )
    message = "Invalid Request: not a JSON-RPC 2.0 request, notification or response"
    data = types.ErrorData(code=types.INVALID_REQUEST, message=message)
    return types.JSONRPCError(jsonrpc="2.0", id=_request_id(error), error=data)


class AnsweringReadStream:
    """The stdio transport's read stream, minus the lines it could not read: each is answered here with a
    JSON-RPC error (the SDK's dispatcher would drop it, and the client would wait for its own timeout)."""

    def __init__(self, inner: Any, write: Any) -> None:
        self._inner, self._write = inner, write

    @property
    def last_context(self) -> Any:  # the dispatcher runs each message in its sender's contextvars
        return getattr(self._inner, "last_context", None)

    async def receive(self) -> SessionMessage:
        while True:
            item = await self._inner.receive()
            if not isinstance(item, Exception):
                return item
            with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                await self._write.send(SessionMessage(rejection(item)))

    def __aiter__(self) -> AnsweringReadStream:
        return self

    async def __anext__(self) -> SessionMessage:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> AnsweringReadStream:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()


async def run_stdio(server: Server[Any]) -> None:
    async with stdio_server() as (read, write):
        await server.run(AnsweringReadStream(read, write), write, server.create_initialization_options())


def _authority(host: str, port: int) -> str:
    return f"[{host.strip('[]')}]:{port}" if ":" in host else f"{host}:{port}"


def transport_security(host: str, port: int, also: Sequence[str] = ()) -> TransportSecuritySettings:
    """Host and Origin headers HTTP answers: the address it is bound to at its port; localhost's names too when
    that is loopback or every address (0.0.0.0, ::, which include loopback); and `also`, Host values as clients
    send them (`tools.lan:8000`, a proxy's name). A page that rebinds its own name to this address still
    sends that name, so it is refused (421, and 403 for a foreign Origin), whatever address serve is bound to."""
    names = [host]
    if is_loopback(host) or host.strip("[]") in ("0.0.0.0", "::", ""):
        names += ["127.0.0.1", "localhost", "::1"]
    hosts = list(dict.fromkeys(_authority(name, port) for name in names))
    if port == 80:  # the default port is left out of Host and Origin
        hosts += [authority.rpartition(":")[0] for authority in hosts]
    origins = [f"http://{authority}" for authority in hosts]
    origins += [f"{scheme}://{value}" for value in also for scheme in ("http", "https")]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=[*hosts, *also], allowed_origins=origins
    )


async def run_http(
    server: Server[Any], host: str, port: int, also_hosts: Sequence[str] = (), token: str | None = None
) -> None:
    """Streamable HTTP at http://host:port/mcp, answering only requests that name this server (see above) and,
    given a `token`, carry it as a bearer token (access.py)."""
    import uvicorn

    app: Any = server.streamable_http_app(transport_security=transport_security(host, port, also_hosts))
    if token is not None:
        app = BearerToken(app, token)
    await uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning")).serve()
