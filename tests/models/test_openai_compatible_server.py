"""The OpenAI provider against a real OpenAI-compatible server on loopback: llama.cpp's own server
(`python -m llama_cpp.server`) serving the SmolLM2 GGUF, started and stopped here."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from typer.testing import CliRunner

from tests.helpers import requires_sandbox
from toolfoundry.cli import app
from toolfoundry.models import CompletionRequest, Message, load_model
from toolfoundry.models.local import smollm2_path
from toolfoundry.service import LLMService

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server() -> str:
    pytest.importorskip("llama_cpp.server", reason="needs the llama-cpp-python[server] extra (in the test extra)")
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(smollm2_path()),
            "--model_alias",
            "smollm2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            "--verbose",
            "false",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"llama.cpp server exited: {process.stderr.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
                    if json.load(response)["data"]:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_chat_completions_over_the_real_wire_protocol(llama_server) -> None:
    model = load_model(f"openai-compatible:{llama_server}#smollm2")
    request = CompletionRequest(
        messages=(Message(role="system", content="You write Python."), Message(role="user", content="Add a and b.")),
        max_tokens=32,
        seed=1,
        temperature=0.0,
        timeout_s=60,
    )
    llm = LLMService()
    first = asyncio.run(llm.complete(model, request))
    second = asyncio.run(llm.complete(model, request))
    assert first.text and first.text == second.text  # temperature 0 and a seed: repeatable
    assert first.usage.prompt_tokens > 10 and 0 < first.usage.completion_tokens <= 32
    assert llm.ledger.calls == 2 and llm.ledger.failed_calls == 0


def test_an_unknown_model_path_is_a_clear_error_not_a_retry_storm(llama_server) -> None:
    from toolfoundry.errors import ModelError

    model = load_model(f"openai-compatible:{llama_server.replace('/v1', '/nope')}#smollm2")
    llm = LLMService()
    with pytest.raises(ModelError, match="HTTP 404"):
        asyncio.run(llm.complete(model, CompletionRequest(messages=(Message(role="user", content="x"),))))
    assert llm.ledger.failed_calls == 1


@requires_sandbox
def test_generate_through_the_server_writes_a_truthful_report(llama_server, tmp_path) -> None:
    spec = tmp_path / "add.yaml"
    spec.write_text(
        "name: add\ndescription: Add two integers.\ninput_params: [{name: a, type: int}, {name: b, type: int}]\n"
        "output_type: int\nexamples: [{input: {a: 2, b: 3}, output: 5}, {input: {a: -1, b: 1}, output: 0}]\n"
    )
    result = CliRunner().invoke(
        app,
        [
            "generate",
            str(spec),
            "-o",
            str(tmp_path / "out"),
            "--model",
            f"openai-compatible:{llama_server}#smollm2",
            "--rounds",
            "1",
            "--samples",
            "2",
        ],
    )
    report = json.loads((tmp_path / "out" / "add.report.json").read_text())
    assert result.exit_code == (0 if report["status"] == "verified" else 1)
    assert report["model"] == f"openai-compatible:{llama_server}#smollm2"
    assert all(attempt["prompt_tokens"] > 0 for attempt in report["attempts"])
    assert report["cost_usd"] is None  # an unpriced server: the cost is unknown, not zero
    if report["status"] == "verified":
        assert all(example["passed"] for example in report["examples"])
    else:
        assert report["reason"]
