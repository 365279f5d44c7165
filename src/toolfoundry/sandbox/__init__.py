"""The sandbox: untrusted generated code runs under bubblewrap, with limits the parent enforces.

The boundary is the kernel (boundary.py): every namespace unshared (no network, own PID namespace so forked
children die with the run), capabilities dropped, a clean environment, the interpreter and its packages read-
only, and a size-limited tmpfs as the only writable place. Limits: wall clock (kill by the parent), address
space, CPU seconds, open files, file size, output size, process count (a pids cgroup where the machine offers
one, process.py; the process rlimit otherwise) and the run's memory as a whole (a memory cgroup where the
machine offers one; each process's address space alone otherwise). Declared loopback hosts are relayed in and
nothing else is reachable (network.py). Inside, harness.py (standard library only) runs the job and reports each
result behind a nonce; what crosses (the job, the records, how a run ended) is protocol.py, and how values are
read (normalised, checked against a type tree) is values.py, both imported on both sides. Each run gets a
sandbox of its own, started ahead where it can be (spares.py); run.py hands it the job. A served call (call.py)
gets the same sandbox with its tool's declared directories bound in (by the descriptor opened when each was
checked, never by a path looked up again) and its declared hosts reachable through an allowlisting proxy in the
parent (proxy.py). Generated code never runs unsandboxed unless the caller opts out by name.
"""

from __future__ import annotations

from . import protocol, values
from .boundary import INSTALL_HINT, SandboxLimits, bwrap_command, bwrap_path, sandbox_problem
from .network import is_loopback, split_host_port
from .process import harness_source, memory_cgroup_available
from .run import SandboxRun, describe_limits, run_in_sandbox
from .spares import SPARES, Spares

__all__ = [
    "INSTALL_HINT",
    "SPARES",
    "SandboxLimits",
    "SandboxRun",
    "Spares",
    "bwrap_command",
    "bwrap_path",
    "describe_limits",
    "harness_source",
    "is_loopback",
    "memory_cgroup_available",
    "protocol",
    "run_in_sandbox",
    "sandbox_problem",
    "split_host_port",
    "values",
]
