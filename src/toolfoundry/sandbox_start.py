"""Starting a bubblewrap sandbox, and keeping a few started before they are needed.

A sandbox is one bwrap + interpreter that has imported the harness and waits for its one job on stdin (see
sandbox.py for the boundary and the limits). Starting one costs most of a run: bwrap's namespaces, Python's
start and the harness's imports. `Spares` starts them ahead on a background thread, so that this cost overlaps
the model call or other checks instead of adding to them. A spare runs exactly one candidate, like a sandbox
started on demand: no state passes from one candidate to the next.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import logging
import os
import queue
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import SandboxUnavailable
from .sandbox_network import PortForwards

log = logging.getLogger(__name__)

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
        # The sandbox's own init may still be exiting when bwrap has: wait for it in short steps (a fixed
        # 20 ms sleep here cost a tenth of every run), about a second in all.
        pause = 0.0005
        while pause < 0.5:
            with contextlib.suppress(OSError):
                for pid in (self.path / "cgroup.procs").read_text().split():
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(int(pid), signal.SIGKILL)
            with contextlib.suppress(OSError):
                self.path.rmdir()
                return
            time.sleep(pause)
            pause *= 1.5


@functools.cache
def harness_source() -> str:
    return (resources.files("toolfoundry") / "sandbox_harness.py").read_text(encoding="utf-8")


@dataclass
class Started:
    """One started sandbox, waiting for its job on stdin; `close` removes every trace of it."""

    process: subprocess.Popen[bytes]
    folder: tempfile.TemporaryDirectory[str]
    workdir: str  # where the harness makes one folder per example
    cgroup: _ProcessCgroup | None
    forwards: PortForwards | None

    @property
    def stdout_path(self) -> Path:
        return Path(self.folder.name) / "stdout"

    @property
    def stderr_path(self) -> Path:
        return Path(self.folder.name) / "stderr"

    @property
    def process_limit(self) -> str:
        if self.cgroup is None:
            return "none"
        if self.cgroup.path is not None:
            return "cgroup"
        return "rlimit" if os.geteuid() != 0 else "none (root, no cgroup)"

    def ready(self) -> bool:
        """True once the harness has started and waits for its job (it says so on stdout)."""
        try:
            return self.stdout_path.stat().st_size > 0
        except OSError:
            return False

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        if self.cgroup is not None:
            self.cgroup.close()
        if self.forwards is not None:
            self.forwards.close()
        self.folder.cleanup()


def start_sandbox(limits: SandboxLimits, network: tuple[str, ...] = (), unsandboxed: bool = False) -> Started:
    """Start the harness under bubblewrap (or bare, for the explicit opt-out); it then waits for its job."""
    if not unsandboxed:
        problem = sandbox_problem()
        if problem:
            raise SandboxUnavailable(problem)
    folder = tempfile.TemporaryDirectory(prefix="toolfoundry-sandbox-")
    root = Path(folder.name)
    cgroup: _ProcessCgroup | None = None
    forwards: PortForwards | None = None
    try:
        sandbox_dir = root / "sandbox"
        sandbox_dir.mkdir()
        (sandbox_dir / "harness.py").write_text(harness_source(), encoding="utf-8")
        os.chmod(root, 0o755)
        os.chmod(sandbox_dir, 0o755)
        if unsandboxed:
            command, workdir = [sys.executable, "-I", "-S", "-B", str(sandbox_dir / "harness.py")], str(root / "job")
        else:
            forwards = PortForwards(list(network), sandbox_dir) if network else None
            cgroup = _ProcessCgroup(limits.processes)
            command, workdir = cgroup.wrap(bwrap_command(sandbox_dir, limits)), "/job"
        with (root / "stdout").open("wb") as stdout, (root / "stderr").open("wb") as stderr:
            process = subprocess.Popen(  # fixed argument list, no shell of ours
                command,
                stdin=subprocess.PIPE,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
                env={"PATH": "/usr/bin:/bin"},
                cwd=root,
            )
    except BaseException:
        if cgroup is not None:
            cgroup.close()
        if forwards is not None:
            forwards.close()
        folder.cleanup()
        raise
    return Started(process, folder, workdir, cgroup, forwards)


def _spares_wanted() -> int:
    value = os.environ.get("TOOLFOUNDRY_SANDBOX_SPARES", "")
    return int(value) if value.strip().isdigit() else max(2, 2 * (os.cpu_count() or 1))


class Spares:
    """Sandboxes started ahead, per set of limits. Each take asks for a replacement, so the number kept grows
    to the number of runs at once (up to `most`); `TOOLFOUNDRY_SANDBOX_SPARES=0` turns this off."""

    def __init__(self, most: int | None = None) -> None:
        self.most = _spares_wanted() if most is None else most
        self._idle: dict[SandboxLimits, list[Started]] = {}
        self._lock = threading.Lock()
        self._requests: queue.SimpleQueue[SandboxLimits | Started | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._owner = os.getpid()  # a forked child must not use its parent's sandboxes

    def idle(self) -> int:
        with self._lock:
            return sum(len(started) for started in self._idle.values())

    def take(self, limits: SandboxLimits) -> Started | None:
        """A started sandbox for these limits, or None (then the caller starts one); asks for a replacement,
        and for one more when none was ready, so that the spares keep up with the runs."""
        if self.most <= 0 or self._closed or os.getpid() != self._owner:
            return None
        with self._lock:
            waiting = self._idle[limits] = self._idle.pop(limits, [])  # re-inserted: the order is by last use
            alive = [started for started in waiting if started.process.poll() is None]
            # One that died while it waited (killed from outside) is never handed out.
            dead = [started for started in waiting if started not in alive]
            ready = [started for started in alive if started.ready()]
            taken = (ready or alive or [None])[0]
            waiting[:] = [started for started in alive if started is not taken]
            if self._thread is None:
                # One long-lived thread starts them all: bwrap's --die-with-parent fires when the *thread*
                # that started it ends, and the event loop's worker threads come and go.
                self._thread = threading.Thread(target=self._fill, name="toolfoundry-spares", daemon=True)
                self._thread.start()
        for started in dead:
            started.close()
        for _ in range(1 if ready else 2):
            self._requests.put(limits)
        return taken

    def retire(self, started: Started) -> None:
        """Remove a finished sandbox's cgroup and folder on the spares' thread, after the caller has its
        results: its processes are already gone with its PID namespace, and the caller need not wait."""
        with self._lock:
            if self._thread is not None and not self._closed:
                self._requests.put(started)
                return
        started.close()

    def _fill(self) -> None:
        while (request := self._requests.get()) is not None:
            if isinstance(request, Started):
                request.close()
                continue
            if self._closed or not self._make_room(request):
                continue
            try:
                started = start_sandbox(request)
            except Exception as error:  # a spare is an optimisation: the run starts its own
                log.debug("could not start a spare sandbox: %s", error)
                continue
            with self._lock:
                if not self._closed:
                    self._idle.setdefault(request, []).append(started)
                    continue
            started.close()

    def _make_room(self, limits: SandboxLimits) -> bool:
        """True when one more spare for `limits` fits, evicting the oldest spare of other limits if need be."""
        with self._lock:
            if sum(len(started) for started in self._idle.values()) < self.most:
                return True
            others = [key for key, started in self._idle.items() if key != limits and started]
            if not others:
                return False
            evicted = self._idle[others[0]].pop(0)  # the limits least recently asked for
        evicted.close()
        return True

    def close(self) -> None:
        """Stop the spares (at exit, and in tests): no process, cgroup or folder is left behind."""
        with self._lock:
            self._closed = True
            waiting = [started for group in self._idle.values() for started in group]
            self._idle.clear()
            thread = self._thread
        if thread is not None:
            self._requests.put(None)
            thread.join(timeout=5)
        for started in waiting:
            started.close()


SPARES = Spares()
atexit.register(SPARES.close)
