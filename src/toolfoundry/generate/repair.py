"""RepairLoop: the loop that turns replies into the best candidate it can, honestly labelled.

For each model in the chain (primary, then fallbacks): sample several candidates from the initial prompt,
then from repair prompts quoting the best candidate's findings and failed examples; stop at the first
verified candidate. Cheap mends run on every reply before the checks. When nothing usable comes out, the
last resort is a stub that raises NotImplementedError: never a fake implementation. What happens is recorded
in a RepairOutcome (outcome.py), which gives the verdict.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..checks.findings import Finding
from ..checks.result import ValidationResult
from ..checks.validator import CodeValidator
from ..errors import AuthenticationFailed, BudgetExceeded, CircuitOpen, ModelError, QuotaExhausted
from ..models.base import ChatModel, Completion, CompletionRequest, Message
from ..report import AttemptRecord
from ..service import LLMService, cost_usd
from ..spec import Example, ToolSpec
from .context import Context
from .extract import ExtractedCode, extract_code
from .mend import mend
from .outcome import Candidate, RepairOutcome
from .prompting import Prompt, PromptBuilder
from .spec_tests import read_spec_tests, spec_tests_messages

# Errors after which a model is skipped for the rest of the run rather than called again.
_MODEL_UNUSABLE = (AuthenticationFailed, QuotaExhausted, CircuitOpen)
# Told of every attempt as it ends, with the tool's name: for progress displays.
AttemptObserver = Callable[[str, AttemptRecord], None]


@dataclass(frozen=True)
class RepairPolicy:
    """How hard to try. Calls per model = rounds x samples_per_round."""

    rounds: int = 3  # the initial round plus repair rounds
    samples_per_round: int = 3
    temperatures: tuple[float, ...] = (0.2, 0.6, 0.9)
    max_tokens_per_call: int = 512
    seed: int = 0
    stub_on_failure: bool = True
    prefill: bool = True  # start every other sample with the exact signature, for models that can continue one


@dataclass(frozen=True)
class RunHooks:
    """What a caller running many specs at once lends one generation: an observer of its attempts, and the
    call slots its model calls share with the others (None: no cap)."""

    on_attempt: AttemptObserver | None = None
    call_slots: asyncio.Semaphore | None = None


@dataclass(frozen=True)
class _Call:
    """How one model call ended: the reply (its prefill included) or the error, and the attempt record's
    fields so far (usage, or the error's text)."""

    reply: str
    error: ModelError | None
    fields: dict[str, Any]


def _usage(model: ChatModel, completion: Completion) -> dict[str, Any]:
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


class RepairLoop:
    def __init__(
        self,
        llm_service: LLMService,
        prompt_builder: PromptBuilder,
        code_validator: CodeValidator,
        policy: RepairPolicy | None = None,
    ) -> None:
        self.llm_service = llm_service
        self.prompt_builder = prompt_builder
        self.code_validator = code_validator
        self.policy = policy or RepairPolicy()

    async def run(
        self, spec: ToolSpec, context: Context, models: list[ChatModel], hooks: RunHooks | None = None
    ) -> RepairOutcome:
        outcome = RepairOutcome(self.code_validator.evidence)
        hooks = hooks or RunHooks()
        # Prompts show the spec without its held-back examples; the checks judge on the whole spec.
        shown = (await asyncio.to_thread(self.code_validator.plan, spec)).shown
        for position, model in enumerate(models):
            try:
                if position == 0:
                    await self._ask_for_tests(spec, shown, model, outcome, hooks)
                await self._run_model(spec, shown, context, model, outcome, hooks)
            except BudgetExceeded as error:
                outcome.record_budget_stop(error)
                break
            except _MODEL_UNUSABLE:
                continue  # recorded in the attempt; the next model in the chain takes over
            if outcome.verified or outcome.cannot_improve:
                break
        outcome.finish()
        return outcome

    async def _run_model(
        self,
        spec: ToolSpec,
        shown: ToolSpec,
        context: Context,
        model: ChatModel,
        outcome: RepairOutcome,
        hooks: RunHooks,
    ) -> None:
        for round_number in range(self.policy.rounds):
            best = outcome.best
            # A candidate that passed everything has nothing to repair: more agreeing ones come from the start.
            if best is None or round_number == 0 or not outcome.needs_repair:
                prompt = self.prompt_builder.build_prompt(shown, context)
            else:
                tests = outcome.blocking_tests(best)
                prompt = self.prompt_builder.build_repair_prompt(shown, context, best.code, best.result, tests)
            for sample in range(self.policy.samples_per_round):
                candidate = await self._attempt(spec, model, prompt, (round_number, sample), outcome, hooks)
                if outcome.verified:
                    return
                if candidate is not None and candidate.result.is_valid and not candidate.result.behaviour.ran:
                    return  # nothing failed and the examples cannot run here: more samples cannot do better
                if candidate is not None and candidate.result.behaviour.cannot_run:
                    return  # its examples need hosts the checks cannot reach: no sample or repair changes that
            if outcome.cannot_improve:
                return  # no finding to feed back: more rounds cannot make the examples run

    async def _ask_for_tests(
        self, spec: ToolSpec, shown: ToolSpec, model: ChatModel, outcome: RepairOutcome, hooks: RunHooks
    ) -> None:
        """One call, apart from the code calls: test cases from the spec's words (spec_tests.py)."""
        if not self.code_validator.evidence.spec_tests:
            outcome.record_tests("not asked for")
            return
        if spec.reaches_outside:
            outcome.record_tests(
                "not asked for: the tool reaches files or the network, which a test line cannot set up"
            )
            return
        messages, prefill = spec_tests_messages(shown)
        use_prefill = self.policy.prefill and model.supports_prefill
        call = await self._call(
            model,
            messages,
            prefill if use_prefill else "",
            temperature=0.0,
            seed=self.policy.seed,
            kind="tests",
            hooks=hooks,
        )
        record = AttemptRecord(**call.fields)
        if call.error is not None:  # the code calls go on without tests; an unusable model escalates there
            outcome.record_tests(f"the call for tests failed: {call.error}", call=record)
            return
        found = await asyncio.to_thread(read_spec_tests, call.reply, spec)
        outcome.record_tests("" if found.tests else "the reply held no usable test", found.tests, record)

    async def _attempt(
        self,
        spec: ToolSpec,
        model: ChatModel,
        prompt: Prompt,
        position: tuple[int, int],  # (round, sample)
        outcome: RepairOutcome,
        hooks: RunHooks,
    ) -> Candidate | None:
        policy = self.policy
        round_number, sample = position
        # Alternate styles: continuing a fixed signature helps weak models; a free reply helps when they balk.
        use_prefill = policy.prefill and model.supports_prefill and sample % 2 == 0
        temperature = policy.temperatures[sample % len(policy.temperatures)] if sample or round_number else 0.0
        number = len(outcome.attempts) + 1
        call = await self._call(
            model,
            prompt.messages,
            prompt.prefill if use_prefill else "",
            temperature=temperature,
            seed=policy.seed + round_number * 100 + sample,
            kind=prompt.kind,
            number=number,
            hooks=hooks,
        )
        if call.error is not None:
            self._record(spec, outcome, AttemptRecord(**call.fields), None, hooks)
            if isinstance(call.error, _MODEL_UNUSABLE):
                raise call.error  # more calls to this model cannot succeed: escalate
            return None
        # Off the event loop, so concurrent generations keep going while this reply is read and checked.
        extracted, code, mends, result = await asyncio.to_thread(self._read_reply, call.reply, spec, outcome.tests)
        record = AttemptRecord(
            **call.fields,
            extraction=extracted.how,
            mends=mends,
            code=code,
            findings=result.findings,
            examples=result.behaviour.outcomes,
            examples_ran=result.behaviour.ran,
            examples_passed=result.examples_passed,
            probes_ran=result.behaviour.probes.ran,
            probes_failed=result.probe_failures,
            tests_failed=sum(not test.passed for test in result.behaviour.test_outcomes),
            verified=result.verified,
        )
        candidate = Candidate(code=code, result=result, attempt=number, model=model.name) if code else None
        self._record(spec, outcome, record, candidate, hooks)
        return candidate

    async def _call(
        self,
        model: ChatModel,
        messages: tuple[Message, ...],
        prefill: str,
        *,
        temperature: float,
        seed: int,
        kind: str,
        hooks: RunHooks,
        number: int = 0,  # the call for tests is not a numbered attempt
    ) -> _Call:
        """One model call, for code or for tests (`kind`), its reply begun with `prefill` ("": none). A spent
        budget ends the loop (it propagates); any other model error is the call's result, for the caller to record."""
        request = CompletionRequest(
            messages=messages,
            temperature=temperature,
            max_tokens=self.policy.max_tokens_per_call,
            seed=seed,
            prefill=prefill,
            stop=("```",) if prefill else (),  # a continued reply ends where it closes the fence the prefill opened
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
            completion = await self.llm_service.complete(model, request, hooks.call_slots)
        except BudgetExceeded:
            raise
        except ModelError as error:
            return _Call(reply="", error=error, fields=fields | {"error": str(error)})
        # With a prefill the reply continues it; the unclosed fence is fine for extraction.
        return _Call(reply=request.prefill + completion.text, error=None, fields=fields | _usage(model, completion))

    def _read_reply(
        self, reply: str, spec: ToolSpec, tests: list[Example]
    ) -> tuple[ExtractedCode, str | None, list[str], ValidationResult]:
        """A reply into checked code: extracted, mended, validated. A reply that breaks a limit is refused with
        a finding that names the limit; code that does not parse gets a finding, never an exception."""
        extracted = extract_code(reply, spec.name)
        if extracted.problem:
            finding = Finding(rule="extract/refused", message=f"{extracted.problem}; reply with one short function")
            refused = ValidationResult.without_running([finding], len(spec.examples), "the reply was refused unread")
            return extracted, None, [], refused
        code, mends = mend(extracted.code, spec) if extracted.code else (None, [])
        return extracted, code, mends, self.code_validator.validate(code, spec, tests)

    @staticmethod
    def _record(
        spec: ToolSpec, outcome: RepairOutcome, attempt: AttemptRecord, candidate: Candidate | None, hooks: RunHooks
    ) -> None:
        outcome.record_attempt(attempt, candidate)
        if hooks.on_attempt is not None:
            hooks.on_attempt(spec.name, attempt)
