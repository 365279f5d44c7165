"""A sandbox's life: started (bwrap + interpreter + harness, waiting for its one job on stdin), counted in a
pids cgroup and bounded by a memory cgroup where the machine offers them, and closed with every trace of it
(processes, cgroups, folder, network relays)."""

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

# Where a run's cgroups are made: cgroup v1 has a hierarchy per controller, v2 one for all (/sys/fs/cgroup).
_PIDS_CGROUP_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))
_MEMORY_CGROUP_ROOTS = (Path("/sys/fs/cgroup/memory"), Path("/sys/fs/cgroup"))
# v1 and v2 spell each limit differently; the swap limits keep a run from trading memory for swap.
_MEMORY_FILES = (("memory.limit_in_bytes", "memory.memsw.limit_in_bytes"), ("memory.max", "memory.swap.max"))
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
    for root in dict.fromkeys((*_PIDS_CGROUP_ROOTS, *_MEMORY_CGROUP_ROOTS)):
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


def _make_cgroup(roots: tuple[Path, ...], name: str, limits: dict[str, str]) -> Path | None:
    """A new cgroup under the first writable root whose files take `limits` (name: value, the first name of
    each group that exists), or None where no root will."""
    for root in roots:
        if not ((root / "cgroup.procs").exists() and os.access(root, os.W_OK)):
            continue
        candidate = root / name
        made = not candidate.exists()  # on v2 the pids and memory cgroups are one directory
        try:
            candidate.mkdir(exist_ok=True)
            for file, value in limits.items():
                (candidate / file).write_text(value)
        except OSError:
            if made:
                with contextlib.suppress(OSError):
                    candidate.rmdir()
            continue
        return candidate
    return None


class ProcessCgroup:
    """The cgroups of one run, where the machine offers writable ones (root on cgroup v1 or v2): a pids cgroup
    that counts every process the run makes, and a memory cgroup that bounds all of them together (RLIMIT_AS
    inside bounds each process alone: four children of 400 MB each would pass a 1 GiB limit)."""

    def __init__(self, max_processes: int, max_memory_bytes: int | None = None) -> None:
        name = f"toolfoundry-{os.getpid()}-{secrets.token_hex(4)}"
        self.path = _make_cgroup(_PIDS_CGROUP_ROOTS, name, {"pids.max": str(max_processes)})
        self.memory: Path | None = None
        if max_memory_bytes is not None:
            for limit, swap in _MEMORY_FILES:
                # v1 takes memory+swap as one limit, which must not be below the memory one: memory first.
                self.memory = _make_cgroup(_MEMORY_CGROUP_ROOTS, name, {limit: str(max_memory_bytes)})
                if self.memory is not None:
                    swap_limit = str(max_memory_bytes) if swap.startswith("memory.memsw") else "0"
                    with contextlib.suppress(OSError):  # no swap accounting here: there is nothing to bound
                        (self.memory / swap).write_text(swap_limit)
                    break

    def wrap(self, command: list[str]) -> list[str]:
        places = list(dict.fromkeys(path for path in (self.path, self.memory) if path is not None))
        if not places:
            return command
        # The shell joins the cgroups, then becomes bwrap: every process the sandbox makes is counted.
        join = " && ".join(f'echo $$ > "${index}/cgroup.procs"' for index in range(len(places)))
        return ["/bin/sh", "-c", f'{join} && shift {len(places) - 1} && exec "$@"', *map(str, places), *command]

    def close(self) -> None:
        for path in dict.fromkeys(path for path in (self.path, self.memory) if path is not None):
            _remove_cgroup(path)


@functools.cache
def memory_cgroup_available() -> bool:
    """Whether runs here get a memory cgroup (their processes bounded together), tried once per process."""
    probe = ProcessCgroup(1, 64 * 1024 * 1024)
    probe.close()
    return probe.memory is not None


def _remove_cgroup(path: Path) -> None:
    # The sandbox's own init may still be exiting when bwrap has: wait for it in short steps (a fixed
    # 20 ms sleep here cost a tenth of every run), about a second in all.
    pause = 0.0005
    while pause < 0.5:
        with contextlib.suppress(OSError):
            for pid in (path / "cgroup.procs").read_text().split():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(int(pid), signal.SIGKILL)
        with contextlib.suppress(OSError):
            path.rmdir()
            return
        time.sleep(pause)
        pause *= 1.5


# What a sandbox's /sandbox holds of ours: the harness, the modules both sides import (protocol, values), and
# the replay of recorded exchanges.
_SHIPPED = {
    "harness.py": "harness.py",
    "protocol.py": "_toolfoundry/protocol.py",
    "values.py": "_toolfoundry/values.py",
    "replay.py": "_toolfoundry/replay.py",  # recorded HTTP exchanges; imports vcrpy, only for examples with them
}


@functools.cache
def harness_source() -> str:
    return shipped_files()["harness.py"]


@functools.cache
def shipped_files() -> dict[str, str]:
    """Each file the sandbox gets, by its path inside /sandbox (`_toolfoundry/__init__.py` is made empty)."""
    package = resources.files("toolfoundry.sandbox")
    return {inside: (package / name).read_text(encoding="utf-8") for name, inside in _SHIPPED.items()}


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

    @property
    def memory_limit(self) -> str:
        """How the run's memory is bounded: all its processes together, or each one alone."""
        return "cgroup" if self.cgroup is not None and self.cgroup.memory is not None else "per process"

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
        (sandbox_dir / "_toolfoundry").mkdir()
        (sandbox_dir / "_toolfoundry" / "__init__.py").write_text("", encoding="utf-8")
        for inside, text in shipped_files().items():
            (sandbox_dir / inside).write_text(text, encoding="utf-8")
        os.chmod(root, 0o755)
        os.chmod(sandbox_dir, 0o755)
        if unsandboxed:
            command, workdir = [sys.executable, "-I", "-S", "-B", str(sandbox_dir / "harness.py")], str(root / "job")
        else:
            forwards = PortForwards(list(network), sandbox_dir) if network else None
            cgroup = ProcessCgroup(limits.processes, limits.memory_bytes)
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
                pass_fds=[bind.fd for bind in mounts],  # bwrap binds each declared directory by its descriptor
            )
    except BaseException:
        if cgroup is not None:
            cgroup.close()
        if forwards is not None:
            forwards.close()
        folder.cleanup()
        raise
    return Started(process, folder, workdir, cgroup, forwards)
