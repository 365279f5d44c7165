"""A sandbox's life: started (bwrap + interpreter + harness, waiting for its one job on stdin), counted in a
pids cgroup, and closed with every trace of it (processes, cgroup, folder, network relays)."""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import SandboxUnavailable
from .boundary import Mounts, SandboxLimits, bwrap_command, sandbox_problem
from .network import PortForwards

_PIDS_CGROUP_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))
# Each sandbox's folder and cgroup carry the pid of the process that made them, so that what a process killed
# with SIGKILL left behind (it could clean nothing) is recognised, and removed, by the next one.
_FOLDER_PREFIX = "toolfoundry-sandbox-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive, and not ours to judge
    return True


@functools.cache
def remove_what_dead_processes_left() -> list[Path]:
    """Sandbox folders and cgroups whose maker is gone, removed once per process; returns what was removed."""
    removed = []
    candidates = [*Path(tempfile.gettempdir()).glob(f"{_FOLDER_PREFIX}*-*")]
    for root in _PIDS_CGROUP_ROOTS:
        with contextlib.suppress(OSError):
            candidates += root.glob("toolfoundry-*-*")
    for path in candidates:
        pid = path.name.removeprefix(_FOLDER_PREFIX).removeprefix("toolfoundry-").split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        if path.is_relative_to("/sys"):
            with contextlib.suppress(OSError):
                path.rmdir()  # an empty cgroup; one that still counts processes stays
        else:
            shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            removed.append(path)
    return removed


class ProcessCgroup:
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
    return (resources.files("toolfoundry.sandbox") / "harness.py").read_text(encoding="utf-8")


@dataclass
class Started:
    """One started sandbox, waiting for its job on stdin; `close` removes every trace of it."""

    process: subprocess.Popen[bytes]
    folder: tempfile.TemporaryDirectory[str]
    workdir: str  # where the harness makes one folder per example
    cgroup: ProcessCgroup | None
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


def start_sandbox(
    limits: SandboxLimits, network: tuple[str, ...] = (), unsandboxed: bool = False, mounts: Mounts = ()
) -> Started:
    """Start the harness under bubblewrap (or bare, for the explicit opt-out); it then waits for its job.
    `network` relays declared loopback hosts in from the start; `mounts` binds host directories in."""
    if not unsandboxed:
        problem = sandbox_problem()
        if problem:
            raise SandboxUnavailable(problem)
    remove_what_dead_processes_left()
    folder = tempfile.TemporaryDirectory(prefix=f"{_FOLDER_PREFIX}{os.getpid()}-")
    root = Path(folder.name)
    cgroup: ProcessCgroup | None = None
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
            cgroup = ProcessCgroup(limits.processes)
            command, workdir = cgroup.wrap(bwrap_command(sandbox_dir, limits, mounts)), "/job"
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
