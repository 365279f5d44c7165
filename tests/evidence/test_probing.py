"""Probes and held-back examples for real: candidates run in the sandbox, and generation with them."""

import json

import pytest

from tests.helpers import cli, requires_sandbox, scripted_model, write_specs
from toolfoundry import LLMCodeGenerator, ScriptedModel
from toolfoundry.checks import CodeValidator, SandboxRunner
from toolfoundry.evidence import EvidencePolicy
from toolfoundry.generate import FallbackPolicy
from toolfoundry.sandbox import SandboxLimits
from toolfoundry.spec import ToolSpecificationParser

pytestmark = requires_sandbox
parser = ToolSpecificationParser()
FIRST = {
    "name": "first_char",
    "description": "The first character of text.",
    "input_params": [{"name": "text", "type": "str"}],
    "output_type": "str",
    "examples": [{"input": {"text": "abc"}, "output": "a"}],
}
NAIVE_FIRST = 'def first_char(text: str) -> str:\n    """First."""\n    return text[0]\n'
SAFE_FIRST = 'def first_char(text: str) -> str:\n    """First."""\n    return text[:1]\n'


def validate(code: str, spec: dict, limits: SandboxLimits | None = None, **policy) -> object:
    validator = CodeValidator(runner=SandboxRunner(limits), evidence=EvidencePolicy(**policy))
    return validator.validate(code, parser.parse(spec))


def test_an_undeclared_exception_on_a_probe_blocks_verified_and_names_the_call() -> None:
    result = validate(NAIVE_FIRST, FIRST)
    assert result.examples_passed == 1 and not result.verified
    failure = result.behaviour.probes.failures[0]
    assert failure.call == "first_char(text='')" and "IndexError" in failure.problem
    assert "does not declare" in failure.problem and "probe" in result.unverified_reason
    assert validate(SAFE_FIRST, FIRST).verified


@pytest.mark.parametrize(
    "declaration",
    [{"raises": ["IndexError"]}, {"description": "The first character of text; IndexError when it is empty."}],
)
def test_an_exception_the_spec_declares_is_a_clean_refusal(declaration) -> None:
    result = validate(NAIVE_FIRST, FIRST | declaration)
    assert result.verified, result.unverified_reason
    assert result.behaviour.probes.ran > 20 and result.behaviour.probes.clean


def test_a_result_of_the_wrong_type_blocks_verified() -> None:
    code = 'def first_char(text: str) -> str:\n    """First."""\n    return text[0] if text else None\n'
    failure = validate(code, FIRST).behaviour.probes.failures[0]
    assert failure.call == "first_char(text='')" and failure.problem == "returned None: the result is NoneType, not str"


def test_two_results_for_one_input_block_verified() -> None:
    code = (
        "import random\n\n\ndef first_char(text: str) -> str:\n"
        '    """First."""\n    return text[:1] if text == "abc" else random.choice("xyz") * 20\n'
    )
    problems = {failure.problem for failure in validate(code, FIRST).behaviour.probes.failures}
    assert problems == {"gave two different results for the same input"}


def test_a_probe_that_never_ends_is_stopped_and_the_examples_still_count() -> None:
    code = NAIVE_FIRST.replace("    return", "    while not text:\n        pass\n    return")
    result = validate(code, FIRST, SandboxLimits(example_seconds=0.5))
    assert result.examples_passed == 1 and not result.verified
    failure = result.behaviour.probes.failures[0]
    assert failure.call == "first_char(text='')" and "did not finish" in failure.problem


def test_probing_stops_unfailed_when_its_time_budget_is_spent() -> None:
    code = "import time\n\n\n" + SAFE_FIRST.replace("    return", "    time.sleep(0.02)\n    return")
    result = validate(code, FIRST, SandboxLimits(probe_seconds=0.3))
    probes = result.behaviour.probes
    assert result.verified and 0 < probes.ran < probes.planned and "time budget" in probes.notes[-1]


def test_probes_can_be_turned_off() -> None:
    result = validate(NAIVE_FIRST, FIRST, probes=0)
    assert result.verified and result.behaviour.probes.ran == 0


# Five examples: a lookup table fits the ones it was shown and fails the held-back ones.
SQUARE = {
    "name": "square",
    "description": "n squared.",
    "input_params": [{"name": "n", "type": "int"}],
    "output_type": "int",
    "examples": [{"input": {"n": n}, "output": n * n} for n in (31, 47, 59, 83, 97)],
}


def lookup_table(shown: list[int]) -> str:
    table = ", ".join(f"{n}: {n * n}" for n in shown)
    return f'```python\ndef square(n: int) -> int:\n    """Squared."""\n    return {{{table}}}.get(n, 0)\n```'


def test_a_candidate_that_fits_the_shown_examples_fails_the_held_back_ones_unseen() -> None:
    spec = parser.parse(SQUARE)
    generator = LLMCodeGenerator.create(model=ScriptedModel([""]), policy=FallbackPolicy(rounds=2, samples_per_round=1))
    held = generator.code_validator.plan(spec).held_back
    assert len(held) == 2
    shown = [n for index, n in enumerate((31, 47, 59, 83, 97)) if index not in held]
    model = ScriptedModel([lookup_table(shown)])
    generator = LLMCodeGenerator.create(model=model, policy=FallbackPolicy(rounds=2, samples_per_round=1))
    tool = generator.generate_code_sync(spec)
    assert tool.status == "unverified" and "examples failed, 2 of them held back" in tool.report.reason
    evidence = tool.report.evidence
    assert evidence.held_back == list(held) and evidence.held_back_passed == 0
    assert (evidence.examples_shown, evidence.shown_passed) == (3, 3)
    prompts = ["\n".join(message.content for message in request.messages) for request in model.requests]
    for index in held:
        n = SQUARE["examples"][index]["input"]["n"]
        assert not any(str(n) in prompt or str(n * n) in prompt for prompt in prompts)
    assert "it fails 2 more examples that the task above implies" in prompts[1]
    assert tool.report.evidence_line.startswith("unverified: 3/3 examples, 0/2 held back")


def test_the_repair_prompt_quotes_a_failed_probe_and_the_module_states_the_evidence() -> None:
    model = ScriptedModel([f"```python\n{NAIVE_FIRST}```", f"```python\n{SAFE_FIRST}```"])
    generator = LLMCodeGenerator.create(model=model, policy=FallbackPolicy(rounds=2, samples_per_round=1))
    tool = generator.generate_code_sync(parser.parse(FIRST))
    assert tool.status == "verified" and len(model.requests) == 2
    repair = model.requests[1].messages[-1].content
    assert "first_char(text='') raised IndexError" in repair and "does not declare" in repair
    line = tool.report.evidence_line
    assert line.startswith("verified: 1/1 examples, ") and line.endswith(" probes clean")
    assert f"Status: {line}." in tool.module_source
    assert tool.report.attempts[0].probes_failed > 0 and tool.report.attempts[1].probes_failed == 0


def test_show_all_examples_is_an_option_the_report_records(tmp_path) -> None:
    specs = write_specs(tmp_path / "specs", SQUARE)
    good = '```python\ndef square(n: int) -> int:\n    """Squared."""\n    return n * n\n```'
    model = scripted_model(tmp_path / "replies.yaml", {"square": [good]})
    out = tmp_path / "tools"
    result = cli("generate", specs, "-o", out, "--model", model, "--no-library", "--show-all-examples")
    assert result.exit_code == 0, result.output
    report = json.loads((out / "square.report.json").read_text())
    assert report["evidence"]["show_all_examples"] and report["evidence"]["held_back"] == []
    assert report["evidence"]["shown_passed"] == 5
    assert "none held back (all shown by request)" in (out / "square.py").read_text()
    again = cli("generate", specs, "-o", out, "--model", model, "--no-library")
    assert json.loads((out / "square.report.json").read_text())["evidence"]["held_back"] != []
    assert again.exit_code == 0  # not skipped as up to date: the evidence asked for changed


# Three candidates pass the example and every probe; two agree on every probe, one does not.
TRIMMED = '```python\ndef first_char(text: str) -> str:\n    """First."""\n    return text.strip()[:1]\n```'
PLAIN = f"```python\n{SAFE_FIRST}```"
PLAIN_AGAIN = PLAIN.replace("text[:1]", "text[0] if text else ''")


def agreeing_generator(replies: list[str], min_agreeing: int) -> tuple[LLMCodeGenerator, ScriptedModel]:
    model = ScriptedModel(replies)
    generator = LLMCodeGenerator.create(
        model=model,
        policy=FallbackPolicy(rounds=1, samples_per_round=3),
        evidence=EvidencePolicy(min_agreeing=min_agreeing),
    )
    return generator, model


def test_the_candidate_most_others_agree_with_is_kept() -> None:
    generator, model = agreeing_generator([TRIMMED, PLAIN, PLAIN_AGAIN], 2)
    tool = generator.generate_code_sync(parser.parse(FIRST))
    assert len(model.requests) == 3 and tool.status == "verified"
    assert tool.implementation.strip() == SAFE_FIRST.strip()  # of the agreeing two, the first
    assert tool.report.chosen_attempt == 2
    probes = tool.report.evidence.probes.ran
    assert tool.report.evidence.agreement == f"2 of 3 candidates agree on {probes} probes"
    assert tool.report.evidence_line.endswith(f"probes clean, 2 of 3 candidates agree on {probes} probes")


def test_too_few_agreeing_candidates_is_not_verified_and_says_why() -> None:
    generator, _ = agreeing_generator([TRIMMED, PLAIN, "no code"], 2)
    tool = generator.generate_code_sync(parser.parse(FIRST))
    assert tool.status == "unverified"
    assert tool.report.reason == "only 1 of the 2 agreeing candidates asked for were found"
    assert tool.report.evidence.agreement.startswith("1 of 2 candidates agree")


def test_one_agreeing_candidate_is_today_s_cost() -> None:
    generator, model = agreeing_generator([PLAIN, TRIMMED], 1)
    assert generator.generate_code_sync(parser.parse(FIRST)).status == "verified" and len(model.requests) == 1


def test_each_kind_of_evidence_can_be_turned_off_and_the_report_says_so(tmp_path) -> None:
    specs = write_specs(tmp_path / "specs", FIRST)
    model = scripted_model(tmp_path / "replies.yaml", {"first_char": [f"```python\n{NAIVE_FIRST}```"]})
    out = tmp_path / "tools"
    options = ("--model", model, "--no-library", "--probes", "0", "--no-spec-tests")
    result = cli("generate", specs, "-o", out, *options)
    assert result.exit_code == 0, result.output  # nothing probes the empty string now
    evidence = json.loads((out / "first_char.report.json").read_text())["evidence"]
    assert evidence["probes"]["planned"] == 0 and evidence["probes"]["notes"] == ["probes were turned off"]
    assert evidence["spec_tests_note"] == "not asked for" and "spec_tests=False" in evidence["policy"]
    assert "Status: verified: 1/1 examples." in (out / "first_char.py").read_text()


def test_validate_runs_the_same_evidence_on_code_you_wrote(tmp_path) -> None:
    spec = write_specs(tmp_path / "specs", FIRST) / "first_char.yaml"
    code = tmp_path / "first_char.py"
    code.write_text(NAIVE_FIRST)
    result = cli("validate", code, "--spec", spec)
    assert result.exit_code == 1
    assert "FAIL probe first_char(text=''): raised IndexError" in result.output
    assert "(probes drawn with --probe-seed 0)" in result.output
    as_json = json.loads(cli("validate", code, "--spec", spec, "--json").output)
    assert as_json["evidence"]["probes"]["failed"] > 0 and as_json["status"] == "unverified"
