"""`toolfoundry serve` against what a hostile or broken client, tool or web page sends: raw lines on stdio and
raw HTTP bodies that are no JSON-RPC message, results JSON cannot carry, and requests naming another host
(DNS rebinding) on a loopback address the SDK does not protect by itself. Each costs its own request only."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import requires_sandbox
from tests.serve.tools import serving_http, unencodable_tool_folder

TOOLFOUNDRY = [sys.executable, "-m", "toolfoundry", "serve"]
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}},
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
# What the red team sent: not JSON, JSON nested past the parser's 200, an integer past Python's 4300 digits,
# JSON that is no JSON-RPC message (with an id the reply can carry, and without).
MALFORMED = [
    ("not json", -32700, None),
    ("[" * 300 + "]" * 300, -32700, None),
    (
        '{"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "add", "arguments": {"a": '
        + "1" * 5000
        + ', "b": 1}}}',
        -32700,
        None,
    ),
    ('{"a": ' + "[" * 199 + "]" * 199 + "}", -32600, None),
    ('{"jsonrpc": "2.0", "id": 7, "method": 5}', -32600, 7),
]


def _call(request_id: int, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    params = {"name": name, "arguments": arguments}
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


@pytest.fixture
def tools(tmp_path: Path) -> Path:
    return unencodable_tool_folder(tmp_path / "tools", tmp_path / "files")


class RawStdio:
    """The server over stdio, one JSON-RPC line at a time, each reply waited for with a bound."""

    def __init__(self, folder: Path, *options: str) -> None:
        self.process = subprocess.Popen(
            [*TOOLFOUNDRY, str(folder), *options],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def send(self, line: str | dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((line if isinstance(line, str) else json.dumps(line)).encode() + b"\n")
        self.process.stdin.flush()

    def reply(self, seconds: float = 30) -> dict[str, Any]:
        try:
            return json.loads(self.lines.get(timeout=seconds))
        except queue.Empty:
            raise AssertionError(f"no reply in {seconds}s (server exit status: {self.process.poll()})") from None

    def close(self) -> None:
        self.process.kill()
        self.process.wait(10)


@pytest.mark.slow
def test_malformed_lines_on_stdio_get_json_rpc_errors_and_the_server_goes_on(tools) -> None:
    server = RawStdio(tools, "--unsandboxed")  # the transport is under test here, not the sandbox
    try:
        server.send(INITIALIZE)
        assert server.reply()["id"] == 1
        server.send(INITIALIZED)
        for line, code, request_id in MALFORMED:
            server.send(line)
            reply = server.reply(10)
            assert reply["jsonrpc"] == "2.0" and reply["id"] == request_id and reply["error"]["code"] == code, line[:40]
            assert "1111111111" not in reply["error"]["message"]  # the line is not echoed
        server.send(_call(8, "add", {"a": 2, "b": 3}))
        assert server.reply() == {
            "jsonrpc": "2.0",
            "id": 8,
            "result": {
                "content": [{"type": "text", "text": "5"}],
                "isError": False,
                "structuredContent": {"result": 5},
            },
        }
    finally:
        server.close()


@pytest.fixture
def http_server(tools, request) -> Iterator[tuple[str, int]]:
    host = getattr(request, "param", "127.0.0.1")
    with serving_http(tools, host, "--unsandboxed") as (port, _):  # the transport is under test, not the sandbox
        yield host, port


def _post(
    host: str, port: int, body: str | dict[str, Any], headers: dict[str, str] | None = None, session: str | None = None
) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection(host, port, timeout=30)
    sent = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    sent |= {"Mcp-Session-Id": session} if session else {}
    connection.request(
        "POST", "/mcp", (body if isinstance(body, str) else json.dumps(body)).encode(), sent | (headers or {})
    )
    response = connection.getresponse()
    text = response.read().decode()
    connection.close()
    return response.status, {key.lower(): value for key, value in response.getheaders()}, text


def _message(text: str) -> dict[str, Any]:
    """The JSON-RPC message of a reply, whether plain JSON or one SSE event."""
    data = [line[len("data: ") :] for line in text.splitlines() if line.startswith("data: ")]
    return json.loads(data[-1] if data else text)


def _session(host: str, port: int, headers: dict[str, str] | None = None) -> str:
    status, answer, _ = _post(host, port, INITIALIZE, headers)
    assert status == 200, status
    session = answer["mcp-session-id"]
    _post(host, port, INITIALIZED, headers, session)
    return session


@pytest.mark.slow
def test_malformed_http_bodies_get_error_responses_and_the_server_goes_on(http_server) -> None:
    host, port = http_server
    session = _session(host, port)
    for body, code, _ in MALFORMED:
        status, _, text = _post(host, port, body, session=session)
        assert status == 400 and _message(text)["error"]["code"] in (code, -32602), body[:40]
    status, _, text = _post(host, port, _call(9, "add", {"a": 2, "b": 3}), session=session)
    assert status == 200 and _message(text)["result"]["structuredContent"] == {"result": 5}


@pytest.mark.slow
@pytest.mark.allow_hosts(["127.0.0.2"])
def test_a_rebound_host_or_a_foreign_origin_is_refused_on_any_loopback_address(tools) -> None:
    host = "127.0.0.2"  # loopback, but not one of the three hosts the SDK protects by itself
    with serving_http(tools, host, "--unsandboxed", "--allowed-host", "tools.localhost:*") as (port, _):
        evil = {"Host": "evil.example", "Origin": "http://evil.example"}
        assert _post(host, port, INITIALIZE, evil)[0] == 421
        session = _session(host, port)
        status, _, text = _post(host, port, _call(2, "add", {"a": 1, "b": 2}), evil, session)
        assert status == 421 and "result" not in text
        assert (
            _post(host, port, _call(3, "add", {"a": 1, "b": 2}), {"Origin": "http://evil.example"}, session)[0] == 403
        )
        for headers in ({"Origin": f"http://{host}:{port}"}, {"Host": f"tools.localhost:{port}"}):
            status, _, text = _post(host, port, _call(4, "add", {"a": 1, "b": 2}), headers, session)
            assert status == 200 and _message(text)["result"]["structuredContent"] == {"result": 3}, headers


async def _official_client(transport: str, folder: Path, url: str | None, work: Any) -> Any:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client
    from mcp.client.streamable_http import streamable_http_client

    if transport == "stdio":
        parameters = StdioServerParameters(
            command=sys.executable, args=[*TOOLFOUNDRY[1:], str(folder)], env={**os.environ}
        )
        opened = stdio_client(parameters)
    else:
        opened = streamable_http_client(url)
    async with opened as streams, ClientSession(streams[0], streams[1]) as session:
        await session.initialize()
        return await work(session)


@pytest.fixture
def sandboxed_url(tools) -> Iterator[str]:
    with serving_http(tools, "127.0.0.1") as (port, _):
        yield f"http://127.0.0.1:{port}/mcp"


@requires_sandbox
@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_a_result_json_cannot_carry_is_that_calls_error_and_the_session_goes_on(transport, tools, request) -> None:
    url = request.getfixturevalue("sandboxed_url") if transport == "http" else None

    async def work(session):
        return [
            await session.call_tool("lone", {}),
            await session.call_tool("listing", {}),
            await session.call_tool("add", {"a": 2, "b": 3}),
        ]

    lone, listing, after = asyncio.run(asyncio.wait_for(_official_client(transport, tools, url, work), 120))
    assert lone.is_error and "lone returned text that is not valid Unicode at the result" in lone.content[0].text
    assert listing.is_error and "not valid Unicode at the result[0]" in listing.content[0].text
    assert not after.is_error and after.structured_content == {"result": 5}


@requires_sandbox
def test_a_sandboxed_int_parameter_receives_an_int_for_a_whole_float(tools) -> None:
    async def work(session):
        return [
            await session.call_tool("kind", arguments)
            for arguments in ({"n": 1.0, "ns": [2.0, 3]}, {"n": 1.5, "ns": []})
        ]

    whole, fraction = asyncio.run(asyncio.wait_for(_official_client("stdio", tools, None, work), 120))
    assert not whole.is_error and whole.structured_content == {"result": ["int", "int", "int"]}
    assert fraction.is_error and "n: 1.5 is not of type 'integer'" in fraction.content[0].text
