"""The allowlisting proxy on its own (no sandbox): CONNECT and forwarding for declared pairs, 403 for others,
and a wildcard that never reaches loopback."""

from __future__ import annotations

import http.client
import socket
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
