"""Running untrusted generated code under bubblewrap, with limits the parent enforces.

The boundary is the kernel: every namespace unshared (no network, own PID namespace so forked children die
with the run), capabilities dropped, a clean environment, the interpreter and its packages read-only, and a
size-limited tmpfs as the only writable place. Limits: wall clock (kill by the parent), address space, CPU
seconds, open files, file size, output size, and process count (a cgroup where the machine offers one; the
process rlimit otherwise). Generated code never runs unsandboxed unless the caller opts out by name.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import SandboxUnavailable
from .sandbox_network import PortForwards

INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: `apt-get install -y bubblewrap`)"
_PIDS_CGROUP_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))


@dataclass(frozen=True)
class SandboxLimits:
    wall_seconds: float = 20.0  # the whole run, enforced by the parent (CPU limits do not stop sleep)
    example_seconds: float = 5.0  # each example, by a timer inside; the wall clock is the backstop
    cpu_seconds: int = 10
    memory_bytes: int = 1024 * 1024 * 1024  # address space
    open_files: int = 64
    file_bytes: int = 8 * 1024 * 1024  # largest file the code may write, its output included
    output_bytes: int = 1024 * 1024  # captured stdout and stderr, each
    tmpfs_bytes: int = 32 * 1024 * 1024  # the writable job directory, and /tmp
    processes: int = 32


@dataclass(frozen=True)
class SandboxRun:
    """What came back from one run: result lines, and how the run ended."""

    results: list[dict[str, Any]]
    exit_code: int | None
    timed_out: bool
    stderr: str
    seconds: float
    process_limit: str  # how the process limit was enforced: "cgroup", "rlimit" or "none"


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


@functools.cache
def sandbox_problem() -> str | None:
    """None when bubblewrap can run a sandbox here, else what stops it (checked once per process)."""
    path = bwrap_path()
    if path is None:
        return f"bubblewrap (bwrap) is not installed; {INSTALL_HINT}"
    probe = subprocess.run(  # fixed argument list, no shell
        [
            path,
            "--unshare-all",
            "--unshare-user",
            "--die-with-parent",
            "--ro-bind",
            "/",
            "/",
            "--proc",
            "/proc",
            "true",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if probe.returncode != 0:
        reason = probe.stderr.strip() or f"exit status {probe.returncode}"
        return f"bubblewrap cannot create a sandbox on this machine: {reason} (user namespaces may be disabled)"
    return None


def _python_roots() -> list[str]:
    """Folders the interpreter needs, read-only: its installation and the virtual environment, if any."""
    roots = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix), os.path.realpath(sys.exec_prefix)}
    executable = os.path.realpath(sys.executable)
    if not any(executable.startswith(root + os.sep) for root in roots):
        roots.add(os.path.dirname(executable))
    # Nested roots need one bind only: the outer one.
    return sorted(
        root for root in roots if not any(root != other and root.startswith(other + os.sep) for other in roots)
    )


def _system_binds() -> list[str]:
    arguments: list[str] = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64"):
        path = Path("/") / name
        if path.is_symlink():
            arguments += ["--symlink", os.readlink(path), f"/{name}"]
        elif path.is_dir():
            arguments += ["--ro-bind", str(path), f"/{name}"]
    return arguments


def bwrap_command(sandbox_dir: Path, limits: SandboxLimits) -> list[str]:
    """The bwrap invocation: nothing shared, nothing writable but two small tmpfs mounts."""
    path = bwrap_path()
    if path is None:
        raise SandboxUnavailable(f"bubblewrap is not installed; {INSTALL_HINT}")
    arguments = [
        path,
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--uid",
        "65534",
        "--gid",
        "65534",
        "--hostname",
        "sandbox",
        "--clearenv",
        "--setenv",
        "PATH",
        "/usr/bin:/bin",
        "--setenv",
        "HOME",
        "/job",
        "--setenv",
        "LANG",
        "C.UTF-8",
        "--setenv",
        "PYTHONDONTWRITEBYTECODE",
        "1",
        "--setenv",
        "PYTHONHASHSEED",
        "0",
        *_system_binds(),
    ]
    for root in _python_roots():
        arguments += ["--ro-bind", root, root]
    arguments += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(limits.tmpfs_bytes),
        "--tmpfs",
        "/tmp",
        "--size",
        str(limits.tmpfs_bytes),
        "--tmpfs",
        "/job",
        "--ro-bind",
        str(sandbox_dir),
        "/sandbox",
        # bwrap's own root is an unbounded tmpfs: read-only, so /job and /tmp are the only writable places.
        "--remount-ro",
        "/",
        "--chdir",
        "/job",
        os.path.realpath(sys.executable),
        # -S: site processing (.pth files) is slow in a fresh mount namespace; the harness adds
        # site-packages to sys.path itself, which is all a tool's declared dependencies need.
        "-I",
        "-S",
        "-B",
        "/sandbox/harness.py",
    ]
    return arguments


class _ProcessCgroup:
    """A pids cgroup for one run, where the machine offers a writable one (root on cgroup v1 or v2)."""

    def __init__(self, max_processes: int) -> None:
        self.path: Path | None = None
        for root in _PIDS_CGROUP_ROOTS:
            if (root / "cgroup.procs").exists() and os.access(root, os.W_OK):
                candidate = root / f"toolfoundry-{os.getpid()}-{secrets.token_hex(4)}"
                try:
                    candidate.mkdir()
                    (candidate / "pids.max").write_text(str(max_processes))
                except OSError:
                    with contextlib.suppress(OSError):
                        candidate.rmdir()
                    continue
                self.path = candidate
                break

    def wrap(self, command: list[str]) -> list[str]:
        if self.path is None:
            return command
        # The shell joins the cgroup, then becomes bwrap: every process the sandbox makes is counted.
        return ["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(self.path), *command]

    def close(self) -> None:
        if self.path is None:
            return
        for _ in range(50):
            with contextlib.suppress(OSError):
                for pid in (self.path / "cgroup.procs").read_text().split():
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(int(pid), signal.SIGKILL)
            with contextlib.suppress(OSError):
                self.path.rmdir()
                return
            time.sleep(0.02)


def harness_source() -> str:
    return (resources.files("toolfoundry") / "sandbox_harness.py").read_text(encoding="utf-8")


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
    examples: list[dict[str, Any]],
    limits: SandboxLimits | None = None,
    unsandboxed: bool = False,
    network: tuple[str, ...] = (),
) -> SandboxRun:
    """Run `function` from `code` on each example inside bubblewrap. `unsandboxed` is the explicit opt-out."""
    limits = limits or SandboxLimits()
    if not unsandboxed:
        problem = sandbox_problem()
        if problem:
            raise SandboxUnavailable(problem)
    nonce = secrets.token_hex(16)
    job = {
        "nonce": nonce,
        "function": function,
        "examples": examples,
        "limits": _rlimits(limits),
        "example_timeout": limits.example_seconds,
        "workdir": "/job",
        "sys_path": site.getsitepackages(),
    }
    with tempfile.TemporaryDirectory(prefix="toolfoundry-sandbox-") as folder:
        sandbox_dir = Path(folder) / "sandbox"
        sandbox_dir.mkdir()
        (sandbox_dir / "harness.py").write_text(harness_source(), encoding="utf-8")
        (sandbox_dir / "candidate.py").write_text(code, encoding="utf-8")
        os.chmod(folder, 0o755)
        os.chmod(sandbox_dir, 0o755)
        forwards = PortForwards(list(network), sandbox_dir) if network and not unsandboxed else None
        job["forwards"] = forwards.forwards if forwards else []
        if unsandboxed:
            job["workdir"] = str(Path(folder) / "job")
            harness = sandbox_dir / "harness.py"
            text = harness.read_text().replace('"/sandbox/candidate.py"', repr(str(sandbox_dir / "candidate.py")))
            harness.write_text(text)
            command = [sys.executable, "-I", "-S", "-B", str(harness)]
            cgroup = None
        else:
            cgroup = _ProcessCgroup(limits.processes)
            command = cgroup.wrap(bwrap_command(sandbox_dir, limits))
        stdout_path, stderr_path = Path(folder) / "stdout", Path(folder) / "stderr"
        started = time.monotonic()
        timed_out = False
        try:
            with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
                process = subprocess.Popen(  # fixed argument list, no shell of ours
                    command,
                    stdin=subprocess.PIPE,
                    stdout=stdout,
                    stderr=stderr,
                    start_new_session=True,
                    env={"PATH": "/usr/bin:/bin"},
                    cwd=folder,
                )

                # The wall-clock limit is a timer that kills the process group, and the wait blocks in
                # waitpid: Popen.wait(timeout=...) polls with sleeps that grow to 50 ms, which made the
                # parent notice a 30 ms run after 60 ms.
                def kill_at_the_limit() -> None:
                    nonlocal timed_out
                    if process.returncode is not None:
                        return  # it ended just as the timer fired
                    timed_out = True
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)

                watchdog = threading.Timer(limits.wall_seconds, kill_at_the_limit)
                watchdog.start()
                try:
                    with contextlib.suppress(BrokenPipeError):  # a child killed early stops reading
                        assert process.stdin is not None
                        process.stdin.write(json.dumps(job).encode())
                        process.stdin.close()
                    process.wait()
                finally:
                    watchdog.cancel()
        finally:
            if cgroup is not None:
                cgroup.close()
            if forwards is not None:
                forwards.close()
        seconds = time.monotonic() - started
        output = _read_capped(stdout_path, limits.output_bytes)
        errors = _read_capped(stderr_path, limits.output_bytes)
    exit_code = process.returncode
    if not unsandboxed and exit_code is not None and exit_code > 128:
        exit_code = -(exit_code - 128)  # bwrap reports a child killed by signal N as 128 + N
    results = []
    for line in output.splitlines():
        if line.startswith(nonce):
            with contextlib.suppress(json.JSONDecodeError):
                results.append(json.loads(line[len(nonce) :]))
    process_limit = (
        "none"
        if unsandboxed
        else ("cgroup" if cgroup and cgroup.path else ("rlimit" if os.geteuid() != 0 else "none (root, no cgroup)"))
    )
    return SandboxRun(
        results=results,
        exit_code=exit_code,
        timed_out=timed_out,
        stderr=errors,
        seconds=seconds,
        process_limit=process_limit,
    )


def describe_limits(limits: SandboxLimits, unsandboxed: bool = False) -> dict[str, Any]:
    return {"kind": "none (unsafe opt-out)" if unsandboxed else "bubblewrap", **asdict(limits)}
