"""`toolfoundry serve` with the official MCP client, over stdio and streamable HTTP: every call in a sandbox
of its own, with only what its tool declares."""

from __future__ import annotations

import asyncio
import http.server
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import requires_sandbox, web_server
from tests.serve.tools import tool_folder, write_tool

pytestmark = requires_sandbox
TOOLFOUNDRY = [sys.executable, "-m", "toolfoundry"]
SECRET = "sk-test-served-tools-never-see-this-1234"
TRANSPORTS = ["stdio", "http"]


def _web_server(tls: ssl.SSLContext | None = None) -> http.server.ThreadingHTTPServer:
    return web_server(lambda request: b"hello from " + request.path.encode(), tls)


@pytest.fixture(scope="module")
def web() -> Iterator[int]:
    """Two loopback web servers: the first is declared by `fetch`, the second is not."""
    declared, undeclared = _web_server(), _web_server()
    yield declared.server_address[1], undeclared.server_address[1]
    declared.shutdown()
    undeclared.shutdown()


@pytest.fixture(scope="module")
def place(tmp_path_factory, web) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("serve")
    files = root / "files"
    files.mkdir()
    (files / "note.txt").write_text("the note")
    return {"tools": tool_folder(root / "tools", web[0], files), "files": files, "root": root}


def _environment() -> dict[str, str]:
    return {**os.environ, "OPENAI_API_KEY": SECRET, "TOOLFOUNDRY_SANDBOX_SPARES": "4"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def http_url(place) -> Iterator[str]:
    port = _free_port()
    command = [*TOOLFOUNDRY, "serve", str(place["tools"]), "--http", "--port", str(port), "--timeout", "2"]
    server = subprocess.Popen(command, env=_environment(), stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}/mcp"
    server.terminate()
    server.wait(10)


async def _session_calls(transport: str, folder: Path, url: str | None, work) -> Any:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client
    from mcp.client.streamable_http import streamable_http_client

    if transport == "stdio":
        arguments = ["-m", "toolfoundry", "serve", str(folder), "--timeout", "2"]
        opened = stdio_client(StdioServerParameters(command=sys.executable, args=arguments, env=_environment()))
    else:
        opened = streamable_http_client(url)
    async with opened as streams, ClientSession(streams[0], streams[1]) as session:
        await session.initialize()
        return await work(session)


def run(transport: str, place, http_url_factory, work) -> Any:
    url = http_url_factory() if transport == "http" else None
    return asyncio.run(asyncio.wait_for(_session_calls(transport, place["tools"], url, work), 120))


@pytest.fixture
def http_url_factory(request):
    return lambda: request.getfixturevalue("http_url")


def call(name: str, arguments: dict[str, Any] | None = None):
    async def work(session):
        return await session.call_tool(name, arguments or {})

    return work


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_tools_are_listed_with_titles_output_schemas_and_annotations_from_their_permissions(
    transport, place, http_url_factory
) -> None:
    async def work(session):
        return {tool.name: tool for tool in (await session.list_tools()).tools}

    tools = run(transport, place, http_url_factory, work)
    assert tools["read_note"].title == "Read note" and tools["add"].annotations.idempotent_hint is True
    assert tools["add"].output_schema["properties"]["result"] == {"type": "integer"}
    hints = {name: tools[name].annotations for name in ("add", "write_note", "fetch")}
    assert (hints["add"].read_only_hint, hints["add"].destructive_hint, hints["add"].open_world_hint) == (
        True,
        False,
        False,
    )
    assert (hints["write_note"].read_only_hint, hints["write_note"].destructive_hint) == (False, True)
    assert hints["fetch"].open_world_hint is True


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_tool_reaches_its_declared_loopback_host_and_not_an_undeclared_one(
    transport, place, http_url_factory, web
) -> None:
    async def work(session):
        declared = await session.call_tool("fetch", {"url": f"http://127.0.0.1:{web[0]}/x"})
        undeclared = await session.call_tool("fetch", {"url": f"http://127.0.0.1:{web[1]}/x"})
        return declared, undeclared

    declared, undeclared = run(transport, place, http_url_factory, work)
    assert not declared.is_error and declared.structured_content == {"result": "hello from /x"}
    assert undeclared.is_error
    assert f"refused 127.0.0.1:{web[1]}: not in the tool's permissions.network" in undeclared.content[0].text


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_read_tool_cannot_write_its_path_and_a_write_tool_cannot_write_outside_it(
    transport, place, http_url_factory
) -> None:
    files, outside = place["files"], place["root"] / f"outside-{transport}.txt"
    # A link inside the tool's folder to a host file outside it: binds are mounts, so the link leads nowhere.
    target, link = place["root"] / f"target-{transport}.txt", files / f"link-{transport}"
    target.write_text("original")
    link.symlink_to(target)

    async def work(session):
        return [
            await session.call_tool("read_note", {"name": "note.txt"}),
            await session.call_tool("read_note", {"name": "note.txt", "write": True}),
            await session.call_tool("write_note", {"path": str(files / f"{transport}.txt"), "text": "kept"}),
            await session.call_tool("write_note", {"path": str(outside), "text": "lost"}),
            await session.call_tool("write_note", {"path": str(link), "text": "through the link"}),
        ]

    read, forbidden_write, inside, elsewhere, through_link = run(transport, place, http_url_factory, work)
    assert read.structured_content == {"result": "the note"}
    assert forbidden_write.is_error and (files / "note.txt").read_text() == "the note"
    assert not inside.is_error and (files / f"{transport}.txt").read_text() == "kept"
    # The write went to the sandbox's own empty file system (or failed): never to the host.
    assert not outside.exists()
    assert elsewhere.is_error or elsewhere.structured_content == {"result": str(outside)}
    # Either the write fails or it lands in the sandbox's own /tmp, where the link's target path now leads.
    assert target.read_text() == "original", through_link


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_call_that_loops_forever_is_stopped_while_the_server_answers_others(
    transport, place, http_url_factory
) -> None:
    async def work(session):
        spinning = asyncio.create_task(session.call_tool("spin", {}))
        await asyncio.sleep(0.2)
        quick = await session.call_tool("add", {"a": 2, "b": 3})
        # Answered while the endless call still held its sandbox: calls do not wait for one another.
        still_spinning = not spinning.done()
        return quick, still_spinning, await spinning

    quick, still_spinning, spun = run(transport, place, http_url_factory, work)
    assert quick.structured_content == {"result": 5} and still_spinning
    assert spun.is_error and "ran past its time limit and was stopped" in spun.content[0].text


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_fifty_concurrent_calls_are_all_answered(transport, place, http_url_factory) -> None:
    async def work(session):
        return await asyncio.gather(*[session.call_tool("add", {"a": index, "b": 1000}) for index in range(50)])

    results = run(transport, place, http_url_factory, work)
    assert [result.structured_content for result in results] == [{"result": index + 1000} for index in range(50)]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_api_key_in_the_servers_environment_is_invisible_to_the_tool(transport, place, http_url_factory) -> None:
    result = run(transport, place, http_url_factory, call("secrets_seen"))
    assert not result.is_error and result.structured_content["result"]  # it saw its own environment
    assert SECRET not in str(result.structured_content) and SECRET not in result.content[0].text


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_declared_exception_keeps_its_message_and_any_other_names_only_its_class(
    transport, place, http_url_factory
) -> None:
    async def work(session):
        return (
            await session.call_tool("clamp", {"value": 1, "low": 5, "high": 2}),
            await session.call_tool("clamp", {"value": 13, "low": 0, "high": 20}),
            await session.call_tool("clamp", {"value": "x", "low": 0, "high": 20}),
        )

    declared, undeclared, bad_arguments = run(transport, place, http_url_factory, work)
    assert declared.is_error and declared.content[0].text == "ValueError: low 5 is above high 2"
    assert undeclared.is_error and undeclared.content[0].text == "clamp failed with KeyError"
    assert bad_arguments.is_error and "invalid arguments for clamp: value: 'x' is not of type 'integer'" in (
        bad_arguments.content[0].text
    )


def test_a_module_edited_after_generation_is_still_confined(tmp_path, web) -> None:
    folder, target = tmp_path / "tools", tmp_path / "escaped.txt"
    folder.mkdir()
    path = write_tool(
        folder,
        {
            "name": "double",
            "description": "Twice n.",
            "output_type": "int",
            "input_params": [{"name": "n", "type": "int"}],
        },
        "def double(n: int) -> int:\n    return 2 * n\n",
    )
    # Someone (or something) rewrites the tool to write a host file and call an undeclared host.
    edited = path.read_text().replace(
        "    return 2 * n\n",
        "    import urllib.request\n"
        f"    open({str(target)!r}, 'w').write('escaped')\n"
        f"    urllib.request.urlopen('http://127.0.0.1:{web[0]}/', timeout=2)\n"
        "    return 2 * n\n",
    )
    path.write_text(edited)
    result = run("stdio", {"tools": folder}, None, call("double", {"n": 2}))
    assert result.is_error and "double failed with" in result.content[0].text
    assert not target.exists()


def _stdio_calls(folder: Path, options: list[str], calls: list[tuple[str, dict]]) -> list[Any]:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    async def session_run():
        arguments = ["-m", "toolfoundry", "serve", str(folder), *options]
        parameters = StdioServerParameters(command=sys.executable, args=arguments, env=_environment())
        async with stdio_client(parameters) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            return [await session.call_tool(name, arguments) for name, arguments in calls]

    return asyncio.run(asyncio.wait_for(session_run(), 120))


def test_a_result_larger_than_the_output_limit_is_an_error_that_says_so(tmp_path) -> None:
    spec = {
        "name": "big",
        "description": "A long text.",
        "output_type": "str",
        "input_params": [{"name": "n", "type": "int"}],
    }
    write_tool(tmp_path, spec, "def big(n: int) -> str:\n    return 'x' * n\n")
    small, large = _stdio_calls(tmp_path, ["--output-kb", "64"], [("big", {"n": 10}), ("big", {"n": 200_000})])
    assert small.structured_content == {"result": "x" * 10}
    assert large.is_error and "did not fit the output limit of 64 KiB" in large.content[0].text


def test_a_memory_bomb_fails_at_the_calls_limit_and_the_next_call_is_answered(tmp_path) -> None:
    spec = {"name": "hog", "description": "Take memory.", "output_type": "int"}
    spec["input_params"] = [{"name": "mb", "type": "int"}]
    write_tool(tmp_path, spec, "def hog(mb: int) -> int:\n    return len(bytearray(mb * 1024 * 1024))\n")
    bomb, small = _stdio_calls(tmp_path, ["--memory-mb", "256"], [("hog", {"mb": 4096}), ("hog", {"mb": 1})])
    assert bomb.is_error and bomb.content[0].text == "hog failed with MemoryError"
    assert small.structured_content == {"result": 1024 * 1024}


def test_the_unsandboxed_opt_out_calls_in_the_servers_process(tmp_path) -> None:
    spec = {"name": "where", "description": "The process id.", "output_type": "int"}
    write_tool(tmp_path, spec, "import os\n\n\ndef where() -> int:\n    return os.getpid()\n")
    (sandboxed,) = _stdio_calls(tmp_path, [], [("where", {})])
    (in_process,) = _stdio_calls(tmp_path, ["--unsandboxed"], [("where", {})])
    # Inside its own PID namespace a tool is a low pid; in the server's process it is the server's pid.
    assert sandboxed.structured_content["result"] < 10 < in_process.structured_content["result"]


def test_https_goes_through_the_proxy_with_connect_and_tls_end_to_end(tmp_path) -> None:
    import trustme

    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(context)
    server = _web_server(context)
    port = server.server_address[1]
    spec = {
        "name": "fetch_tls",
        "description": "The body at an https URL, trusting the given CA.",
        "output_type": "str",
        "permissions": {"network": [f"localhost:{port}"]},
        "input_params": [{"name": "url", "type": "str"}, {"name": "ca", "type": "str"}],
    }
    code = (
        "import ssl\nimport urllib.request\n\n\ndef fetch_tls(url: str, ca: str) -> str:\n"
        "    context = ssl.create_default_context(cadata=ca)\n"
        "    with urllib.request.urlopen(url, timeout=5, context=context) as response:\n"
        "        return response.read().decode()\n"
    )
    write_tool(tmp_path, spec, code)
    ca = authority.cert_pem.bytes().decode()
    (result,) = _stdio_calls(tmp_path, [], [("fetch_tls", {"url": f"https://localhost:{port}/secure", "ca": ca})])
    server.shutdown()
    # The certificate was checked inside the sandbox for "localhost": the proxy carried TLS, it did not end it.
    assert not result.is_error, result.content[0].text
    assert result.structured_content == {"result": "hello from /secure"}
