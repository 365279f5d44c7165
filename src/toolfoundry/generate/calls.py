"""One model call of the repair loop, for code or for tests: the request as the loop words it, and how the call
ended (the reply, or the model error, with the attempt record's fields so far)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from ..checks.result import ValidationResult
from ..errors import BudgetExceeded, ModelError
from ..models.base import ChatModel, Completion, CompletionRequest, Message
from ..service import LLMService, cost_usd


@dataclass(frozen=True)
class ModelCall:
    """How one model call ended: the reply (its prefill included) or the error, and the attempt record's
    fields so far (usage, or the error's text)."""

    reply: str
    error: ModelError | None
    fields: dict[str, Any]


def usage_fields(model: ChatModel, completion: Completion) -> dict[str, Any]:
    """What a finished call cost, as AttemptRecord fields; a reply from the cache cost nothing."""
    usage = completion.usage
    price = model.usd_per_million_tokens
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "seconds": completion.seconds,
        "cached": completion.cached,
        "cost_usd": 0.0 if completion.cached else cost_usd(price, usage.prompt_tokens, usage.completion_tokens),
    }


async def call_model(
    service: LLMService,
    model: ChatModel,
    messages: tuple[Message, ...],
    prefill: str,
    *,
    max_tokens: int,
    temperature: float,
    seed: int,
    kind: str,
    call_slots: asyncio.Semaphore | None,
    number: int = 0,  # the call for tests is not a numbered attempt
    function_name: str = "",  # a free reply for code ends once a closed block defines it
) -> ModelCall:
    """One model call, for code or for tests (`kind`), its reply begun with `prefill` ("": none). A spent
    budget ends the loop (it propagates); any other model error is the call's result, for the caller to record."""
    request = CompletionRequest(
        messages=messages,
        temperature=temperature,
        max_tokens=max_tokens,
        seed=seed,
        prefill=prefill,
        stop=("```",) if prefill else (),  # a continued reply ends where it closes the fence the prefill opened
        stop_after_block=f"def {function_name}(" if function_name and not prefill else "",
        purpose="tests" if kind == "tests" else "code",
    )
    fields: dict[str, Any] = {
        "number": number,
        "model": model.name,
        "kind": kind,
        "temperature": temperature,
        "strategy": "prefill" if prefill else "free",
    }
    try:
        completion = await service.complete(model, request, call_slots)
    except BudgetExceeded:
        raise
    except ModelError as error:
        return ModelCall(reply="", error=error, fields=fields | {"error": str(error)})
    # With a prefill the reply continues it; the unclosed fence is fine for extraction.
    return ModelCall(
        reply=request.prefill + completion.text, error=None, fields=fields | usage_fields(model, completion)
    )


def checked_fields(code: str | None, result: ValidationResult) -> dict[str, Any]:
    """What the checks said of one candidate, as AttemptRecord fields (beside usage_fields: what it cost)."""
    return {
        "code": code,
        "findings": result.findings,
        "examples": result.behaviour.outcomes,
        "examples_ran": result.behaviour.ran,
        "examples_passed": result.examples_passed,
        "probes_ran": result.behaviour.probes.ran,
        "probes_failed": result.probe_failures,
        "tests_failed": sum(not test.passed for test in result.behaviour.test_outcomes),
        "verified": result.verified,
    }
