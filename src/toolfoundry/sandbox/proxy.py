"""The way out for a served tool: an allowlisting HTTP proxy in the server process, one per call.

The sandbox has no network of its own. The proxy listens on a Unix socket in the sandbox's folder, which only
the server's uid may connect to (the sandbox's processes are that uid, seen from outside); the harness relays
127.0.0.1:<port> inside to it, and HTTP_PROXY/HTTPS_PROXY point there, so urllib, requests and httpx work
unchanged. HTTPS goes through CONNECT (the tunnel carries TLS end to end: the proxy sees only the host and
port), plain HTTP is forwarded. Names are resolved here, by the server, never inside. Only declared host:port
pairs are let through; `*:port` lets through any public host on that port (`network.is_public`), never a
loopback, private or link-local address, nor one that carries such an IPv4 address (so a wildcard cannot reach
the machine's own services or its network's).

Each connection is answered and closed on every path (the relay inside has few descriptors: one left open per
refused request used them up); its threads and sockets end with it, and all of them end with `close`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import re
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .network import Lifetime, is_public, private_listener, split_host_port

log = logging.getLogger(__name__)
_HEAD_BYTES = 64 * 1024  # a request head longer than this is refused
_CONNECT_SECONDS = 10.0
# Hop-by-hop headers a forwarding proxy must not pass on; the upstream connection closes after one response.
_HOP_BY_HOP = {b"connection", b"proxy-connection", b"keep-alive", b"proxy-authorization", b"te", b"upgrade"}
# A host as an HTTP client sends it: ASCII (an international name goes as xn-- punycode), a name or an address.
# Anything else never reaches the resolver, whose IDNA step would map it to some other name (fullwidth digits
# to 127.0.0.1) or fail.
_HOST = re.compile(r"[A-Za-z0-9._:%-]{1,253}")
_Answer = tuple[str, str]  # status and text, for a request that gets no connection


@dataclass(frozen=True)
class _Request:
    method: str
    host: str  # lower case
    port: int
    path: str  # origin form, for a forwarded request; "" for CONNECT
    version: str
    header_block: bytes
    rest: bytes  # what came after the head: the start of a body, or of the tunnel's first bytes


def _answer(client: socket.socket, status: str, text: str) -> None:
    body = (text + "\n").encode()
    head = f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    with contextlib.suppress(OSError):
        client.sendall(head.encode() + body)


def _read_request(client: socket.socket) -> _Request | _Answer:
    head = b""
    with contextlib.suppress(OSError):
        client.settimeout(_CONNECT_SECONDS)
        while b"\r\n\r\n" not in head and len(head) < _HEAD_BYTES:
            chunk = client.recv(65536)
            if not chunk:
                break
            head += chunk
        client.settimeout(None)
    head, separator, rest = head.partition(b"\r\n\r\n")
    request_line, _, header_block = head.partition(b"\r\n")
    parts = request_line.decode("latin-1").split(" ")
    if not separator or len(parts) != 3:
        return "400 Bad Request", "not an HTTP proxy request"
    method, target, version = parts
    try:
        if method == "CONNECT":
            host, port, path = *split_host_port(target), ""
        else:
            url = urlsplit(target)
            if url.scheme != "http" or not url.hostname:
                return "400 Bad Request", "a proxy request names an http:// URL"
            host, port = url.hostname, url.port or 80
            path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    except ValueError:
        return "400 Bad Request", f"{target[:300]!r} names no host and port"
    if not _HOST.fullmatch(host) or not 0 < port < 65536:
        return "400 Bad Request", f"{target[:300]!r} names no valid host and port"
    return _Request(method, host.lower(), port, path, version, header_block, rest)


class AllowlistProxy:
    """Listens on `socket_path` until closed; lets through only the `declared` host:port pairs. The socket is
    the server's uid's alone (mode 0600; put it in a `network.private_folder`, so it is never wider)."""

    def __init__(self, declared: Sequence[str], socket_path: Path) -> None:
        self.allowed = [(host.lower(), port) for host, port in map(split_host_port, declared)]
        self.refused: list[str] = []  # host:port pairs a call asked for and did not get, for its error message
        self._lock = threading.Lock()
        self._lifetime = Lifetime("toolfoundry-proxy")
        listener = private_listener(socket_path, 64)
        self._lifetime.keep(listener)
        self._lifetime.start(self._lifetime.accept, listener, self._handle)

    def _handle(self, client: socket.socket) -> None:
        """One connection, from its head to its end. Whatever happens the client is answered (unless it is
        already being relayed), the server logs at most one line, and the client's socket is closed."""
        try:
            try:
                opened = self._open(client)
            except Exception as error:  # unforeseen: an answer and a line, never a dead thread and a traceback
                log.warning("proxy: a request failed: %s: %s", type(error).__name__, error)
                opened = ("500 Internal Server Error", "the proxy could not handle this request")
            if isinstance(opened, tuple):
                _answer(client, *opened)
            else:
                self._lifetime.splice(client, opened)
        finally:
            self._lifetime.let_go(client)

    def _open(self, client: socket.socket) -> socket.socket | _Answer:
        """The upstream connection for the client's request, its head already sent on; or the answer."""
        request = _read_request(client)
        if not isinstance(request, _Request):
            return request
        host, port = request.host, request.port
        try:
            upstream = self._connect(host, port)
        except UnicodeError as error:  # the resolver's IDNA step refused the name (an empty or long label)
            log.warning("proxy: %r is not a valid host name: %s", host[:100], error)
            return "400 Bad Request", f"{host[:100]!r} is not a valid host name"
        except OSError as error:
            return "502 Bad Gateway", f"{host}:{port} could not be reached: {error.strerror or error}"
        if upstream is None:
            with self._lock:
                self.refused.append(f"{host}:{port}")
            return "403 Forbidden", f"{host}:{port} is not in this tool's permissions.network"
        with contextlib.suppress(OSError):  # a client gone already: the relay ends at once
            if request.method == "CONNECT":
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                upstream.sendall(request.rest)
            else:
                headers = [line for line in request.header_block.split(b"\r\n") if line]
                kept = [line for line in headers if line.split(b":", 1)[0].strip().lower() not in _HOP_BY_HOP]
                first = f"{request.method} {request.path} {request.version}".encode("latin-1")
                upstream.sendall(b"\r\n".join([first, *kept, b"Connection: close", b"", request.rest]))
        return upstream

    def _connect(self, host: str, port: int) -> socket.socket | None:
        """A kept connection to an allowed host:port, resolved here; None when it is not allowed."""
        exact = (host, port) in self.allowed
        if not exact and ("*", port) not in self.allowed:
            return None
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        for family, kind, protocol, _, address in addresses:
            # A wildcard reaches public hosts only; the address checked is the address connected to, so a name
            # that resolves differently a moment later (DNS rebinding) gains nothing.
            if exact or is_public(ipaddress.ip_address(address[0].split("%")[0])):
                connection = socket.socket(family, kind, protocol)
                # Kept while it connects, so that `close` wakes the connect; after `close` it is closed at once,
                # and the connect fails (OSError) as it should.
                self._lifetime.keep(connection)
                connection.settimeout(_CONNECT_SECONDS)
                try:
                    connection.connect(address)
                except OSError:
                    self._lifetime.let_go(connection)
                    raise
                connection.settimeout(None)
                return connection
        return None

    def close(self) -> None:
        self._lifetime.close()
