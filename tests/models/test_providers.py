"""OpenAI and Anthropic providers over their real wire protocols, against a fault-injecting loopback server.
Waits are asserted on an injected clock: no test sleeps for a backoff."""

from __future__ import annotations

import asyncio
import sys

import pytest

from tests.fault_server import FaultServer, Step, anthropic_reply, openai_reply
from tests.helpers import FakeTime
from toolfoundry.errors import AuthenticationFailed, CircuitOpen, ConfigError, ModelError, QuotaExhausted
from toolfoundry.models import CompletionRequest, Message, load_model
from toolfoundry.models.anthropic_provider import AnthropicModel
from toolfoundry.models.openai_provider import OpenAIModel
from toolfoundry.service import LLMService, ProviderLimits, RetryPolicy, ServiceSettings

KEY = "sk-test-CANARY0123456789abcdef"
REQUEST = CompletionRequest(
    messages=(Message(role="system", content="Be brief."), Message(role="user", content="Write f.")),
    max_tokens=64,
    seed=1,
    timeout_s=2.0,
)


def service(fake_time: FakeTime, **settings) -> LLMService:
    settings.setdefault("retry", RetryPolicy(max_retries=3, base_delay_s=0.5, jitter=0.5))
    return LLMService(ServiceSettings(**settings), sleep=fake_time.sleep, clock=fake_time.clock, seed=1, grace_s=1.0)


def openai_model(server: FaultServer) -> OpenAIModel:
    return OpenAIModel("m", "openai:m", base_url=f"{server.url}/v1", api_key=KEY)


def anthropic_model(server: FaultServer, **options) -> AnthropicModel:
    return AnthropicModel("m", "anthropic:m", api_key=KEY, base_url=server.url, **options)


def call(llm: LLMService, model, request: CompletionRequest = REQUEST):
    return asyncio.run(llm.complete(model, request))


def test_a_plain_reply_carries_text_and_usage(server, fake_time) -> None:
    server.play(Step(body=openai_reply("hello", prompt=11, completion=7)))
    completion = call(service(fake_time), openai_model(server))
    assert (completion.text, completion.usage.prompt_tokens, completion.usage.completion_tokens) == ("hello", 11, 7)
    sent = server.requests[0]
    assert sent["path"] == "/v1/chat/completions" and sent["json"]["seed"] == 1 and sent["json"]["model"] == "m"
    assert sent["headers"]["authorization"] == f"Bearer {KEY}"


def test_429_with_retry_after_waits_as_asked(server, fake_time) -> None:
    server.play(
        Step(429, {"error": {"message": "slow down", "type": "rate_limit"}}, {"Retry-After": "7"}),
        Step(body=openai_reply()),
    )
    call(service(fake_time), openai_model(server))
    assert len(server.requests) == 2 and fake_time.slept == [7.0]


def test_429_without_retry_after_backs_off_exponentially_with_jitter(server, fake_time) -> None:
    server.play(*[Step(429, {"error": {"message": "busy"}})] * 3, Step(body=openai_reply()))
    call(service(fake_time), openai_model(server))
    assert len(server.requests) == 4
    for retry, wait in enumerate(fake_time.slept):
        assert 0.25 * 2**retry <= wait <= 0.75 * 2**retry


@pytest.mark.parametrize("status", [500, 502, 503, 408])
def test_server_errors_are_retried(server, fake_time, status) -> None:
    server.play(Step(status, {"error": {"message": "oops"}}), Step(body=openai_reply("ok")))
    assert call(service(fake_time), openai_model(server)).text == "ok"
    assert len(server.requests) == 2 and len(fake_time.slept) == 1


def test_a_hang_past_the_timeout_is_retried(server, fake_time) -> None:
    server.play(Step(action="hang", seconds=1.5, body=openai_reply("late")), Step(body=openai_reply("ok")))
    quick = REQUEST.model_copy(update={"timeout_s": 0.3})
    assert call(service(fake_time), openai_model(server), quick).text == "ok"
    assert len(server.requests) == 2 and len(fake_time.slept) == 1


def test_a_dropped_connection_is_retried(server, fake_time) -> None:
    server.play(Step(action="drop"), Step(body=openai_reply("ok")))
    assert call(service(fake_time), openai_model(server)).text == "ok"
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    "broken", [b"{not json", {"id": "x", "object": "chat.completion", "choices": [], "created": 0, "model": "m"}]
)
def test_malformed_json_and_empty_choices_are_retried_then_reported(server, fake_time, broken) -> None:
    server.play(Step(body=broken))
    with pytest.raises(ModelError, match="gave up after 4 attempts"):
        call(service(fake_time), openai_model(server))
    assert len(server.requests) == 4 and len(fake_time.slept) == 3


def test_an_exhausted_quota_fails_at_once(server, fake_time) -> None:
    server.play(Step(429, {"error": {"code": "insufficient_quota", "message": "You exceeded your quota"}}))
    with pytest.raises(QuotaExhausted, match="quota is used up"):
        call(service(fake_time), openai_model(server))
    assert len(server.requests) == 1 and fake_time.slept == []


def test_a_bad_key_fails_at_once_and_the_message_hides_the_key(server, fake_time) -> None:
    server.play(Step(401, {"error": {"message": f"Incorrect API key provided: {KEY}", "code": "invalid_api_key"}}))
    with pytest.raises(AuthenticationFailed) as caught:
        call(service(fake_time), openai_model(server))
    assert len(server.requests) == 1 and KEY not in str(caught.value) and "[REDACTED]" in str(caught.value)


def test_other_client_errors_fail_at_once(server, fake_time) -> None:
    server.play(Step(400, {"error": {"message": "bad model", "code": "model_not_found"}}))
    with pytest.raises(ModelError, match="HTTP 400 model_not_found: bad model"):
        call(service(fake_time), openai_model(server))
    assert len(server.requests) == 1


def test_the_overall_deadline_stops_retrying(server, fake_time) -> None:
    server.play(Step(503, {"error": {"message": "down"}}, {"Retry-After": "20"}))
    with pytest.raises(ModelError, match="the deadline would pass"):
        call(service(fake_time, deadline_s=30), openai_model(server))
    assert fake_time.slept == [20.0] and len(server.requests) == 2


def test_anthropic_messages_protocol_with_system_and_prefill(server, fake_time) -> None:
    server.play(Step(body=anthropic_reply("    return 1\n", prompt=13, completion=5)))
    prefilled = REQUEST.model_copy(update={"prefill": "```python\ndef f() -> int:\n    ", "stop": ("```",)})
    completion = call(service(fake_time), anthropic_model(server, supports_prefill=True), prefilled)
    assert completion.usage.prompt_tokens == 13 and completion.usage.completion_tokens == 5
    sent = server.requests[0]
    assert sent["path"] == "/v1/messages" and KEY in (
        sent["headers"].get("x-api-key"),
        sent["headers"].get("authorization", "").removeprefix("Bearer "),
    )
    assert sent["json"]["system"] == "Be brief."
    assert sent["json"]["messages"][-1] == {"role": "assistant", "content": "```python\ndef f() -> int:"}
    assert sent["json"]["stop_sequences"] == ["```"]


def test_anthropic_overload_is_retried_and_401_is_not(server, fake_time) -> None:
    server.play(
        Step(529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        Step(body=anthropic_reply("ok")),
    )
    assert call(service(fake_time), anthropic_model(server)).text == "ok"
    server.play(Step(401, {"type": "error", "error": {"type": "authentication_error", "message": "bad key"}}))
    with pytest.raises(AuthenticationFailed):
        call(service(fake_time), anthropic_model(server))
    assert len(server.requests) == 1


def test_the_circuit_opens_fails_fast_then_probes_once(server, fake_time) -> None:
    llm = service(fake_time, retry=RetryPolicy(max_retries=0), limits={"openai": ProviderLimits(3, 60.0)})
    model = openai_model(server)
    server.play(Step(503, {"error": {"message": "down"}}))
    for _ in range(3):
        with pytest.raises(ModelError):
            call(llm, model)
    assert llm.snapshot()["breakers"]["openai"]["state"] == "open"
    with pytest.raises(CircuitOpen, match="3 consecutive failures"):
        call(llm, model)
    assert len(server.requests) == 3  # failed fast: the server saw nothing
    fake_time.now += 61
    server.play(Step(body=openai_reply("back")))
    assert call(llm, model).text == "back"
    assert llm.snapshot()["breakers"]["openai"] == {"state": "closed", "consecutive_failures": 0, "times_opened": 1}


def test_a_failed_probe_reopens_the_circuit(server, fake_time) -> None:
    llm = service(fake_time, retry=RetryPolicy(max_retries=0), limits={"openai": ProviderLimits(1, 10.0)})
    server.play(Step(500, {"error": {"message": "x"}}))
    with pytest.raises(ModelError):
        call(llm, openai_model(server))
    fake_time.now += 11
    with pytest.raises(ModelError, match="gave up"):
        call(llm, openai_model(server))  # the probe
    with pytest.raises(CircuitOpen):
        call(llm, openai_model(server))
    assert len(server.requests) == 2


def test_requests_per_minute_are_limited_per_provider(server, fake_time) -> None:
    llm = service(fake_time, limits={"openai": ProviderLimits(requests_per_minute=2)})
    server.play(Step(body=openai_reply()))
    for _ in range(3):
        call(llm, openai_model(server))
    assert fake_time.slept == [60.0] and llm.snapshot()["rate_limit_wait_s"] == 60.0


def test_tokens_per_minute_are_limited(server, fake_time) -> None:
    llm = service(fake_time, limits={"openai": ProviderLimits(tokens_per_minute=150)})
    server.play(Step(body=openai_reply()))
    call(llm, openai_model(server))
    call(llm, openai_model(server))  # each request may use ~70 tokens: the second fits, a third does not
    call(llm, openai_model(server))
    assert fake_time.slept and fake_time.slept[0] == 60.0


def test_concurrent_requests_are_capped(server) -> None:
    llm = LLMService(ServiceSettings(limits={"openai": ProviderLimits(max_concurrent=2)}))
    server.play(Step(action="hang", seconds=0.3, body=openai_reply()))
    model = openai_model(server)
    in_flight = peak = 0
    original = model.complete

    async def counting(request):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            return await original(request)
        finally:
            in_flight -= 1

    model.complete = counting

    async def many():
        await asyncio.gather(*(llm.complete(model, REQUEST) for _ in range(5)))

    asyncio.run(many())
    assert peak == 2 and len(server.requests) == 5


def test_model_strings_for_each_provider(monkeypatch, server) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    assert isinstance(load_model("openai:gpt-4o-mini"), OpenAIModel)
    assert load_model("openai:gpt-4o-mini").usd_per_million_tokens == (0.15, 0.60)
    compatible = load_model(f"openai-compatible:{server.url}/v1#smollm2")
    assert compatible.model == "smollm2" and compatible.usd_per_million_tokens is None
    assert compatible._client_options["api_key"] != KEY  # an OpenAI key is never sent to another server
    assert load_model("ollama:qwen2.5-coder").usd_per_million_tokens == (0.0, 0.0)
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):
        load_model("anthropic:claude-3-5-haiku-latest")
    with pytest.raises(ConfigError, match="openai-compatible:<http"):
        load_model("openai-compatible:localhost-without-model")
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(ConfigError, match="set OPENAI_API_KEY"):
        load_model("openai:gpt-4o-mini")


def test_keys_come_from_the_config_file_too(monkeypatch, tmp_path) -> None:
    from toolfoundry import settings

    config = tmp_path / "config.toml"
    config.write_text(f'anthropic_api_key = "{KEY}"\n')
    monkeypatch.setenv("TOOLFOUNDRY_CONFIG", str(config))
    settings._config_file.cache_clear()
    assert load_model("anthropic:claude-3-5-haiku-latest").name == "anthropic:claude-3-5-haiku-latest"


def test_a_missing_sdk_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "anthropic", None)
    with pytest.raises(ConfigError, match=r"pip install 'toolfoundry\[anthropic\]'"):
        AnthropicModel("m", "anthropic:m", api_key=KEY)


def test_a_closed_block_is_told_from_an_open_one_and_from_one_without_the_function() -> None:
    from toolfoundry.models.base import closed_block_with

    assert closed_block_with("Here:\n```python\ndef add(a, b):\n    return a + b\n```", "def add(")
    assert not closed_block_with("```python\ndef add(a, b):\n    return a + b\n", "def add(")  # still open
    assert not closed_block_with("```bash\npip install x\n```\n```python\ndef add(", "def add(")
    assert closed_block_with("```bash\npip x\n```\ntext\n```python\ndef add(a):\n  pass\n```", "def add(")
