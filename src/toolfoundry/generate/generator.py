"""LLMCodeGenerator: one spec through every stage, ending in a module and a truthful report."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .._version import __version__
from ..checks import CodeValidator, ExampleRunner, SandboxRunner
from ..errors import ConfigError
from ..evidence import EvidencePolicy
from ..library import ToolLibrary
from ..models import DEFAULT_MODEL, ChatModel, load_model
from ..models.prices import Price
from ..output import ImplementationInjector, stub_code
from ..report import GeneratorIdentity, Status, TokenTotals, ToolReport, reusable
from ..service import LLMService, ServiceSettings, total_cost
from ..spec import ToolSpec
from .context import Context, ContextBuilder
from .earlier import EarlierCandidate
from .prompting import PromptBuilder
from .repair import RepairLoop, RepairPolicy, RunHooks
from .retrieval import retrieval_pool


@dataclass(frozen=True)
class GeneratedTool:
    spec: ToolSpec
    implementation: str  # the function (and its imports) as checked
    module_source: str  # the whole module to write
    report: ToolReport

    @property
    def status(self) -> Status:
        return self.report.status


class LLMCodeGenerator:
    """Orchestrates context, prompts, the model chain, checks, the repair loop and injection for one spec."""

    def __init__(
        self,
        llm_service: LLMService,
        prompt_builder: PromptBuilder,
        context_builder: ContextBuilder,
        code_validator: CodeValidator,
        implementation_injector: ImplementationInjector,
        repair_loop: RepairLoop,
        models: list[ChatModel],
        library: ToolLibrary | None = None,
        fresh: bool = False,
    ) -> None:
        if not models:
            raise ConfigError("LLMCodeGenerator needs at least one model")
        self.llm_service = llm_service
        self.prompt_builder = prompt_builder
        self.context_builder = context_builder
        self.code_validator = code_validator
        self.implementation_injector = implementation_injector
        self.repair_loop = repair_loop
        self.models = models
        self.library = library  # verified tools: reused by the one reuse rule (report.reusable), every new one added
        self.fresh = fresh  # generate even when the library holds the spec

    @classmethod
    def create(
        cls,
        model: str | ChatModel = DEFAULT_MODEL,
        fallback_models: tuple[str | ChatModel, ...] = (),
        policy: RepairPolicy | None = None,
        runner: ExampleRunner | None = None,
        *,
        evidence: EvidencePolicy | None = None,
        prompt_style: str | None = None,
        library: ToolLibrary | None = None,
        fresh: bool = False,
        context_budget_tokens: int = 1200,
        prices: dict[str, Price] | None = None,
        service: ServiceSettings | None = None,
        llm_service: LLMService | None = None,
    ) -> LLMCodeGenerator:
        """The one way to build a generator (the CLI, the library API and the benchmarks all come here): models
        given as strings are loaded, every stage gets its default unless given. The prompt style is the first
        model's preference unless given (small local models prefer `compact`). `service` settles every model
        call (timeout, deadline, budgets, cache, limits, retries); `llm_service` replaces the service whole
        (tests inject clocks), so it comes with its own settings, never with `service`."""
        if service is not None and llm_service is not None:
            raise ConfigError("give LLMCodeGenerator.create the service's settings or a whole llm_service, not both")
        chain = [load_model(item, prices) if isinstance(item, str) else item for item in (model, *fallback_models)]
        prompts = PromptBuilder(style=prompt_style or chain[0].prompt_style)
        llm_service = llm_service or LLMService(service, prompt_version=prompts.version)
        validator = CodeValidator(runner=runner or SandboxRunner(), evidence=evidence)
        return cls(
            llm_service=llm_service,
            prompt_builder=prompts,
            context_builder=ContextBuilder(
                library=retrieval_pool(library), count_tokens=chain[0].count_tokens, budget_tokens=context_budget_tokens
            ),
            code_validator=validator,
            implementation_injector=ImplementationInjector(),
            repair_loop=RepairLoop(llm_service, prompts, validator, policy),
            models=chain,
            library=library,
            fresh=fresh,
        )

    @property
    def identity(self) -> GeneratorIdentity:
        """What its results are made under (the first model, the prompt version, the evidence options): what its
        reports record, and what a result made before must match to be reused."""
        return GeneratorIdentity(
            model=self.models[0].name,
            prompt_version=self.prompt_builder.version,
            evidence_options=self.code_validator.evidence.describe(),
        )

    def snapshot(self) -> dict[str, Any]:
        """The state of its model calls so far (breakers, cache hits, spend), for a report."""
        return self.llm_service.snapshot()

    async def generate_code(
        self,
        tool_specification: ToolSpec,
        hooks: RunHooks | None = None,
        earlier: Sequence[EarlierCandidate] = (),
    ) -> GeneratedTool:
        """One spec through every stage. `hooks` are a batch's: an attempt observer and shared call slots.
        `earlier`: code an earlier run checked, checked again first (after a review: no call when one fits)."""
        spec, identity = tool_specification, self.identity
        started = time.monotonic()
        if self.library is not None and not self.fresh and not earlier:
            reused = await self._from_library(spec, identity, started)
            if reused is not None:
                return reused
        # The compact prompt carries no context; an empty one keeps the report from naming tools it never saw.
        compact = self.prompt_builder.style == "compact"
        context = Context(sections=[]) if compact else self.context_builder.build_context(spec)
        outcome = await self.repair_loop.run(spec, context, self.models, hooks, earlier)
        verdict, kept = outcome.verdict(), outcome.kept
        implementation = kept.code if kept else stub_code(spec, verdict.reason)
        report = ToolReport(
            tool=spec.name,
            status=verdict.status,
            reason=verdict.reason,
            spec_hash=spec.spec_hash(),
            model=identity.model,
            models_used=sorted({attempt.model for attempt in outcome.attempts}),  # who wrote code, called now or not
            chosen_attempt=kept.attempt if kept else None,
            stopped=outcome.stopped,
            attempts=outcome.attempts,
            findings=kept.result.findings if kept else [],
            examples=kept.result.behaviour.outcomes if kept else [],
            examples_ran=kept.result.behaviour.ran if kept else False,
            evidence=outcome.evidence(),
            review=outcome.review(),
            spec_tests_call=outcome.tests_call,
            tokens=TokenTotals(
                prompt=sum(call.prompt_tokens for call in outcome.calls if not call.cached),
                completion=sum(call.completion_tokens for call in outcome.calls if not call.cached),
            ),
            cost_usd=total_cost(call.cost_usd for call in outcome.calls),
            service=self.snapshot(),
            seconds=round(time.monotonic() - started, 3),
            context={
                "similar_tools": context.example_names,
                "dropped_sections": context.dropped,
                "tokens": context.tokens,
                "budget": context.budget,
            },
            sandbox=kept.result.behaviour.limits if kept else {},
            toolfoundry_version=__version__,
            prompt_version=identity.prompt_version,
        )
        if verdict.status == "verified" and self.library is not None:
            stored = await asyncio.to_thread(
                self.library.add,
                spec,
                implementation,
                report.model_dump(mode="json"),
                ", ".join(report.models_used),
                __version__,
                identity.prompt_version,
            )
            report = report.model_copy(
                update={"library": {"added": True, "version": stored.version, "path": str(self.library.path)}}
            )
        module = await asyncio.to_thread(  # parses and runs ruff: off the event loop
            self.implementation_injector.inject,
            implementation,
            spec,
            status=verdict.status,
            reason=verdict.reason,
            model=", ".join(report.models_used),
            evidence=report.evidence_line,
        )
        return GeneratedTool(spec=spec, implementation=implementation, module_source=module, report=report)

    async def _from_library(self, spec: ToolSpec, identity: GeneratorIdentity, started: float) -> GeneratedTool | None:
        """The stored tool for this exact spec, when the reuse rule keeps it and its checks still pass today; no
        model call."""
        stored = await asyncio.to_thread(self.library.find, spec.spec_hash())
        if stored is None or not reusable(ToolReport.from_data(stored.report), spec, identity):
            return None
        result = await asyncio.to_thread(self.code_validator.validate, stored.code, spec)
        if not result.verified:
            return None  # checks have grown stricter since it was stored: generate anew
        report = ToolReport(
            tool=spec.name,
            status="verified",
            spec_hash=spec.spec_hash(),
            model=stored.model,
            models_used=[],
            findings=result.findings,
            examples=result.behaviour.outcomes,
            examples_ran=True,
            evidence=result.evidence(),
            seconds=round(time.monotonic() - started, 3),
            sandbox=result.behaviour.limits,
            library={
                "reused": True,
                "version": stored.version,
                "path": str(self.library.path),
                "generated_by": stored.model,
                "created": stored.created,
            },
            toolfoundry_version=__version__,
            prompt_version=identity.prompt_version,
            service=self.snapshot(),
        )
        module = await asyncio.to_thread(
            self.implementation_injector.inject,
            stored.code,
            spec,
            status="verified",
            model=f"{stored.model} (from the tool library)",
            evidence=report.evidence_line,
        )
        return GeneratedTool(spec=spec, implementation=stored.code, module_source=module, report=report)

    def generate_code_sync(self, tool_specification: ToolSpec) -> GeneratedTool:
        return asyncio.run(self.generate_code(tool_specification))
