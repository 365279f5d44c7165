"""The way out for a served tool: an allowlisting HTTP proxy in the server process, one per call.

The sandbox has no network of its own. The proxy listens on a Unix socket in the sandbox's folder; the harness
relays 127.0.0.1:<port> inside to it, and HTTP_PROXY/HTTPS_PROXY point there, so urllib, requests and httpx
work unchanged. HTTPS goes through CONNECT (the tunnel carries TLS end to end: the proxy sees only the host and
port), plain HTTP is forwarded. Names are resolved here, by the server, never inside. Only declared host:port
pairs are let through; `*:port` lets through any public host on that port, never a loopback, private or
link-local address (so a wildcard cannot reach the machine's own services or its network's).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import threading
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from .network import pump, split_host_port

_HEAD_BYTES = 64 * 1024  # a request head longer than this is refused
_CONNECT_SECONDS = 10.0
# Hop-by-hop headers a forwarding proxy must not pass on; the upstream connection closes after one response.
_HOP_BY_HOP = {b"connection", b"proxy-connection", b"keep-alive", b"proxy-authorization", b"te", b"upgrade"}


def _answer(client: socket.socket, status: str, text: str) -> None:
    body = (text + "\n").encode()
    head = f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    with contextlib.suppress(OSError):
        client.sendall(head.encode() + body)


class AllowlistProxy:
    """Listens on `socket_path` until closed; lets through only the `declared` host:port pairs."""

    def __init__(self, declared: Sequence[str], socket_path: Path) -> None:
        self.allowed = [(host.lower(), port) for host, port in map(split_host_port, declared)]
        self.refused: list[str] = []  # host:port pairs a call asked for and did not get, for its error message
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(socket_path))
        os.chmod(socket_path, 0o777)  # the sandbox's user must be able to connect
        self._listener.listen(64)
        threading.Thread(target=self._accept, name="toolfoundry-proxy", daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self._listener.accept()
                self._keep(client)
                threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _keep(self, item: socket.socket) -> None:
        with self._lock:
            self._sockets.append(item)

    def _serve(self, client: socket.socket) -> None:
        head = b""
        with contextlib.suppress(OSError):
            client.settimeout(_CONNECT_SECONDS)
            while b"\r\n\r\n" not in head and len(head) < _HEAD_BYTES:
                chunk = client.recv(65536)
                if not chunk:
                    return
                head += chunk
            client.settimeout(None)
        head, separator, rest = head.partition(b"\r\n\r\n")
        request_line, _, header_block = head.partition(b"\r\n")
        parts = request_line.decode("latin-1").split(" ")
        if not separator or len(parts) != 3:
            return _answer(client, "400 Bad Request", "not an HTTP proxy request")
        method, target, version = parts
        try:
            if method == "CONNECT":
                host, port, path = *split_host_port(target), ""
            else:
                url = urlsplit(target)
                if url.scheme != "http" or not url.hostname:
                    return _answer(client, "400 Bad Request", "a proxy request names an http:// URL")
                host, port = url.hostname, url.port or 80
                path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        except ValueError:
            return _answer(client, "400 Bad Request", f"{target!r} names no host and port")
        try:
            upstream = self._connect(host.lower(), port)
        except OSError as error:
            return _answer(client, "502 Bad Gateway", f"{host}:{port} could not be reached: {error.strerror or error}")
        if upstream is None:
            with self._lock:
                self.refused.append(f"{host}:{port}")
            return _answer(client, "403 Forbidden", f"{host}:{port} is not in this tool's permissions.network")
        self._keep(upstream)
        with contextlib.suppress(OSError):
            if method == "CONNECT":
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                upstream.sendall(rest)
            else:
                headers = [line for line in header_block.split(b"\r\n") if line]
                kept = [line for line in headers if line.split(b":", 1)[0].strip().lower() not in _HOP_BY_HOP]
                first = f"{method} {path} {version}".encode("latin-1")
                upstream.sendall(b"\r\n".join([first, *kept, b"Connection: close", b"", rest]))
        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
        pump(client, upstream)

    def _connect(self, host: str, port: int) -> socket.socket | None:
        """A connection to an allowed host:port, resolved here; None when it is not allowed."""
        exact = (host, port) in self.allowed
        if not exact and ("*", port) not in self.allowed:
            return None
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        for family, kind, protocol, _, address in addresses:
            # A wildcard reaches public hosts only; the address checked is the address connected to, so a name
            # that resolves differently a moment later (DNS rebinding) gains nothing.
            if exact or ipaddress.ip_address(address[0].split("%")[0]).is_global:
                connection = socket.socket(family, kind, protocol)
                connection.settimeout(_CONNECT_SECONDS)
                try:
                    connection.connect(address)
                except OSError:
                    connection.close()
                    raise
                connection.settimeout(None)
                return connection
        return None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for item in sockets:
            with contextlib.suppress(OSError):
                item.close()
