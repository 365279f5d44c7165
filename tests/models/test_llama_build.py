"""llama.cpp is compiled for the machine it runs on: each instruction set named from what the CPU and its OS
allow, AMX always off; and the installed build holds no AMX tile instruction (read off its ELF by objdump)."""

from __future__ import annotations

import platform
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from toolfoundry.models import build_check, llama_build
from toolfoundry.models.llama_build import cmake_args, cmake_args_text, cpu_flags, rebuild_command, wheel_key

# /proc/cpuinfo flags of a Sapphire Rapids cloud VM (the machine issue 21 was found on), shortened.
SAPPHIRE_RAPIDS = frozenset(
    str.split(
        "fpu sse2 ssse3 fma sse4_1 sse4_2 avx f16c bmi1 avx2 bmi2 avx512f avx512dq avx512cd avx512bw avx512vl "
        "avx512ifma avx512vbmi avx512_vnni avx512_bf16 avx_vnni amx_bf16 amx_tile amx_int8"
    )
)
HASWELL = frozenset(str.split("fpu sse2 ssse3 fma sse4_1 sse4_2 avx f16c bmi1 avx2 bmi2"))
AMX_MNEMONICS = re.compile(
    r"\s(tilezero|tileloadd|tileloaddt1|tilestored|tilerelease|ldtilecfg|sttilecfg|tdpb[su][su]d|tdpbf16ps|tdpfp16ps)\s"
)


def options(args: list[str]) -> dict[str, str]:
    return dict(arg.removeprefix("-D").split("=", 1) for arg in args)


def test_an_amx_cpu_gets_every_avx512_extension_it_lists_and_no_amx() -> None:
    chosen = options(cmake_args("x86_64", SAPPHIRE_RAPIDS))
    assert chosen["GGML_NATIVE"] == "OFF"
    assert {chosen[name] for name in ("GGML_AMX_TILE", "GGML_AMX_INT8", "GGML_AMX_BF16")} == {"OFF"}
    on = {name for name, value in chosen.items() if value == "ON"}
    assert on == {
        "GGML_SSE42", "GGML_AVX", "GGML_F16C", "GGML_FMA", "GGML_BMI2", "GGML_AVX2", "GGML_AVX_VNNI",
        "GGML_AVX512", "GGML_AVX512_VBMI", "GGML_AVX512_VNNI", "GGML_AVX512_BF16",
    }  # fmt: skip


def test_what_the_cpu_or_os_does_not_list_is_off() -> None:
    chosen = options(cmake_args("x86_64", HASWELL))
    assert chosen["GGML_AVX2"] == "ON" and chosen["GGML_AVX512"] == "OFF" and chosen["GGML_AVX_VNNI"] == "OFF"
    # An OS that does not enable the AVX-512 state drops avx512f from /proc/cpuinfo: every AVX-512 option goes.
    chosen = options(cmake_args("x86_64", SAPPHIRE_RAPIDS - {"avx512f"}))
    assert {value for name, value in chosen.items() if name.startswith("GGML_AVX512")} == {"OFF"}


def test_other_machines_keep_the_default_build() -> None:
    assert cmake_args("aarch64", frozenset({"fp", "asimd"})) == []


def test_cpu_flags_come_from_the_first_processor() -> None:
    text = "processor\t: 0\nflags\t\t: fpu avx2 amx_tile\n\nprocessor\t: 1\nflags\t\t: fpu\n"
    assert cpu_flags(text) == {"fpu", "avx2", "amx_tile"}
    assert cpu_flags("Features\t: fp asimd\n") == {"fp", "asimd"} and cpu_flags("") == frozenset()


def test_the_users_cmake_args_come_last_and_change_the_wheel_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llama_build, "cpu_flags", lambda: HASWELL)
    monkeypatch.setattr(llama_build.platform, "machine", lambda: "x86_64")
    ours = cmake_args_text("")
    assert cmake_args_text("-DGGML_CUDA=ON").endswith(" -DGGML_CUDA=ON") and ours.startswith("-DGGML_NATIVE=OFF")
    assert wheel_key(ours) != wheel_key(cmake_args_text("-DGGML_CUDA=ON")) and wheel_key(ours) == wheel_key(ours)
    command = rebuild_command("/venv/bin/python")
    assert command.startswith(f"CMAKE_ARGS='{ours}' /venv/bin/python -m pip install --force-reinstall")
    pinned = f"llama-cpp-python=={llama_build.LLAMA_CPP_PYTHON_VERSION}"
    assert command.endswith(f"--no-cache-dir --no-binary llama-cpp-python {pinned}")


def test_the_script_answers_setup_and_refuses_what_it_does_not_know() -> None:
    script = Path(llama_build.__file__)
    run = [shutil.which("python3") or "python3", str(script)]  # before toolfoundry is installed: stdlib only
    version = subprocess.run([*run, "version"], capture_output=True, text=True, check=True).stdout.strip()
    assert version == llama_build.LLAMA_CPP_PYTHON_VERSION
    assert subprocess.run([*run, "frobnicate"], capture_output=True, check=False).returncode == 2


def amx_instructions(library: Path) -> list[str]:
    listing = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", str(library)], capture_output=True, text=True, check=True
    ).stdout
    return [line.strip() for line in listing.splitlines() if AMX_MNEMONICS.search(line + " ")]


needs_objdump = pytest.mark.skipif(
    shutil.which("objdump") is None or platform.machine() != "x86_64", reason="reads x86-64 code with objdump"
)


@needs_objdump
@pytest.mark.slow
def test_the_scan_finds_an_amx_tile_instruction(tmp_path: Path) -> None:
    """The check below could fail: a library holding `tilezero %tmm4` (the instruction issue 21 died on) is caught."""
    source = tmp_path / "tile.c"
    source.write_text('void zero_tile(void) { __asm__ volatile("tilezero %%tmm4" ::: "memory"); }\n')
    library = tmp_path / "libtile.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    assert any("tilezero" in line for line in amx_instructions(library))


@needs_objdump
@pytest.mark.slow
def test_the_installed_cpu_backend_holds_no_amx_tile_instruction() -> None:
    folder = build_check._library_folder()
    assert folder is not None
    libraries = sorted(folder.glob("libggml-cpu*.so*"))
    assert libraries, f"no libggml-cpu in {folder}"
    for library in libraries:
        assert amx_instructions(library) == [], f"{library} holds AMX instructions: built natively on an AMX CPU?"


@pytest.mark.slow
def test_the_installed_build_uses_the_widest_sets_this_cpu_allows() -> None:
    from llama_cpp import llama_cpp

    info = llama_cpp.llama_print_system_info().decode()
    chosen = options(cmake_args())
    for name, feature in (("GGML_AVX2", "AVX2"), ("GGML_AVX512", "AVX512"), ("GGML_AVX512_VNNI", "AVX512_VNNI")):
        if platform.machine() == "x86_64" and chosen.get(name) == "ON":
            assert f"{feature} = 1" in info, f"{feature} is allowed here but not in the build: {info}"
    assert "AMX_INT8 = 1" not in info
