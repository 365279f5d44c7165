"""Declared network access for sandboxed code: `permissions.network: [127.0.0.1:8080]` and nothing else.

The sandbox has a network namespace of its own (only its own loopback). For each declared loopback host:port,
the parent listens on a Unix socket that is bound into the sandbox; the harness listens on that host:port
inside and relays each connection through it; the parent connects to the real host:port. Nothing else is
reachable. Hosts that are not loopback addresses cannot be reached from the sandbox at all.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import threading
from pathlib import Path

LOOPBACK_NAMES = {"localhost"}


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host.strip("[]"), int(port)


def pump(source: socket.socket, target: socket.socket) -> None:
    """Copy one direction of a connection until it ends, then end the other side's writing."""
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            target.sendall(chunk)
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)


class PortForwards:
    """Parent side: one Unix-socket listener per declared loopback host:port, for the length of one run."""

    def __init__(self, declared: list[str], folder: Path) -> None:
        self.forwards: list[dict[str, object]] = []  # handed to the harness: host, port, socket path inside
        self.unreachable = [value for value in declared if not is_loopback(split_host_port(value)[0])]
        self._listeners: list[socket.socket] = []
        self._connections: list[socket.socket] = []
        for index, value in enumerate(value for value in declared if is_loopback(split_host_port(value)[0])):
            host, port = split_host_port(value)
            path = folder / f"net{index}.sock"
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(str(path))
            os.chmod(path, 0o777)  # the sandbox's uid must be able to connect
            listener.listen(16)
            self._listeners.append(listener)
            inside_host = "127.0.0.1" if host == "localhost" else host
            self.forwards.append({"host": inside_host, "port": port, "socket": f"/sandbox/{path.name}"})
            threading.Thread(target=self._accept, args=(listener, host, port), daemon=True).start()

    def _accept(self, listener: socket.socket, host: str, port: int) -> None:
        with contextlib.suppress(OSError):
            while True:
                inside, _ = listener.accept()
                try:
                    outside = socket.create_connection((host, port), timeout=10)
                except OSError:
                    inside.close()
                    continue
                self._connections += [inside, outside]
                threading.Thread(target=pump, args=(inside, outside), daemon=True).start()
                threading.Thread(target=pump, args=(outside, inside), daemon=True).start()

    def close(self) -> None:
        for item in self._listeners + self._connections:
            with contextlib.suppress(OSError):
                item.close()
