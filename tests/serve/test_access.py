"""Who may call `serve --http`: off loopback a bearer token is asked before any tool is listed or called (one
generated and printed once at start, or the value of `--token-env`); a missing or wrong one gets 401 and
nothing runs. Tested with the official MCP client and raw requests."""

from __future__ import annotations

import asyncio
import http.client
import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import cli
from tests.serve.tools import serving_http, unencodable_tool_folder

TOKEN = "s3cr3t-t0ken-for-tests-0123456789"
LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}


def _outside_address() -> str | None:
    """An IPv4 address of this machine that is not loopback (as `hostname -I` lists them), or None."""
    try:
        listed = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=10).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return next((address for address in listed if "." in address and not address.startswith("127.")), None)


OUTSIDE = _outside_address()


@pytest.fixture
def tools(tmp_path: Path) -> Path:
    return unencodable_tool_folder(tmp_path / "tools", tmp_path / "files")


def _post(host: str, port: int, message: dict, authorization: str | None) -> tuple[int, str, str]:
    connection = http.client.HTTPConnection(host, port, timeout=30)
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if authorization is not None:
        headers["Authorization"] = authorization
    connection.request("POST", "/mcp", json.dumps(message), headers)
    response = connection.getresponse()
    return response.status, response.getheader("WWW-Authenticate") or "", response.read().decode()


def _official_client(url: str, token: str | None) -> list[str]:
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    async def work() -> list[str]:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        async with (
            create_mcp_http_client(headers=headers) as client,
            streamable_http_client(url, http_client=client) as streams,
            ClientSession(streams[0], streams[1]) as session,
        ):
            await session.initialize()
            listed = await session.list_tools()
            answer = await session.call_tool("add", {"a": 2, "b": 3})
            assert not answer.is_error and answer.content[0].text == "5"
            return [tool.name for tool in listed.tools]

    return asyncio.run(asyncio.wait_for(work(), 60))


def _initialize(host: str, port: int, authorization: str | None) -> tuple[int, str, str]:
    message = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    return _post(host, port, message, authorization)


@pytest.mark.slow
@pytest.mark.skipif(OUTSIDE is None, reason="this machine has no address but loopback")
@pytest.mark.allow_hosts(["127.0.0.1", OUTSIDE or "127.0.0.1"])  # pytest-socket: this address too
def test_off_loopback_a_generated_token_is_printed_once_and_asked_of_every_request(tools) -> None:
    host = OUTSIDE
    with serving_http(tools, host, "--unsandboxed") as (port, printed):
        (line,) = [line for line in printed.splitlines() if "Authorization: Bearer " in line]
        token = line.split("Bearer ", 1)[1].strip()
        assert len(token) >= 32 and printed.count(token) == 1
        for authorization in (None, "Bearer wrong", f"bearer {token}x", token):
            status, challenge, body = _initialize(host, port, authorization)
            assert status == 401 and challenge.startswith("Bearer") and token not in body
        assert _post(host, port, LIST, None)[0] == 401  # nothing is listed without it
        with pytest.raises(BaseException):  # noqa: B017 - the SDK raises its own group of errors for a 401
            _official_client(f"http://{host}:{port}/mcp", None)
        assert "add" in _official_client(f"http://{host}:{port}/mcp", token)


@pytest.mark.slow
def test_on_loopback_token_env_asks_for_that_token(tools) -> None:
    with serving_http(
        tools, "127.0.0.1", "--unsandboxed", "--token-env", "TF_TEST_TOKEN", env={"TF_TEST_TOKEN": TOKEN}
    ) as (port, printed):
        assert TOKEN not in printed and "$TF_TEST_TOKEN" in printed
        assert _initialize("127.0.0.1", port, None)[0] == 401
        assert _initialize("127.0.0.1", port, f"Bearer {TOKEN}")[0] == 200
        assert "add" in _official_client(f"http://127.0.0.1:{port}/mcp", TOKEN)


@pytest.mark.parametrize(("value", "said"), [(None, "is not set"), ("short", "16 characters or more")])
def test_a_token_variable_that_is_unset_or_weak_is_refused(tools, monkeypatch, value, said) -> None:
    monkeypatch.delenv("TF_TEST_TOKEN", raising=False)
    if value is not None:
        monkeypatch.setenv("TF_TEST_TOKEN", value)
    result = cli("serve", tools, "--unsandboxed", "--http", "--token-env", "TF_TEST_TOKEN")
    assert result.exit_code == 2 and said in result.output


def test_the_middleware_lets_through_only_the_token_and_lifespan() -> None:
    from toolfoundry.serve.access import BearerToken

    reached: list[str] = []

    async def app(scope, receive, send) -> None:
        reached.append(scope["type"])

    async def run(scope: dict) -> list[dict]:
        sent: list[dict] = []

        async def send(message: dict) -> None:
            sent.append(message)

        await BearerToken(app, TOKEN)(scope, None, send)
        return sent

    def headers(value: bytes) -> list[tuple[bytes, bytes]]:
        return [(b"authorization", value)]

    assert asyncio.run(run({"type": "http", "headers": headers(b"bearer " + TOKEN.encode())})) == []
    assert asyncio.run(run({"type": "lifespan"})) == [] and reached == ["http", "lifespan"]
    for refused in ({"type": "http", "headers": headers(TOKEN.encode())}, {"type": "websocket", "headers": []}):
        (start, body) = asyncio.run(run(refused))
        assert start["status"] == 401 and TOKEN.encode() not in body["body"]
    assert reached == ["http", "lifespan"]
