"""The allowlisting proxy on its own (no sandbox): CONNECT and forwarding for declared pairs, 403 for others,
a wildcard that never reaches loopback or an address that carries one, every connection answered and closed
(refused, malformed or failed), and a socket no other user can connect to."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from tests.helpers import web_server
from toolfoundry.sandbox.proxy import AllowlistProxy


@pytest.fixture
def web():
    server = web_server(lambda request: f"{request.path} {request.headers.get('Connection')}".encode())
    yield server.server_address[1]
    server.shutdown()


class _UnixConnection(http.client.HTTPConnection):
    """http.client to the proxy's Unix socket, as the harness's relay would carry it."""

    def __init__(self, path: Path) -> None:
        super().__init__("proxy", timeout=5)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(str(self.path))
        if self._tunnel_host:
            self._tunnel()  # what HTTPConnection.connect does after its own connection: CONNECT, then on


def _proxy(tmp_path, declared: list[str]) -> tuple[AllowlistProxy, Path]:
    path = tmp_path / "proxy.sock"
    return AllowlistProxy(declared, path), path


def test_plain_http_is_forwarded_to_a_declared_host_in_origin_form(tmp_path, web) -> None:
    proxy, path = _proxy(tmp_path, [f"127.0.0.1:{web}"])
    connection = _UnixConnection(path)
    connection.request("GET", f"http://127.0.0.1:{web}/a?b=1", headers={"Proxy-Connection": "keep-alive"})
    response = connection.getresponse()
    assert response.status == 200 and response.read() == b"/a?b=1 close"
    proxy.close()


def test_connect_tunnels_to_a_declared_host(tmp_path, web) -> None:
    proxy, path = _proxy(tmp_path, [f"localhost:{web}"])
    connection = _UnixConnection(path)
    connection.set_tunnel("localhost", web)
    connection.request("GET", "/tunnelled")
    assert connection.getresponse().read().startswith(b"/tunnelled")
    proxy.close()


def test_an_undeclared_port_or_host_is_refused_and_remembered(tmp_path, web) -> None:
    proxy, path = _proxy(tmp_path, [f"127.0.0.1:{web + 1}"])
    connection = _UnixConnection(path)
    connection.request("GET", f"http://127.0.0.1:{web}/")
    response = connection.getresponse()
    assert response.status == 403 and b"not in this tool's permissions.network" in response.read()
    assert proxy.refused == [f"127.0.0.1:{web}"]
    proxy.close()


def test_a_wildcard_never_reaches_loopback_or_private_addresses(tmp_path, web) -> None:
    proxy, path = _proxy(tmp_path, [f"*:{web}"])
    for host in ("127.0.0.1", "localhost", "10.0.0.1"):
        connection = _UnixConnection(path)
        connection.request("GET", f"http://{host}:{web}/")
        assert connection.getresponse().status == 403, host
    proxy.close()


def test_what_is_not_a_proxy_request_gets_400(tmp_path) -> None:
    proxy, path = _proxy(tmp_path, ["*:80"])
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.connect(str(path))
        client.sendall(b"GET /relative HTTP/1.1\r\nHost: x\r\n\r\n")
        assert client.recv(100).startswith(b"HTTP/1.1 400")
    proxy.close()


def _exchange(path: Path, request: bytes) -> bytes:
    """Everything the proxy sends for `request` until it ends the connection; the client never closes first
    (as the relay inside the sandbox does not), so a connection the proxy leaves open is a timeout here."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(5)
        client.connect(str(path))
        client.sendall(request)
        received = b""
        while chunk := client.recv(65536):
            received += chunk
        return received


@pytest.fixture
def failures(monkeypatch):
    """Exceptions that escaped a thread (each would print a traceback on the server's stderr)."""
    escaped: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda arguments: escaped.append(arguments.exc_value))
    return escaped


def test_every_refused_request_is_answered_and_closed_and_an_allowed_one_still_works(tmp_path, web) -> None:
    proxy, path = _proxy(tmp_path, [f"127.0.0.1:{web}"])
    for _ in range(30):
        received = _exchange(path, b"GET http://127.0.0.1:1/ HTTP/1.1\r\nHost: x\r\n\r\n")
        assert received.startswith(b"HTTP/1.1 403") and received.endswith(b"permissions.network\n")
    received = _exchange(path, f"GET http://127.0.0.1:{web}/after HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert received.startswith(b"HTTP/1.0 200") and received.endswith(b"/after close")
    assert proxy.refused == ["127.0.0.1:1"] * 30
    proxy.close()


FULLWIDTH = "\uff11\uff12\uff17.\uff10.\uff10.\uff11"  # 127.0.0.1 in fullwidth digits, which IDNA maps to it


@pytest.mark.parametrize(
    "request_line",
    [
        f"CONNECT {FULLWIDTH}:{{port}} HTTP/1.1",  # sent as UTF-8, as a red team did
        f"GET http://{FULLWIDTH}:{{port}}/ HTTP/1.1",
        "CONNECT a..b:{port} HTTP/1.1",  # an empty label
        "CONNECT " + "x" * 64 + ".example:{port} HTTP/1.1",  # a label too long for IDNA
        "GET http://a..b:{port}/ HTTP/1.1",
        "CONNECT a\x00b:{port} HTTP/1.1",
        "CONNECT 127.0.0.1:99999 HTTP/1.1",  # no such port
    ],
)
def test_a_host_the_resolver_cannot_take_gets_400_and_at_most_one_line(
    tmp_path, web, failures, caplog, request_line: str
) -> None:
    proxy, path = _proxy(tmp_path, [f"*:{web}", "*:99999"])
    received = _exchange(path, request_line.format(port=web).encode() + b"\r\nHost: x\r\n\r\n")
    assert received.startswith(b"HTTP/1.1 400 Bad Request"), received
    proxy.close()
    assert failures == []
    lines = [record for record in caplog.records if record.name.startswith("toolfoundry")]
    assert len(lines) <= 1 and all(record.exc_info is None for record in lines)


def test_an_unforeseen_error_in_a_handler_is_answered_and_logged_in_one_line(
    tmp_path, web, failures, caplog, monkeypatch
) -> None:
    def broken(self, host: str, port: int) -> None:
        raise RuntimeError("unforeseen")

    monkeypatch.setattr(AllowlistProxy, "_connect", broken)
    proxy, path = _proxy(tmp_path, [f"127.0.0.1:{web}"])
    received = _exchange(path, f"GET http://127.0.0.1:{web}/ HTTP/1.1\r\n\r\n".encode())
    assert received.startswith(b"HTTP/1.1 500")
    proxy.close()
    assert failures == []
    (line,) = [record for record in caplog.records if record.name.startswith("toolfoundry")]
    assert line.exc_info is None and "RuntimeError: unforeseen" in line.getMessage()


@pytest.mark.parametrize("address", ["::ffff:0:7f00:1", "64:ff9b::7f00:1", "2002:7f00:1::1", "fec0::1"])
def test_a_wildcard_never_reaches_an_address_that_carries_a_private_one(
    tmp_path, web, monkeypatch, failures, address: str
) -> None:
    # The name resolves to `address` (unpatched, to loopback: never a query off the machine); pytest-socket
    # refuses any connection beyond loopback, so a failure here sends nothing off the machine either.
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, web, 0, 0))]
    )
    proxy, path = _proxy(tmp_path, [f"*:{web}"])
    received = _exchange(path, f"CONNECT localhost:{web} HTTP/1.1\r\n\r\n".encode())
    assert received.startswith(b"HTTP/1.1 403") and proxy.refused == [f"localhost:{web}"]
    proxy.close()
    assert failures == []


PYTHON = "/usr/bin/python3"  # one that another user may run (the test's own may sit in root's home)


def _connects_as_another_user(path: Path) -> bool:
    """Whether a process of another uid can connect to the Unix socket at `path` (run as root only)."""
    child = "import socket, sys\n"
    child += "try:\n    socket.socket(socket.AF_UNIX).connect(sys.argv[1])\nexcept OSError:\n    sys.exit(1)"
    done = subprocess.run(
        [PYTHON, "-I", "-S", "-c", child, str(path)], user=65533, group=65533, check=False, timeout=30
    )
    return done.returncode == 0


def test_the_proxy_socket_is_the_servers_uids_alone() -> None:
    # A folder any user may pass through, as the sandbox's own folder is: only the socket's mode keeps them out.
    folder = Path(tempfile.mkdtemp())
    try:
        os.chmod(folder, 0o755)
        proxy = AllowlistProxy(["*:443"], folder / "proxy.sock")
        assert stat.S_IMODE(os.stat(folder / "proxy.sock").st_mode) == 0o600
        if os.geteuid() == 0 and os.path.exists(PYTHON):
            assert not _connects_as_another_user(folder / "proxy.sock")
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as control:  # the probe itself works
                control.bind(str(folder / "open.sock"))
                os.chmod(folder / "open.sock", 0o777)
                control.listen(1)
                assert _connects_as_another_user(folder / "open.sock")
        proxy.close()
    finally:
        shutil.rmtree(folder)
