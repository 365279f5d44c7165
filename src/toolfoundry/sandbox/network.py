"""Declared network access for sandboxed code: `permissions.network: [127.0.0.1:8080]` and nothing else.

The sandbox has a network namespace of its own (only its own loopback). For each declared loopback host:port,
the parent listens on a Unix socket that is bound into the sandbox; the harness listens on that host:port
inside and relays each connection through it; the parent connects to the real host:port. Nothing else is
reachable. Hosts that are not loopback addresses cannot be reached from the sandbox at all.

The parent's sockets are reachable by its own uid only: the sandbox's user namespace maps its uid to ours, so
the sandbox can connect and other local users cannot. Every socket and thread of a run (these relays, the
proxy's) belongs to a `Lifetime` that ends with the run.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
LOOPBACK_NAMES = {"localhost"}
_JOIN_SECONDS = 2.0  # how long closing waits for a run's threads, all together
_IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Never public, whatever Python's `is_global` says of them (it has said yes to each, in some version): IETF
# protocol assignments (192.0.0.8 and the like), deprecated site-local IPv6 (still routed as local by some
# stacks), local-use NAT64 (its prefix length, so where the IPv4 address sits, is the operator's choice) and
# Teredo (the client's IPv4 address is obscured, the route goes through anyone's relay).
_NEVER_PUBLIC = tuple(
    ipaddress.ip_network(network) for network in ("192.0.0.0/24", "fec0::/10", "64:ff9b:1::/48", "2001::/32")
)
# IPv6 forms that carry an IPv4 address, and the shift that brings it down to the low 32 bits: the IPv4 address
# is where the connection goes (mapped, translated, compatible, NAT64, 6to4), so it must be public too.
_EMBEDDING_IPV4 = tuple(
    (ipaddress.IPv6Network(network), shift)
    for network, shift in (
        ("::ffff:0:0/96", 0),
        ("::ffff:0:0:0/96", 0),
        ("::/96", 0),
        ("64:ff9b::/96", 0),
        ("2002::/16", 80),  # 6to4: 2002:AABB:CCDD::/48 carries AA.BB.CC.DD
    )
)


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_public(address: _IPAddress) -> bool:
    """Whether a wildcard (`*:port`) may connect to `address`: a global unicast address, and for IPv6 forms that
    carry an IPv4 address, a public IPv4 address too. The one place that decides it."""
    if not address.is_global or address.is_multicast:
        return False
    if any(address.version == network.version and address in network for network in _NEVER_PUBLIC):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        for network, shift in _EMBEDDING_IPV4:
            if address in network:
                return is_public(ipaddress.IPv4Address((int(address) >> shift) & 0xFFFFFFFF))
    return True


def split_host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host.strip("[]"), int(port)


def private_folder(parent: Path, name: str) -> Path:
    """A new folder only this uid can enter, for a run's sockets: no other user can connect to a socket in it,
    even in the moment between its bind and its chmod."""
    folder = parent / name
    folder.mkdir(mode=0o700)  # narrowed by the umask, never widened; the chmod makes it exact
    os.chmod(folder, 0o700)
    return folder


def private_listener(path: Path, backlog: int) -> socket.socket:
    """A Unix socket listening at `path`, which only this uid may connect to (connecting needs write access)."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(str(path))
        os.chmod(path, 0o600)
        listener.listen(backlog)
    except BaseException:
        listener.close()
        raise
    return listener


def pump(source: socket.socket, target: socket.socket) -> None:
    """Copy one direction of a connection until it ends, then end the other side's writing."""
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            target.sendall(chunk)
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)


class Lifetime:
    """The sockets and threads of one run's relays or proxy. A connection's sockets are let go when it ends;
    `close` ends the rest: every socket shut down (which wakes a thread in accept() or recv() on it; closing
    alone does not, on Linux), the threads joined within a bound, the sockets closed."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        self._closed = False

    def keep(self, item: socket.socket) -> bool:
        """Track `item` until it is let go; once closed, `item` is closed at once and the answer is False."""
        with self._lock:
            if not self._closed:
                self._sockets.add(item)
                return True
        item.close()
        return False

    def let_go(self, *items: socket.socket) -> None:
        with self._lock:
            self._sockets.difference_update(items)
        for item in items:
            with contextlib.suppress(OSError):
                item.close()

    def start(self, target: Callable[..., object], *args: Any) -> threading.Thread | None:
        """`target(*args)` on a thread of this lifetime; None once closed."""
        thread = threading.Thread(target=self._run, args=(target, args), name=self.name, daemon=True)
        with self._lock:
            if self._closed:
                return None
            self._threads.add(thread)
            try:
                thread.start()  # under the lock, so that `close` joins every thread that was started
            except RuntimeError:  # no thread to be had: the caller drops this piece of work, the rest goes on
                self._threads.discard(thread)
                return None
        return thread

    def _run(self, target: Callable[..., object], args: tuple[Any, ...]) -> None:
        try:
            target(*args)
        except Exception as error:  # every thread's boundary: one line on the server's log, never a traceback
            log.warning("%s: a connection failed: %s: %s", self.name, type(error).__name__, error)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def accept(self, listener: socket.socket, handle: Callable[[socket.socket], object]) -> None:
        """Accept on `listener` until it is shut down; each connection is kept, and handled on a thread."""
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # shut down by `close` (or out of descriptors: the run's connections end here)
            if not self.keep(client):
                return
            if self.start(handle, client) is None:
                self.let_go(client)
                if self._closed:
                    return

    def splice(self, one: socket.socket, other: socket.socket) -> None:
        """Both directions between two kept sockets until both have ended; then both are let go."""
        back = self.start(pump, other, one)
        pump(one, other)
        if back is not None:
            back.join()  # ends with `other`'s end, or with `close`, which shuts both down
        self.let_go(one, other)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            sockets, threads = list(self._sockets), list(self._threads)
        for item in sockets:
            with contextlib.suppress(OSError):
                item.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + _JOIN_SECONDS
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            sockets, self._sockets = list(self._sockets), set()
        for item in sockets:
            with contextlib.suppress(OSError):
                item.close()


class PortForwards:
    """Parent side: one Unix-socket listener per declared loopback host:port, for the length of one run."""

    def __init__(self, declared: list[str], folder: Path) -> None:
        self.forwards: list[dict[str, object]] = []  # handed to the harness: host, port, socket path inside
        self.unreachable = [value for value in declared if not is_loopback(split_host_port(value)[0])]
        self._lifetime = Lifetime("toolfoundry-relay")
        loopback = [split_host_port(value) for value in declared if is_loopback(split_host_port(value)[0])]
        if not loopback:
            return
        try:
            sockets = private_folder(folder, "net")
            for index, (host, port) in enumerate(loopback):
                listener = private_listener(sockets / f"{index}.sock", 16)
                self._lifetime.keep(listener)
                inside_host = "127.0.0.1" if host == "localhost" else host
                self.forwards.append({"host": inside_host, "port": port, "socket": f"/sandbox/net/{index}.sock"})
                relay = functools.partial(self._relay, host=host, port=port)
                self._lifetime.start(self._lifetime.accept, listener, relay)
        except BaseException:
            self.close()
            raise

    def _relay(self, inside: socket.socket, host: str, port: int) -> None:
        try:
            outside = socket.create_connection((host, port), timeout=10)
        except OSError:
            self._lifetime.let_go(inside)
            return
        outside.settimeout(None)
        if self._lifetime.keep(outside):
            self._lifetime.splice(inside, outside)
        self._lifetime.let_go(inside)

    def close(self) -> None:
        self._lifetime.close()
