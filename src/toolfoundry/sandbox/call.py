"""One served call: a tool's function on the caller's arguments, in a fresh sandbox with the tool's declared
permissions (its directories bound in, its hosts reachable through the proxy and nothing else), the result out
through the nonce protocol."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SandboxUnavailable
from . import protocol
from .boundary import Mounts, SandboxLimits, sandbox_problem
from .network import PortForwards, is_loopback, private_folder, split_host_port
from .process import start_sandbox
from .proxy import AllowlistProxy
from .run import run_job
from .spares import SPARES

PROXY_PORT = 3128  # where HTTP_PROXY points inside; moved up when a tool declares 127.0.0.1:3128 itself


@dataclass(frozen=True)
class SandboxCall:
    """What one call gave: the harness's record (status returned with `value`, raised with `exception`,
    `message` and `mro`, or timeout), or None with `ended` saying how the sandbox ended without one."""

    record: protocol.Record | None
    ended: str
    seconds: float
    refused: tuple[str, ...]  # host:port pairs the proxy refused during the call


def _proxy_port(loopback: list[tuple[str, int]]) -> int:
    taken = {port for host, port in loopback if host in {"127.0.0.1", "localhost"}}
    return next(port for port in range(PROXY_PORT, PROXY_PORT + 100) if port not in taken)


def call_in_sandbox(
    code: str,
    function: str,
    arguments: dict[str, Any],
    limits: SandboxLimits,
    mounts: Mounts = (),
    cwd: str | None = None,
    network: tuple[str, ...] = (),
) -> SandboxCall:
    """Call `function` from `code` once on `arguments` in a sandbox of its own (a spare when one is ready)."""
    if problem := sandbox_problem():
        raise SandboxUnavailable(problem)
    started = SPARES.take(limits, mounts) or start_sandbox(limits, mounts=mounts)
    folder = Path(started.folder.name) / "sandbox"  # bound at /sandbox: sockets made now appear inside
    # Declared loopback hosts are also relayed at their own address, for code that opens sockets itself.
    loopback = [value for value in network if is_loopback(split_host_port(value)[0])]
    relays: PortForwards | None = None
    try:
        relays = PortForwards(loopback, folder) if loopback else None
        # The proxy's socket sits in a folder only the server's uid can enter: the sandbox's processes are that
        # uid seen from outside (its user namespace maps uid 65534 to it); other local users are not.
        proxy = AllowlistProxy(network, private_folder(folder, "proxy") / "proxy.sock") if network else None
    except BaseException:
        if relays is not None:
            relays.close()
        SPARES.retire(started)  # run_job, which retires it, never got it
        raise
    environ: dict[str, str] = {}
    forwards: list[protocol.Forward] = list(relays.forwards) if relays else []
    if proxy is not None:
        port = _proxy_port([split_host_port(value) for value in loopback])
        forwards.append({"host": "127.0.0.1", "port": port, "socket": "/sandbox/proxy/proxy.sock"})
        url = f"http://127.0.0.1:{port}"
        environ = {name: url for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")}
    job: protocol.Job = {
        "code": code,
        "function": function,
        "examples": [{"index": 0, "input": arguments, "files": {}, "folder": cwd}],
        "forwards": forwards,
        "environ": environ,
    }
    try:
        run = run_job(started, job, limits)
    finally:
        if proxy is not None:
            proxy.close()
        if relays is not None:
            relays.close()
    record = next((item for item in run.results if item.get("index") in (0, protocol.IMPORT_FAILED)), None)
    ended = protocol.ended(run.timed_out, run.exit_code, limits.wall_seconds, limits.output_bytes)
    return SandboxCall(record, ended, run.seconds, tuple(proxy.refused) if proxy else ())
