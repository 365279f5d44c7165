"""How llama.cpp is compiled for this machine: the instruction sets its CPU kernels may use, and the command that
rebuilds llama-cpp-python with them.

llama.cpp's default build is `GGML_NATIVE=ON` (`-march=native`), which compiles its AMX kernels in whenever the
CPU advertises AMX. Linux grants AMX state only to threads that ask for it (XFD, `arch_prctl`), and ggml's
worker threads do not, so such a build dies with SIGILL on the first matrix product (upstream ggml-org/llama.cpp
issues 13678 and 28756). A native build also runs only on CPUs with everything the build machine had. So the
build is `GGML_NATIVE=OFF` with each instruction set named: on where /proc/cpuinfo lists it, AMX always off.
/proc/cpuinfo is the kernel's view: it drops a feature whose register state the OS does not enable (XCR0), so a
listed flag is one both the CPU and the OS allow. Off x86-64 nothing is changed.

Standard library only, and runnable as a script: `scripts/setup` asks it before toolfoundry is installed
(`python llama_build.py version | cmake-args | wheel-key`).
"""

from __future__ import annotations

import hashlib
import os
import platform
import shlex
import subprocess
import sys

# The llama-cpp-python release scripts/setup compiles. A newer one is taken on purpose, after checking that its
# vendored llama.cpp still keeps AMX out with the flags below (tests/models/test_llama_build.py reads the ELF).
LLAMA_CPP_PYTHON_VERSION = "0.3.36"

# (CMake option, the /proc/cpuinfo flags it needs), in ggml's order. An option is ON only when every flag is there.
_AVX512 = ("avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw")
X86_OPTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("GGML_SSE42", ("sse4_2",)),
    ("GGML_AVX", ("avx",)),
    ("GGML_F16C", ("f16c",)),
    ("GGML_FMA", ("fma",)),
    ("GGML_BMI2", ("bmi2",)),
    ("GGML_AVX2", ("avx2",)),
    ("GGML_AVX_VNNI", ("avx2", "avx_vnni")),
    ("GGML_AVX512", _AVX512),
    ("GGML_AVX512_VBMI", (*_AVX512, "avx512vbmi")),
    ("GGML_AVX512_VNNI", (*_AVX512, "avx512_vnni")),
    ("GGML_AVX512_BF16", (*_AVX512, "avx512_bf16")),
)
# Off whatever the CPU says, until upstream's per-thread request (ggml-org/llama.cpp PR 26954) is released and pinned.
AMX_OPTIONS = ("GGML_AMX_TILE", "GGML_AMX_INT8", "GGML_AMX_BF16")
X86_MACHINES = {"x86_64", "amd64"}


def cpu_flags(cpuinfo: str | None = None) -> frozenset[str]:
    """The feature flags of the first processor in /proc/cpuinfo (empty where there is none)."""
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as stream:
                cpuinfo = stream.read()
        except OSError:
            return frozenset()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in {"flags", "Features"}:  # x86 says flags, ARM says Features
            return frozenset(value.split())
    return frozenset()


def cmake_args(machine: str | None = None, flags: frozenset[str] | None = None) -> list[str]:
    """The -D options that build llama.cpp's CPU backend for this machine: see the module's docstring."""
    machine = (machine or platform.machine()).lower()
    if machine not in X86_MACHINES:
        return []  # no AMX there, and ggml's native detection on ARM is what its maintainers test
    flags = cpu_flags() if flags is None else flags
    chosen = [f"-D{option}={'ON' if set(needs) <= flags else 'OFF'}" for option, needs in X86_OPTIONS]
    return ["-DGGML_NATIVE=OFF", *chosen, *(f"-D{option}=OFF" for option in AMX_OPTIONS)]


def cmake_args_text(user_args: str | None = None) -> str:
    """Our options, then the user's own CMAKE_ARGS (CUDA, say), which win where they name the same option."""
    user_args = os.environ.get("CMAKE_ARGS", "") if user_args is None else user_args
    return " ".join([*cmake_args(), *shlex.split(user_args)])


def _compiler() -> str:
    compiler = os.environ.get("CC", "cc")
    try:
        result = subprocess.run([compiler, "--version"], capture_output=True, text=True, timeout=30, check=False)
        return result.stdout.splitlines()[0] if result.stdout else compiler
    except (OSError, subprocess.SubprocessError):
        return compiler


def wheel_key(args: str) -> str:
    """What a compiled wheel depends on: the release, the flags, the compiler, Python and the platform. pip's own
    wheel cache keys a source build on the source alone, so it would hand back a wheel made with other flags;
    scripts/setup keeps its wheels under this key instead and builds with --no-cache-dir."""
    parts = [LLAMA_CPP_PYTHON_VERSION, args, _compiler(), sys.version.split()[0], platform.machine(), sys.platform]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]


def rebuild_command(python: str | None = None) -> str:
    """The one command that recompiles llama-cpp-python in this environment for this machine."""
    args = cmake_args_text("")
    prefix = f"CMAKE_ARGS={shlex.quote(args)} " if args else ""
    return (
        f"{prefix}{shlex.quote(python or sys.executable)} -m pip install --force-reinstall --no-deps "
        f"--no-cache-dir --no-binary llama-cpp-python llama-cpp-python=={LLAMA_CPP_PYTHON_VERSION}"
    )


def main(argv: list[str]) -> int:
    if argv == ["version"]:
        print(LLAMA_CPP_PYTHON_VERSION)
    elif argv == ["cmake-args"]:
        print(cmake_args_text())
    elif argv == ["wheel-key"]:
        print(wheel_key(cmake_args_text()))
    elif argv == ["rebuild-command"]:
        print(rebuild_command())
    else:
        print("usage: llama_build.py version | cmake-args | wheel-key | rebuild-command", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
