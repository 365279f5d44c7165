"""The generation loop end to end with the shipped scripted model and the real sandbox."""

import asyncio

import pytest

from tests.helpers import GOOD_SLUGIFY, requires_sandbox
from toolfoundry import LLMCodeGenerator, ScriptedModel, ToolDesignerAgent
from toolfoundry.errors import ConfigError, ModelError, SpecError
from toolfoundry.generate import RepairPolicy, RunHooks
from toolfoundry.models.base import CompletionRequest
from toolfoundry.service import LLMService, ServiceSettings

pytestmark = requires_sandbox
POLICY = RepairPolicy(rounds=2, samples_per_round=2, repair_samples=2)  # 4 calls: both slots in repairs
WRONG = '```python\ndef slugify(text: str) -> str:\n    """S."""\n    return text.upper()\n```'
HALF_RIGHT = (
    '```python\ndef slugify(text: str) -> str:\n    """S."""\n    return text.lower().replace(\' \', \'-\')\n```'
)
UNSAFE = GOOD_SLUGIFY.replace("    return", "    __import__('os').system('true')\n    return")


def generate(spec, *models, policy=POLICY, service=None):
    generator = LLMCodeGenerator.create(model=models[0], fallback_models=models[1:], policy=policy, llm_service=service)
    return generator.generate_code_sync(spec)


def user_text(request: CompletionRequest) -> str:
    return request.messages[-1].content


def test_a_good_first_reply_is_verified_with_one_call(slug_spec) -> None:
    model = ScriptedModel([GOOD_SLUGIFY])
    tool = generate(slug_spec, model)
    assert tool.status == "verified" and tool.report.reason == ""
    assert len(model.requests) == 1 and len(tool.report.attempts) == 1
    assert all(outcome.passed for outcome in tool.report.examples) and tool.report.examples_ran
    assert tool.report.sandbox["kind"] == "bubblewrap"


def test_findings_are_fed_back_and_the_repair_is_verified(slug_spec) -> None:
    def responder(request: CompletionRequest) -> str:
        return GOOD_SLUGIFY if "What is wrong with it" in user_text(request) else WRONG

    model = ScriptedModel(responder)
    tool = generate(slug_spec, model)
    assert tool.status == "verified"
    repair = model.requests[-1]
    assert "example slugify(text='Hello World'): expected 'hello-world', got 'HELLO WORLD'" in user_text(repair)
    assert [attempt.kind for attempt in tool.report.attempts] == ["initial", "initial", "repair"]


def test_the_best_candidate_is_kept_when_none_passes(slug_spec) -> None:
    model = ScriptedModel(["no code here, sorry", HALF_RIGHT, "```python\ndef slugify(:\n```", WRONG])
    tool = generate(slug_spec, model)
    assert tool.status == "unverified"
    assert tool.report.reason == "1 of 2 examples failed"
    assert tool.report.chosen_attempt == 2 and "replace(' ', '-')" in tool.implementation
    assert len(tool.report.attempts) == 4
    assert tool.report.attempts[0].findings[0].rule == "extract/no-code"


def test_sampling_stops_at_the_first_verified_candidate(slug_spec) -> None:
    model = ScriptedModel([WRONG, GOOD_SLUGIFY, WRONG])
    tool = generate(slug_spec, model, policy=RepairPolicy(rounds=1, samples_per_round=3))
    assert tool.status == "verified" and len(model.requests) == 2
    temperatures = [request.temperature for request in model.requests]
    assert temperatures[0] == 0.0 and temperatures[1] > 0  # later samples explore


def test_escalation_to_the_fallback_model_and_the_report_names_each(slug_spec) -> None:
    weak, strong = ScriptedModel([WRONG], name="weak"), ScriptedModel([GOOD_SLUGIFY], name="strong")
    tool = generate(slug_spec, weak, strong)
    assert tool.status == "verified"
    assert [attempt.model for attempt in tool.report.attempts] == ["weak"] * 4 + ["strong"]
    assert tool.report.models_used == ["strong", "weak"] and tool.report.model == "weak"


def test_a_failing_model_escalates_and_its_error_is_recorded(slug_spec) -> None:
    broken = ScriptedModel([ModelError("401 bad key")], name="broken")
    tool = generate(slug_spec, broken, ScriptedModel([GOOD_SLUGIFY], name="good"))
    assert tool.status == "verified"
    assert tool.report.attempts[0].error == "401 bad key"


def test_the_last_resort_is_an_honest_stub(slug_spec, tmp_path) -> None:
    tool = generate(slug_spec, ScriptedModel(["I do not know."]))
    assert tool.status == "stub" and tool.report.chosen_attempt is None
    assert "no model reply held usable code" in tool.report.reason
    namespace: dict = {}
    exec(compile(tool.module_source, "stub.py", "exec"), namespace)  # the stub is a valid module
    with pytest.raises(NotImplementedError, match="could not generate"):
        namespace["slugify"]("x")
    assert "Turn text into a URL slug." in namespace["slugify"].__doc__
    assert namespace["TOOL_STATUS"] == "stub"


def test_unsafe_code_is_never_shipped_even_if_it_would_pass(slug_spec) -> None:
    tool = generate(slug_spec, ScriptedModel([UNSAFE]))
    assert tool.status == "stub" and "__import__" not in tool.module_source
    assert any(finding.rule == "security/forbidden-call" for finding in tool.report.attempts[0].findings)


def test_a_spent_budget_stops_the_loop_cleanly(slug_spec) -> None:
    model = ScriptedModel([WRONG])
    tool = generate(slug_spec, model, service=LLMService(ServiceSettings(max_tokens_total=1200)))
    assert tool.status == "unverified" and 1 <= len(model.requests) < 4
    assert tool.report.tokens.total <= 1200
    assert "stopped early: token budget of 1200 would be passed" in tool.report.reason


def test_a_prefill_is_sent_to_models_that_continue_replies(slug_spec) -> None:
    body = '    return "-".join(text.lower().split()).replace(",", "").replace("!", "")\n```\nDone.'
    model = ScriptedModel([body], supports_prefill=True)
    tool = generate(slug_spec, model)
    assert model.requests[0].prefill.startswith("```python\ndef slugify(text: str) -> str:")
    assert tool.status == "verified", tool.report.reason
    assert tool.report.attempts[0].strategy == "prefill" and "added a docstring" in tool.report.attempts[0].mends[0]


def test_a_policy_without_prefill_sends_none(slug_spec) -> None:
    model = ScriptedModel([GOOD_SLUGIFY], supports_prefill=True)
    tool = generate(slug_spec, model, policy=RepairPolicy(rounds=1, samples_per_round=2, prefill=False))
    assert [request.prefill for request in model.requests] == [""]
    assert tool.status == "verified" and tool.report.attempts[0].strategy == "free"


def test_the_agent_parses_raw_specs_sync_and_async(slug_spec) -> None:
    agent = ToolDesignerAgent(llm_code_generator=LLMCodeGenerator.create(model=ScriptedModel([GOOD_SLUGIFY])))
    raw = slug_spec.model_dump(mode="json")
    assert agent.design_tool_sync(raw).status == "verified"
    assert asyncio.run(agent.design_tool(slug_spec)).status == "verified"
    with pytest.raises(SpecError):
        agent.design_tool_sync({"name": "x"})


def test_the_generated_module_works_and_carries_its_spec(slug_spec, tmp_path) -> None:
    from toolfoundry import save_tool

    tool = generate(slug_spec, ScriptedModel([GOOD_SLUGIFY]))
    module_path, report_path = save_tool(tool, tmp_path)
    namespace: dict = {}
    exec(compile(module_path.read_text(), str(module_path), "exec"), namespace)
    assert namespace["slugify"]("Hello, World") == "hello-world"
    assert namespace["TOOL_SPEC"]["name"] == "slugify" and namespace["TOOL_STATUS"] == "verified"
    assert namespace["__doc__"].startswith("slugify: Turn text into a URL slug.")
    assert '"status": "verified"' in report_path.read_text()


def test_a_rejected_key_is_not_tried_again_and_the_next_model_takes_over(slug_spec) -> None:
    from toolfoundry.errors import AuthenticationFailed

    rejected = ScriptedModel([AuthenticationFailed("openai rejected the credentials (HTTP 401)")], name="rejected")
    tool = generate(slug_spec, rejected, ScriptedModel([GOOD_SLUGIFY], name="good"))
    assert len(rejected.requests) == 1
    assert tool.status == "verified" and [attempt.model for attempt in tool.report.attempts] == ["rejected", "good"]


def test_the_factory_gives_the_service_its_settings_and_the_prompt_builders_version() -> None:
    settings = ServiceSettings(timeout_s=7.0, max_tokens_total=9)
    generator = LLMCodeGenerator.create(ScriptedModel(["x"], prompt_style="compact"), service=settings)
    assert generator.prompt_builder.version == "6-compact"
    assert generator.llm_service.prompt_version == generator.prompt_builder.version
    assert generator.llm_service.settings is settings
    assert generator.identity.prompt_version == "6-compact" and generator.identity.model == "scripted"
    with pytest.raises(ConfigError, match="not both"):  # a whole service brings its own settings
        LLMCodeGenerator.create(ScriptedModel(["x"]), service=settings, llm_service=LLMService())


def attributes(generator: LLMCodeGenerator) -> dict[str, dict[str, int]]:
    """Every attribute of the generator and of each of its parts, by the object it holds."""
    parts = {"generator": generator} | {
        name: part for name, part in vars(generator).items() if hasattr(part, "__dict__")
    }
    return {name: {key: id(value) for key, value in vars(part).items()} for name, part in parts.items()}


def test_a_batch_lends_a_generation_its_observer_and_call_slots_without_changing_the_generator(slug_spec) -> None:
    generator = LLMCodeGenerator.create(ScriptedModel([GOOD_SLUGIFY]))
    before = attributes(generator)
    seen: list[tuple[str, int]] = []
    slots = asyncio.Semaphore(1)
    hooks = RunHooks(on_attempt=lambda tool, attempt: seen.append((tool, attempt.number)), call_slots=slots)
    tool = asyncio.run(generator.generate_code(slug_spec, hooks))
    assert tool.status == "verified" and seen == [("slugify", 1)]
    # Lent for one call, kept by none: no attribute of the generator or its parts was added, removed or rebound.
    assert attributes(generator) == before
