"""Whether the installed llama.cpp build runs on this machine, tried in a child process before this one loads it.

A llama.cpp compiled with instructions the CPU or its OS does not allow (a native build from another machine,
AMX kernels on a kernel that grants AMX per thread) kills the process with SIGILL on the first matrix product:
no message, exit 132, whatever was half done lost. So the first time a model is used with a given build on a
given CPU, a child loads it with the same threads and generates a few tokens from a prompt long enough for the
batched kernels. A child killed by a signal becomes a ConfigError that names the signal, the likely cause and
the command that rebuilds llama-cpp-python; the CLI turns it into exit 2 before anything is written. A success
is remembered beside the model file, keyed on the build's libraries, the CPU's flags and the model file, so later
runs cost a stat and a hash of a few megabytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import signal
import subprocess
import sys
from pathlib import Path

from ..errors import ConfigError
from .embedded import models_folder
from .llama_build import cpu_flags, rebuild_command

TRIAL_TIMEOUT_S = 600.0
# About 100 tokens: enough for llama.cpp to take its batched matrix kernels (where AMX would be), then 4 new ones.
_TRIAL_PROMPT = "def add(a: int, b: int) -> int:\n    return a + b\n\n" * 6 + "def multiply(a: int, b: int) -> int:\n"
_TRIAL = """
import os, sys
from llama_cpp import Llama
llama = Llama(model_path=sys.argv[1], n_ctx=512, n_threads=os.cpu_count() or 1, verbose=False)
llama.create_completion(prompt=sys.argv[2], max_tokens=4, temperature=0.0)
llama.close()
"""
_CAUSES = {
    signal.SIGILL: "llama-cpp-python was compiled with instructions this CPU or its operating system does not "
    "allow (a native build made on another machine, or AMX kernels where the kernel grants AMX per thread)",
    signal.SIGKILL: "the kernel's out-of-memory killer, or a limit on this process's memory",
}
_DEFAULT_CAUSE = "a llama.cpp build that does not suit this machine (compiled for another CPU, or broken)"


def _library_folder() -> Path | None:
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "lib"


def _build_identity() -> str:
    """The installed llama-cpp-python: its version and the bytes of its compiled libraries."""
    digest = hashlib.sha256()
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        digest.update(importlib.metadata.version("llama-cpp-python").encode())
    folder = _library_folder()
    for library in sorted(folder.glob("*.so*")) if folder and folder.is_dir() else []:
        digest.update(library.name.encode())
        digest.update(library.read_bytes())
    return digest.hexdigest()


def _cpu_identity() -> str:
    flags = " ".join(sorted(cpu_flags()))
    return hashlib.sha256(f"{platform.machine()}\n{flags}".encode()).hexdigest()


def _record_path(model: Path) -> Path:
    """Beside the model file when it is one of ours; for a file elsewhere, in our models folder under its path."""
    folder = models_folder()
    if model.parent == folder:
        return folder / f"{model.name}.runs-here"
    tag = hashlib.sha256(str(model.resolve()).encode()).hexdigest()[:12]
    return folder / f"{model.name}.{tag}.runs-here"


def _record(model: Path) -> dict[str, object]:
    stat = model.stat()
    return {"build": _build_identity(), "cpu": _cpu_identity(), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _trial_command(model: Path) -> list[str]:
    return [sys.executable, "-c", _TRIAL, str(model), _TRIAL_PROMPT]


def _signal_name(number: int) -> str:
    try:
        name = signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
    description = signal.strsignal(number)
    return f"{name} ({description.lower()})" if description else name


def died_by_signal(number: int, what: str) -> ConfigError:
    """The one message for a llama.cpp build that killed its process: which signal, why, and how to rebuild."""
    cause = next((text for known, text in _CAUSES.items() if known == number), _DEFAULT_CAUSE)
    return ConfigError(
        f"{what} was killed by {_signal_name(number)}: the installed llama.cpp cannot run on this machine. "
        f"Likely cause: {cause}. Rebuild llama-cpp-python for this machine with:\n"
        f"    {rebuild_command()}\n"
        "(in a toolfoundry checkout, ./scripts/setup does the same); nothing was written"
    )


def ensure_runs_here(model: Path, label: str = "") -> bool:
    """Try `model` with the installed llama.cpp in a child, once per build, CPU and file; True when it was tried
    now, False when an earlier trial answers. A ConfigError when the child dies by a signal or fails to load it."""
    record_path = _record_path(model)
    expected = _record(model)
    with contextlib.suppress(OSError, ValueError):
        if json.loads(record_path.read_text(encoding="utf-8")) == expected:
            return False
    what = f"a trial run of {label or model.name} in a child process"
    try:
        result = subprocess.run(
            _trial_command(model), capture_output=True, text=True, timeout=TRIAL_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        # Slow is not broken: say nothing, remember nothing, and let the real call find out.
        return True
    if result.returncode < 0:
        raise died_by_signal(-result.returncode, what)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(it printed nothing)"])[-1]
        raise ConfigError(f"cannot load model file {model}: {what} failed: {last}")
    record_path.parent.mkdir(parents=True, exist_ok=True)
    temporary = record_path.with_name(f".{record_path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(expected), encoding="utf-8")
    os.replace(temporary, record_path)
    return True
