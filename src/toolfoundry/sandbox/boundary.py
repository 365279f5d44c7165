"""The boundary itself: the limits a run gets, whether bubblewrap works here, and the bwrap arguments that make
the sandbox (see the package docstring for what they add up to)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import weakref
from dataclasses import dataclass
from pathlib import Path

from ..errors import SandboxUnavailable

INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: `apt-get install -y bubblewrap`)"


@dataclass(frozen=True)
class SandboxLimits:
    wall_seconds: float = 20.0  # the whole run, enforced by the parent (CPU limits do not stop sleep)
    example_seconds: float = 5.0  # each example, by a timer inside; the wall clock is the backstop
    probe_seconds: float = 6.0  # all probes together: probing stops, unfailed, when this is spent
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


_OPEN_DIRECTORY = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def open_directory(path: str) -> int:
    """An O_PATH descriptor of the directory at `path` (absolute and normalised, as Path.resolve gives it),
    opened one component at a time with O_NOFOLLOW: a link anywhere on the way is refused (OSError), never
    followed."""
    descriptor = os.open("/", _OPEN_DIRECTORY)
    try:
        for part in Path(path).parts[1:]:
            child = os.open(part, _OPEN_DIRECTORY, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = child
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


@dataclass(frozen=True)
class Bind:
    """A host directory bound into a served tool's sandbox, read-only unless `writable`.

    Bound by the descriptor opened when it was checked (`--bind-fd`), never by its path looked up again: bwrap
    resolves the path at every start, so a link a write tool swapped in between two calls would otherwise take
    the next sandbox anywhere on the host. bwrap compares the mounted directory with the descriptor and dies
    rather than mount anything else. The descriptor lives as long as this object."""

    host: str  # the directory on the host, as checked
    inside: str  # where the sandbox sees it
    writable: bool
    fd: int

    @classmethod
    def open(cls, host: str, inside: str, writable: bool) -> Bind:
        bind = cls(host, inside, writable, open_directory(host))
        weakref.finalize(bind, os.close, bind.fd)
        return bind

    def arguments(self) -> list[str]:
        return ["--bind-fd" if self.writable else "--ro-bind-fd", str(self.fd), self.inside]


Mounts = tuple[Bind, ...]


def bwrap_command(sandbox_dir: Path, limits: SandboxLimits, mounts: Mounts = ()) -> list[str]:
    """The bwrap invocation: nothing shared, nothing writable but two small tmpfs mounts and the directories a
    served tool declares (`mounts`; read-only unless it may write)."""
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
        # After the tmpfs mounts, so a virtual environment under /tmp (a CI checkout, say) stays visible: a
        # bind made before them was hidden, and the tool's packages with it.
        *[argument for root in _python_roots() for argument in ("--ro-bind", root, root)],
        "--ro-bind",
        str(sandbox_dir),
        "/sandbox",
        *[argument for bind in mounts for argument in bind.arguments()],
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
