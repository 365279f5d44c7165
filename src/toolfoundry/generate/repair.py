"""RepairLoop: the loop that turns replies into the best candidate it can, honestly labelled.

For each model in the chain (primary, then fallbacks): sample several candidates from the initial prompt,
then from repair prompts quoting the best candidate's findings and failed examples; stop at the first
verified candidate, or when repairs stop making progress (progress.py), and hand over to the next model at
once. Cheap mends run on every reply before the checks; code already checked is not checked again. When
nothing usable comes out, the last resort is a stub that raises NotImplementedError: never a fake
implementation. What happens is recorded in a RepairOutcome (outcome.py), which gives the verdict; one model
call is calls.py's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from ..checks.findings import Finding
from ..checks.result import ValidationResult
from ..checks.validator import CodeValidator
from ..errors import AuthenticationFailed, BudgetExceeded, CircuitOpen, QuotaExhausted
from ..models.base import ChatModel
from ..report import AttemptRecord
from ..service import LLMService
from ..spec import Example, ToolSpec
from .calls import call_model, checked_fields
from .context import Context
from .earlier import EarlierCandidate, checked_again
from .extract import ExtractedCode, extract_code
from .mend import mend
from .outcome import Candidate, RepairOutcome
from .policy import RepairPolicy, RunHooks
from .progress import PROBES_ASKED_NO_CODE, PROBES_ASKED_ONCE, Progress
from .prompting import Prompt, PromptBuilder
from .quoting import probes_to_quote
from .spec_tests import read_spec_tests, spec_tests_messages

# Errors after which a model is skipped for the rest of the run rather than called again.
_MODEL_UNUSABLE = (AuthenticationFailed, QuotaExhausted, CircuitOpen)


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
        self,
        spec: ToolSpec,
        context: Context,
        models: list[ChatModel],
        hooks: RunHooks | None = None,
        earlier: Sequence[EarlierCandidate] = (),
    ) -> RepairOutcome:
        outcome = RepairOutcome(self.code_validator.evidence)
        hooks = hooks or RunHooks()
        progress = Progress(patience=self.policy.patience, draws_per_repair=len(self.policy.slots(repairing=True)))
        if earlier:
            await self._recheck(spec, earlier, outcome, hooks, progress)
            if outcome.verified:
                outcome.record_stop(f"re-chosen among {len(earlier)} candidates checked before: no model call")
                outcome.finish()
                return outcome
            outcome.record_stop(f"none of {len(earlier)} candidates checked before passes every check now")
        # Prompts show the spec without its held-back examples; the checks judge on the whole spec.
        shown = (await asyncio.to_thread(self.code_validator.plan, spec)).shown
        for position, model in enumerate(models):
            try:
                if position == 0:
                    await self._ask_for_tests(spec, shown, model, outcome, hooks)
                progress.start_model()
                stop = await self._run_model(spec, shown, context, model, outcome, hooks, progress)
                outcome.record_stop(f"{model.name}: {stop}")
            except BudgetExceeded as error:
                outcome.record_budget_stop(error)
                break
            except _MODEL_UNUSABLE as error:
                outcome.record_stop(f"{model.name}: unusable ({type(error).__name__})")
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
        progress: Progress,
    ) -> str:
        """The model's rounds, until one rule stops them; the rule, in the report's words."""
        for round_number in range(self.policy.rounds):
            best = outcome.best
            asking_about_probes = False  # this round is the one repair asked for probe failures alone
            # A candidate that passed everything has nothing to repair: more agreeing ones come from the start.
            if best is None or round_number == 0 or not outcome.needs_repair:
                prompt = self.prompt_builder.build_prompt(shown, context)
            else:
                tests = outcome.blocking_tests(best)
                # Probe failures are inputs the spec may not rule on: each is quoted once, not every round.
                result = best.result
                probes = probes_to_quote(result.behaviour.probes.failures, progress.asked, result.shown_failures)
                if not (result.blocking_findings or result.failed_examples or tests or probes):
                    return "nothing new to repair: the probe failures left were quoted in an earlier repair"
                if outcome.only_probes_fail:
                    if progress.probes_asked:
                        return PROBES_ASKED_ONCE
                    progress.probes_asked = asking_about_probes = True  # asked once: one call, not a round
                progress.asked.update(failure.call for failure in probes[:3])
                prompt = self.prompt_builder.build_repair_prompt(shown, context, best.code, result, tests, probes[:3])
            slots = self.policy.slots(repairing=prompt.kind == "repair")
            for sample in slots[-1:] if asking_about_probes else slots:
                candidate = await self._attempt(spec, model, prompt, (round_number, sample), outcome, hooks, progress)
                if outcome.verified:
                    return f"verified at attempt {outcome.best.attempt if outcome.best else len(outcome.attempts)}"
                if asking_about_probes:
                    return PROBES_ASKED_ONCE if candidate is not None else PROBES_ASKED_NO_CODE
                if candidate is not None and candidate is outcome.best and outcome.only_probes_fail:
                    break  # this draw met every example: more draws of its prompt are not the remedy, a repair is
                if candidate is not None and candidate.result.is_valid and not candidate.result.behaviour.ran:
                    return "nothing failed, and the examples cannot run here: more samples cannot do better"
                if candidate is not None and candidate.result.behaviour.cannot_run:
                    return "its examples need hosts the checks cannot reach: no sample or repair changes that"
                if progress.stalled_out:
                    return progress.reason(outcome.best.result if outcome.best else None)
            if outcome.cannot_improve:
                return "nothing to feed back: more rounds cannot make the examples run"
        if outcome.only_probes_fail and not progress.probes_asked:
            return "its examples pass and only probes fail, and no round was left to ask about them (--rounds)"
        policy = self.policy
        return f"every attempt made ({policy.samples_per_round} samples, {policy.rounds - 1} repair rounds)"

    async def _recheck(
        self,
        spec: ToolSpec,
        earlier: Sequence[EarlierCandidate],
        outcome: RepairOutcome,
        hooks: RunHooks,
        progress: Progress,
    ) -> None:
        """Each earlier candidate checked on the spec as it is now, recorded as an attempt without a call."""
        for each in earlier:
            if progress.repeat_of(each.code) is not None:
                continue
            result = await asyncio.to_thread(self.code_validator.validate, each.code, spec)
            record, candidate = checked_again(each, result, number=len(outcome.attempts) + 1)
            self._record(spec, outcome, record, candidate, hooks)
            progress.note_checked(candidate)

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
        call = await call_model(
            self.llm_service,
            model,
            messages,
            prefill if use_prefill else "",
            max_tokens=self.policy.max_tokens_per_call,
            temperature=0.0,
            seed=self.policy.seed,
            kind="tests",
            call_slots=hooks.call_slots,
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
        progress: Progress,
    ) -> Candidate | None:
        policy = self.policy
        round_number, sample = position
        # Alternate styles: continuing a fixed signature helps weak models; a free reply helps when they balk.
        use_prefill = policy.prefill and model.supports_prefill and sample % 2 == 0
        temperature = policy.temperatures[sample % len(policy.temperatures)] if sample or round_number else 0.0
        number = len(outcome.attempts) + 1
        call = await call_model(
            self.llm_service,
            model,
            prompt.messages,
            prompt.prefill if use_prefill else "",
            max_tokens=policy.max_tokens_per_call,
            temperature=temperature,
            seed=policy.seed + round_number * 100 + sample,
            kind=prompt.kind,
            number=number,
            function_name=spec.name,
            call_slots=hooks.call_slots,
        )
        if call.error is not None:
            self._record(spec, outcome, AttemptRecord(**call.fields), None, hooks)
            if isinstance(call.error, _MODEL_UNUSABLE):
                raise call.error  # more calls to this model cannot succeed: escalate
            return None
        before = outcome.best
        # Off the event loop, so concurrent generations keep going while this reply is read and checked.
        extracted, code, mends, result, same = await asyncio.to_thread(
            self._read_reply, call.reply, spec, outcome.tests, progress
        )
        record = AttemptRecord(
            **call.fields,
            **checked_fields(code, result),
            extraction=extracted.how,
            mends=mends,
            same_as=same.attempt if same else None,
        )
        if same is not None:  # the same candidate again: no new evidence, and no second agreeing vote
            self._record(spec, outcome, record, None, hooks)
            progress.note_attempt(prompt.kind, improved=False, repeated=True)
            return same
        candidate = Candidate(code=code, result=result, attempt=number, model=model.name) if code else None
        self._record(spec, outcome, record, candidate, hooks)
        if candidate is not None:
            progress.note_checked(candidate)
        improved = candidate is not None and (before is None or outcome.rank(candidate) > outcome.rank(before))
        progress.note_attempt(prompt.kind, improved)
        return candidate

    def _read_reply(
        self, reply: str, spec: ToolSpec, tests: list[Example], progress: Progress
    ) -> tuple[ExtractedCode, str | None, list[str], ValidationResult, Candidate | None]:
        """A reply into checked code: extracted, mended, validated, unless it is code already checked (that
        candidate comes back last). A reply that breaks a limit is refused with a finding that names the limit;
        code that does not parse gets a finding, never an exception."""
        extracted = extract_code(reply, spec.name)
        if extracted.problem:
            finding = Finding(rule="extract/refused", message=f"{extracted.problem}; reply with one short function")
            refused = ValidationResult.without_running([finding], len(spec.examples), "the reply was refused unread")
            return extracted, None, [], refused, None
        code, mends = mend(extracted.code, spec) if extracted.code else (None, [])
        if code and (same := progress.repeat_of(code)) is not None:
            return extracted, code, mends, same.result, same
        return extracted, code, mends, self.code_validator.validate(code, spec, tests), None

    @staticmethod
    def _record(
        spec: ToolSpec, outcome: RepairOutcome, attempt: AttemptRecord, candidate: Candidate | None, hooks: RunHooks
    ) -> None:
        outcome.record_attempt(attempt, candidate)
        if hooks.on_attempt is not None:
            hooks.on_attempt(spec.name, attempt)
