"""One run: a job (the candidate's code and its examples) into a started sandbox, results out, limits enforced
by the parent (the wall clock), the sandbox retired.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import site
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import SandboxUnavailable
from .boundary import SandboxLimits, sandbox_problem
from .process import Started, start_sandbox
from .protocol import Call, Job, Record
from .spares import SPARES


@dataclass(frozen=True)
class SandboxRun:
    """What came back from one run: result lines, and how the run ended."""

    results: list[Record]
    exit_code: int | None
    timed_out: bool
    stderr: str
    seconds: float
    process_limit: str  # how the process limit was enforced: "cgroup", "rlimit" or "none"


def _rlimits(limits: SandboxLimits) -> dict[str, int]:
    return {
        "RLIMIT_AS": limits.memory_bytes,
        "RLIMIT_CPU": limits.cpu_seconds,
        "RLIMIT_NOFILE": limits.open_files,
        "RLIMIT_FSIZE": limits.file_bytes,
        "RLIMIT_NPROC": limits.processes,
        "RLIMIT_CORE": 0,
    }


def _read_capped(path: Path, limit: int) -> str:
    with path.open("rb") as handle:
        return handle.read(limit).decode("utf-8", errors="replace")


def run_in_sandbox(
    code: str,
    function: str,
    examples: list[Call],
    limits: SandboxLimits | None = None,
    unsandboxed: bool = False,
    network: tuple[str, ...] = (),
    probes: list[Call] | None = None,
    returns: list[Any] | None = None,
) -> SandboxRun:
    """Run `function` from `code` on each example inside bubblewrap, then on each probe (called twice, its
    result checked against `returns`, a type tree). `unsandboxed` is the explicit opt-out."""
    limits = limits or SandboxLimits()
    if not unsandboxed and (problem := sandbox_problem()):
        raise SandboxUnavailable(problem)
    # A spare serves only the common case; declared network needs sockets bound in at the start.
    started = None if (network or unsandboxed) else SPARES.take(limits)
    if started is None:
        started = start_sandbox(limits, network, unsandboxed)
    job: Job = {
        "code": code,
        "function": function,
        "examples": examples,
        "probes": probes or [],
        "returns": returns or ["any"],
        "forwards": started.forwards.forwards if started.forwards else [],
    }
    return run_job(started, job, limits, unsandboxed)


def run_job(started: Started, job: Job, limits: SandboxLimits, unsandboxed: bool = False) -> SandboxRun:
    """Hand `job` (code, function, examples, ...) to a started sandbox, wait for it under the wall clock, read
    the results behind a fresh nonce, and retire the sandbox."""
    nonce = secrets.token_hex(16)
    job = job | Job(
        nonce=nonce,
        probe_seconds=limits.probe_seconds,
        limits=_rlimits(limits),
        example_timeout=limits.example_seconds,
        workdir=started.workdir,
        sys_path=site.getsitepackages(),
    )
    process = started.process
    timed_out = False

    # The wall-clock limit is a timer that kills the process group, and the wait blocks in waitpid:
    # Popen.wait(timeout=...) polls with sleeps that grow to 50 ms, which made the parent notice a 30 ms run
    # after 60 ms.
    def kill_at_the_limit() -> None:
        nonlocal timed_out
        if process.returncode is not None:
            return  # it ended just as the timer fired
        timed_out = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    begun = time.monotonic()
    watchdog = threading.Timer(limits.wall_seconds, kill_at_the_limit)
    watchdog.start()
    try:
        with contextlib.suppress(BrokenPipeError):  # a child killed early stops reading
            assert process.stdin is not None
            process.stdin.write(json.dumps(job).encode())
            process.stdin.close()
        process.wait()
        seconds = time.monotonic() - begun
        output = _read_capped(started.stdout_path, limits.output_bytes)
        errors = _read_capped(started.stderr_path, limits.output_bytes)
    finally:
        watchdog.cancel()
        SPARES.retire(started)
    exit_code = process.returncode
    if not unsandboxed and exit_code is not None and exit_code > 128:
        exit_code = -(exit_code - 128)  # bwrap reports a child killed by signal N as 128 + N
    results = []
    for line in output.splitlines():
        if line.startswith(nonce):
            with contextlib.suppress(json.JSONDecodeError):
                results.append(json.loads(line[len(nonce) :]))
    return SandboxRun(results, exit_code, timed_out, errors, seconds, started.process_limit)


def describe_limits(limits: SandboxLimits, unsandboxed: bool = False) -> dict[str, Any]:
    return {"kind": "none (unsafe opt-out)" if unsandboxed else "bubblewrap", **asdict(limits)}
