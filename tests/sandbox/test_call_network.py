"""A served call's network ends with the call: no thread or descriptor of its proxy or relays outlives it, each
refused request is answered and closed (the relay inside has few descriptors), and the sockets the sandbox
reaches them through are the server's uid's alone. Only loopback is ever dialled."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from tests.helpers import requires_sandbox, until, web_server
from toolfoundry.sandbox import SPARES, SandboxLimits
from toolfoundry.sandbox.call import call_in_sandbox
from toolfoundry.sandbox.network import PortForwards
from toolfoundry.sandbox.proxy import AllowlistProxy

# A tool that asks for a refused URL `times` times (each answer a 403), then for an allowed one.
FETCH = """
import urllib.error
import urllib.request


def fetch(allowed: str, refused: str, times: int) -> list:
    codes = []
    for _ in range(times):
        try:
            urllib.request.urlopen(refused, timeout=3).close()
            codes.append(200)
        except urllib.error.HTTPError as error:
            codes.append(error.code)
            error.close()
        except OSError as error:
            codes.append(type(error).__name__)
    with urllib.request.urlopen(allowed, timeout=3) as response:
        return [codes, response.read().decode()]
"""
REFUSED = "http://127.0.0.1:1/refused"  # refused before any connection: port 1 is not declared


@pytest.fixture
def web():
    server = web_server(lambda request: f"ok {request.path}".encode())
    yield server.server_address[1]
    server.shutdown()


def _descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def _connect(path: Path, request: bytes = b"") -> socket.socket:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(5)
    client.connect(str(path))
    client.sendall(request)
    return client


def _read_until(client: socket.socket, end: bytes) -> bytes:
    received = b""
    while not received.endswith(end) and (chunk := client.recv(65536)):
        received += chunk
    return received


def _one_call_without_a_sandbox(folder: Path, web: int) -> None:
    """What a call does with its proxy and relays, and what it leaves open when it ends: a refused request, an
    allowed one, a relayed one, an idle tunnel, an idle relayed connection and a connection that sent nothing."""
    folder.mkdir()
    relays = PortForwards([f"127.0.0.1:{web}"], folder)
    proxy = AllowlistProxy([f"127.0.0.1:{web}"], folder / "proxy.sock")
    relay_path = folder / str(relays.forwards[0]["socket"]).removeprefix("/sandbox/")
    clients = []
    try:
        refused = _connect(folder / "proxy.sock", b"GET http://127.0.0.1:1/ HTTP/1.1\r\n\r\n")
        assert _read_until(refused, b"permissions.network\n").startswith(b"HTTP/1.1 403")
        allowed = _connect(folder / "proxy.sock", f"GET http://127.0.0.1:{web}/a HTTP/1.1\r\n\r\n".encode())
        assert _read_until(allowed, b"ok /a").startswith(b"HTTP/1.0 200")
        relayed = _connect(relay_path, b"GET /b HTTP/1.0\r\n\r\n")
        assert _read_until(relayed, b"ok /b").startswith(b"HTTP/1.0 200")
        tunnel = _connect(folder / "proxy.sock", f"CONNECT 127.0.0.1:{web} HTTP/1.1\r\n\r\n".encode())
        assert _read_until(tunnel, b"\r\n\r\n").startswith(b"HTTP/1.1 200")
        clients = [refused, allowed, relayed, tunnel, _connect(relay_path), _connect(folder / "proxy.sock")]
    finally:
        proxy.close()
        relays.close()
        for client in clients:
            client.close()


def test_a_hundred_proxies_and_relays_leave_no_thread_or_descriptor_behind(tmp_path, web) -> None:
    _one_call_without_a_sandbox(tmp_path / "warm", web)  # the web server's first threads, lazy imports
    threads, descriptors = threading.active_count(), _descriptors()
    for index in range(100):
        _one_call_without_a_sandbox(tmp_path / str(index), web)
    assert until(lambda: threading.active_count() <= threads), threading.enumerate()
    assert until(lambda: _descriptors() <= descriptors)


def _fetch(web: int, times: int):
    arguments = {"allowed": f"http://127.0.0.1:{web}/ok", "refused": REFUSED, "times": times}
    return call_in_sandbox(FETCH, "fetch", arguments, SandboxLimits(), network=(f"127.0.0.1:{web}",))


@requires_sandbox
def test_a_hundred_network_calls_leave_no_thread_or_descriptor_behind(web) -> None:
    assert _fetch(web, 1).record["value"] == [[403], "ok /ok"]  # the spares' thread starts with the first call
    threads, descriptors = threading.active_count(), _descriptors()
    for _ in range(100):
        call = _fetch(web, 1)
        assert call.record["value"] == [[403], "ok /ok"] and call.refused == ("127.0.0.1:1",)
    assert until(lambda: threading.active_count() <= threads), threading.enumerate()
    # Spares waiting for the next call hold a pipe each; no more than that may differ.
    assert until(lambda: _descriptors() <= descriptors + SPARES.most)


@requires_sandbox
def test_thirty_refused_requests_in_one_call_are_all_answered_and_a_later_allowed_one_works(web) -> None:
    call = _fetch(web, 30)
    assert call.record is not None and call.record.get("value") == [[403] * 30, "ok /ok"], call.record
    assert call.refused == ("127.0.0.1:1",) * 30


# A tool that reaches its host through the proxy and through the loopback relay, and says what the modes of
# their sockets and folders look like from inside.
MODES = """
import os
import socket
import urllib.request


def modes(port: int) -> list:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/proxied", timeout=5) as response:
        proxied = response.read().decode()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as direct:
        direct.sendall(b"GET /relayed HTTP/1.0\\r\\n\\r\\n")
        relayed = b""
        while chunk := direct.recv(65536):
            relayed += chunk
    paths = ["/sandbox/proxy", "/sandbox/proxy/proxy.sock", "/sandbox/net", "/sandbox/net/0.sock"]
    return [[oct(os.stat(path).st_mode & 0o777) for path in paths], proxied, relayed.decode().split("\\r\\n")[-1]]
"""


@requires_sandbox
def test_a_sandboxed_tool_reaches_its_sockets_in_folders_only_its_uid_may_enter(web) -> None:
    call = call_in_sandbox(MODES, "modes", {"port": web}, SandboxLimits(), network=(f"127.0.0.1:{web}",))
    assert call.record is not None and call.record.get("status") == "returned", call.record
    assert call.record["value"] == [["0o700", "0o600", "0o700", "0o600"], "ok /proxied", "ok /relayed"]


# A tool that opens its declared loopback host through the raw relay many more times than the sandbox has
# descriptors (64), holding none of them: the relay inside must give each connection's sockets back.
RAW = """
import socket


def raw(port: int, times: int) -> int:
    answered = 0
    for _ in range(times):
        with socket.create_connection(("127.0.0.1", port), timeout=3) as client:
            client.sendall(b"GET /raw HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n")
            answered += b"ok /raw" in b"".join(iter(lambda: client.recv(65536), b""))
    return answered
"""


@requires_sandbox
def test_the_relay_inside_gives_back_each_connections_descriptors(web) -> None:
    limits = SandboxLimits(open_files=64)
    call = call_in_sandbox(RAW, "raw", {"port": web, "times": 150}, limits, network=(f"127.0.0.1:{web}",))
    assert call.record is not None and call.record.get("value") == 150, call.record


# A tool that holds connections open until the sandbox runs out of descriptors (the relay's accept fails
# first or the tool's own socket does), lets them all go, then asks once more.
HOARD = """
import socket
import time


def hoard(port: int) -> str:
    held = []
    for _ in range(60):
        try:
            held.append(socket.create_connection(("127.0.0.1", port), timeout=1))
        except OSError:
            break
    for client in held:
        client.close()
    # The relay gives descriptors back as those connections wind down; one asked meanwhile may be dropped.
    for _ in range(20):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=3) as client:
                client.sendall(b"GET /after HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n")
                answer = b"".join(iter(lambda: client.recv(65536), b"")).decode().rsplit("\\n", 1)[-1]
            if answer:
                return answer
        except OSError:
            pass
        time.sleep(0.1)
    return "no answer: the relay stopped"
"""


@requires_sandbox
def test_the_relay_inside_outlives_running_out_of_descriptors(web) -> None:
    limits = SandboxLimits(open_files=32)
    call = call_in_sandbox(HOARD, "hoard", {"port": web}, limits, network=(f"127.0.0.1:{web}",))
    assert call.record is not None and call.record.get("value") == "ok /after", call.record
