import asyncio

import pytest

from tests.helpers import FakeTime
from toolfoundry.errors import BudgetExceeded, ModelError, RetryableModelError
from toolfoundry.models import CompletionRequest, Message, ScriptedModel
from toolfoundry.service import LLMService, RetryPolicy, ServiceSettings

REQUEST = CompletionRequest(messages=(Message(role="user", content="write code"),), max_tokens=50)


def service_with_recorded_sleeps(grace_s: float = 5.0, **settings) -> tuple[LLMService, list[float]]:
    fake = FakeTime()
    return LLMService(ServiceSettings(**settings), sleep=fake.sleep, seed=7, grace_s=grace_s), fake.slept


def test_transient_failures_are_retried_with_growing_jittered_waits() -> None:
    model = ScriptedModel([RetryableModelError("overloaded"), TimeoutError(), ConnectionError("reset"), "done"])
    service, slept = service_with_recorded_sleeps(retry=RetryPolicy(max_retries=3, base_delay_s=1.0, jitter=0.5))
    completion = asyncio.run(service.complete(model, REQUEST))
    assert completion.text == "done"
    assert len(model.requests) == 4 and len(slept) == 3
    for retry, wait in enumerate(slept):
        assert 0.5 * 2**retry <= wait <= 1.5 * 2**retry  # exponential, within the jitter band
    assert len(set(slept)) == 3
    assert service.ledger.calls == 1 and service.ledger.failed_calls == 3


def test_retries_give_up_with_a_clear_error() -> None:
    model = ScriptedModel([RetryableModelError("overloaded")])
    service, slept = service_with_recorded_sleeps(retry=RetryPolicy(max_retries=2))
    with pytest.raises(ModelError, match="gave up after 3 attempts: RetryableModelError: overloaded"):
        asyncio.run(service.complete(model, REQUEST))
    assert len(model.requests) == 3 and len(slept) == 2


def test_non_retryable_errors_fail_at_once() -> None:
    model = ScriptedModel([ModelError("bad request"), "never"])
    service, slept = service_with_recorded_sleeps()
    with pytest.raises(ModelError, match="bad request"):
        asyncio.run(service.complete(model, REQUEST))
    assert len(model.requests) == 1 and slept == []


def test_a_hanging_call_times_out_and_is_retried() -> None:
    calls = 0

    class Hangs(ScriptedModel):
        async def complete(self, request):
            nonlocal calls
            calls += 1
            if calls == 1:
                await asyncio.sleep(60)
            return await super().complete(request)

    service, slept = service_with_recorded_sleeps(timeout_s=0.05, grace_s=0.0)
    completion = asyncio.run(service.complete(Hangs(["ok"]), REQUEST))
    assert completion.text == "ok" and calls == 2 and len(slept) == 1


def test_usage_is_accounted_per_model() -> None:
    service, _ = service_with_recorded_sleeps()
    model = ScriptedModel(["a reply of some words"], name="scripted:a")
    asyncio.run(service.complete(model, REQUEST))
    asyncio.run(service.complete(model, REQUEST))
    usage = service.ledger.by_model["scripted:a"]
    assert usage.completion_tokens == 2 * model.count_tokens("a reply of some words")
    assert usage.prompt_tokens == 2 * model.count_tokens("write code")
    assert service.ledger.cost_usd == 0.0


def test_a_call_that_could_pass_the_token_budget_is_refused_before_it_is_made() -> None:
    model = ScriptedModel(["x" * 40])
    service, _ = service_with_recorded_sleeps(max_tokens_total=60)
    asyncio.run(service.complete(model, REQUEST))
    with pytest.raises(BudgetExceeded, match="token budget of 60"):
        asyncio.run(service.complete(model, REQUEST))
    assert len(model.requests) == 1


def test_a_timeout_names_the_limit_that_was_hit(caplog: pytest.LogCaptureFixture) -> None:
    class HangsOnce(ScriptedModel):
        async def complete(self, request):
            if not self.requests:
                self.requests.append(request)
                await asyncio.sleep(60)
            return await super().complete(request)

    service, _slept = service_with_recorded_sleeps(timeout_s=0.05, grace_s=0.0)
    with caplog.at_level("WARNING", logger="toolfoundry.service"):
        asyncio.run(service.complete(HangsOnce(["ok"]), REQUEST))
    (line,) = [record.getMessage() for record in caplog.records]
    assert "TimeoutError: no reply within the call timeout of 0.05s (--timeout)" in line
