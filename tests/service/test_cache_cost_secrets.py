"""The response cache, cost tracking and budgets, and a canary key that must never leak anywhere."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.fault_server import Step, openai_reply
from tests.helpers import GOOD_SLUGIFY, requires_sandbox, scripted_model
from toolfoundry.cli import app
from toolfoundry.errors import BudgetExceeded
from toolfoundry.models import CompletionRequest, Message, ScriptedModel
from toolfoundry.service import LLMService, ResponseCache, ServiceSettings

CANARY = "sk-test-CANARY-do-not-leak-0123456789"
runner = CliRunner()


def request(**changes) -> CompletionRequest:
    base = CompletionRequest(messages=(Message(role="user", content="write slugify"),), seed=3)
    return base.model_copy(update=changes)


def test_a_deterministic_request_is_answered_from_the_cache(tmp_path) -> None:
    model = ScriptedModel(["first", "second"])
    llm = LLMService(ServiceSettings(cache=ResponseCache(tmp_path / "c.sqlite3")), prompt_version="1")
    first = asyncio.run(llm.complete(model, request()))
    again = asyncio.run(llm.complete(model, request()))
    assert (first.text, again.text, again.cached) == ("first", "first", True)
    assert len(model.requests) == 1 and llm.ledger.cache_hits == 1 and llm.ledger.calls == 1


def test_the_key_covers_model_parameters_and_prompt_version(tmp_path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite3")
    model = ScriptedModel(["a", "b", "c", "d", "e"])
    asyncio.run(LLMService(ServiceSettings(cache=cache), prompt_version="1").complete(model, request()))
    asyncio.run(LLMService(ServiceSettings(cache=cache), prompt_version="2").complete(model, request()))
    asyncio.run(LLMService(ServiceSettings(cache=cache), prompt_version="1").complete(model, request(max_tokens=99)))
    asyncio.run(LLMService(ServiceSettings(cache=cache), prompt_version="1").complete(model, request(seed=4)))
    assert len(model.requests) == 4


def test_sampled_requests_without_a_seed_are_never_cached(tmp_path) -> None:
    model = ScriptedModel(["a", "b"])
    llm = LLMService(ServiceSettings(cache=ResponseCache(tmp_path / "c.sqlite3")))
    for _ in range(2):
        asyncio.run(llm.complete(model, request(seed=None, temperature=0.8)))
    assert len(model.requests) == 2 and ResponseCache(tmp_path / "c.sqlite3").stats()["entries"] == 0


def test_the_cache_holds_json_not_pickle(tmp_path) -> None:
    path = tmp_path / "c.sqlite3"
    asyncio.run(LLMService(ServiceSettings(cache=ResponseCache(path))).complete(ScriptedModel(["reply"]), request()))
    (value,) = sqlite3.connect(path).execute("SELECT completion FROM responses").fetchone()
    assert json.loads(value)["text"] == "reply"


@requires_sandbox
def test_a_second_identical_run_makes_no_model_call(spec_file, write, tmp_path) -> None:
    model = scripted_model(tmp_path / "replies.yaml", ["no code", GOOD_SLUGIFY])
    for run in ("first", "second"):
        result = runner.invoke(
            app,
            ["generate", str(spec_file), "-o", str(tmp_path / run), "--model", model, "--no-library", "--spec-tests"],
        )
        assert result.exit_code == 0, result.output
    first = json.loads((tmp_path / "first" / "slugify.report.json").read_text())
    second = json.loads((tmp_path / "second" / "slugify.report.json").read_text())
    # Three calls: one for tests from the spec's words, two for code; all three cached.
    assert first["service"]["calls"] == 3 and first["service"]["cache_hits"] == 0
    assert second["service"]["calls"] == 0 and second["service"]["cache_hits"] == 3
    assert all(attempt["cached"] for attempt in second["attempts"]) and second["spec_tests_call"]["cached"]
    assert second["tokens"]["prompt"] == 0 and second["status"] == "verified"
    stats = runner.invoke(app, ["cache", "stats"])
    assert "entries: 3" in stats.output
    assert "removed 3 cached responses" in runner.invoke(app, ["cache", "clear"]).output
    assert "entries: 0" in runner.invoke(app, ["cache", "stats"]).output


def test_no_cache_flag_turns_it_off(spec_file, write, tmp_path) -> None:
    model = scripted_model(tmp_path / "replies.yaml", ["no code"])
    arguments = ["generate", str(spec_file), "--model", model, "--rounds", "1", "--samples", "1", "--no-cache"]
    arguments.append("--spec-tests")
    runner.invoke(app, [*arguments, "-o", str(tmp_path / "a")])
    runner.invoke(app, [*arguments, "-o", str(tmp_path / "b")])
    report = json.loads((tmp_path / "b" / "slugify.report.json").read_text())
    # Both calls made again (one for tests from the spec's words, one for code): nothing came from a cache.
    assert report["service"]["calls"] == len(report["attempts"]) + 1 == 2 and report["spec_tests_call"]


def test_costs_are_priced_and_a_dollar_budget_stops_before_it_is_passed(server, write, tmp_path, monkeypatch) -> None:
    from toolfoundry.models import load_model

    prices = {f"openai-compatible:{server.url}/v1#m": [1000.0, 2000.0]}  # dear, so a few calls cost cents
    model = load_model(f"openai-compatible:{server.url}/v1#m", {key: tuple(v) for key, v in prices.items()})
    server.play(Step(body=openai_reply("x", prompt=10, completion=10)))
    llm = LLMService(ServiceSettings(max_cost_usd=0.05))
    small = request(max_tokens=10)
    asyncio.run(llm.complete(model, small))
    assert llm.ledger.cost_usd == pytest.approx((10 * 1000 + 10 * 2000) / 1e6)
    with pytest.raises(BudgetExceeded, match=r"budget of \$0.0500 would be passed"):
        for _ in range(5):
            asyncio.run(llm.complete(model, small))
    assert llm.ledger.cost_usd <= 0.05


def test_a_dollar_budget_without_a_price_is_refused_up_front(spec_file, server, tmp_path) -> None:
    result = runner.invoke(
        app,
        [
            "generate",
            str(spec_file),
            "-o",
            str(tmp_path / "o"),
            "--model",
            f"openai-compatible:{server.url}/v1#m",
            "--budget-usd",
            "1",
        ],
    )
    assert result.exit_code == 2 and "--budget-usd needs a price" in result.stderr
    assert server.requests == []


@requires_sandbox
def test_the_canary_key_reaches_no_report_cache_log_or_message(
    spec_file, server, tmp_path, monkeypatch, caplog
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "tools"
    arguments = [
        "generate",
        str(spec_file),
        "-o",
        str(out),
        "--model",
        "openai:gpt-4o-mini",
        "--rounds",
        "1",
        "--samples",
        "2",
    ]
    # A provider that echoes the key in its error, then one that answers.
    server.play(Step(401, {"error": {"message": f"Incorrect API key provided: {CANARY}", "code": "invalid_api_key"}}))
    refused = runner.invoke(app, arguments)
    server.play(Step(body=openai_reply(GOOD_SLUGIFY)))
    answered = runner.invoke(app, [*arguments[:3], str(tmp_path / "tools2"), *arguments[4:]])
    assert answered.exit_code == 0, answered.output
    assert server.requests and server.requests[0]["headers"]["authorization"] == f"Bearer {CANARY}"  # it was used
    cache_files = list(Path(os.environ["TOOLFOUNDRY_CACHE"]).parent.glob("responses.sqlite3*"))
    places = {
        "stdout": refused.stdout + answered.stdout,
        "stderr": refused.stderr + answered.stderr,
        "logs": caplog.text,
        "cache": b"".join(path.read_bytes() for path in cache_files).decode(errors="ignore"),
    }
    for folder in (out, tmp_path / "tools2"):
        for path in folder.iterdir():
            places[str(path)] = path.read_text()
    assert cache_files and "slugify" in places["cache"]
    refusal = json.loads((out / "slugify.report.json").read_text())
    assert len(refusal["attempts"]) == 1  # a rejected key is not tried again
    assert "rejected the credentials (HTTP 401)" in refusal["attempts"][0]["error"]
    assert "[REDACTED]" in refusal["attempts"][0]["error"]
    leaked = [place for place, text in places.items() if CANARY in text or "CANARY-do-not-leak" in text]
    assert leaked == []


def test_rate_limits_come_from_the_config_file_and_bad_ones_are_named(spec_file, server, tmp_path, monkeypatch) -> None:
    from toolfoundry import settings

    config = tmp_path / "config.toml"
    monkeypatch.setenv("TOOLFOUNDRY_CONFIG", str(config))
    config.write_text('[limits.ollama]\nrequests_per_minute = "lots"\n')
    settings._config_file.cache_clear()
    result = runner.invoke(app, ["generate", str(spec_file), "-o", str(tmp_path / "o"), "--model", "ollama:x"])
    assert result.exit_code == 2 and "limits.ollama.requests_per_minute: expected a positive number" in result.stderr
    config.write_text("[limits.ollama]\nrequests_per_minute = 30\nmax_concurrent = 2\n")
    settings._config_file.cache_clear()
    assert settings.provider_limits() == {"ollama": {"requests_per_minute": 30, "max_concurrent": 2}}
