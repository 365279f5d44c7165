"""Tests written from the spec's words: asked for, read from a reply, weighed across candidates, reported."""

import pytest

from tests.helpers import requires_sandbox
from toolfoundry import LLMCodeGenerator, ScriptedModel
from toolfoundry.errors import ModelError
from toolfoundry.evidence import EvidencePolicy
from toolfoundry.generate import FallbackPolicy
from toolfoundry.generate.spec_tests import MAX_SPEC_TESTS, read_spec_tests, spec_tests_messages
from toolfoundry.spec import ToolSpecificationParser

parser = ToolSpecificationParser()
SPEC_TESTS = EvidencePolicy(spec_tests=True)  # off by default; these tests are about it
CLAMP = parser.parse(
    {
        "name": "clamp",
        "description": "Clamp x into the range [low, high].",
        "input_params": [{"name": "x", "type": "int"}, {"name": "low", "type": "int"}, {"name": "high", "type": "int"}],
        "output_type": "int",
        "constraints": ["raise ValueError when low > high"],
        "examples": [{"input": {"x": 15, "low": 0, "high": 10}, "output": 10}],
    }
)


def test_the_request_shows_the_spec_s_words_and_known_cases_but_asks_for_no_code() -> None:
    (message,), prefill = spec_tests_messages(CLAMP)
    assert "Do not write the function" in message.content and "raise ValueError when low > high" in message.content
    assert "assert clamp(x=15, low=0, high=10) == 10" in message.content
    assert prefill == "```python\nassert clamp("


def test_asserts_and_raises_become_tests_and_everything_else_is_dropped() -> None:
    reply = """```python
assert clamp(-5, 0, 10) == 0
assert 5 == clamp(5, low=0, high=10)
assert clamp(x=15, low=0, high=10) == 10
assert clamp(y, 0, 10) == 1
assert clamp(1, 2) == 2
assert clamp(1, 2, 3, 4) == 2
assert clamp(1, 2, 3) == sorted([1])
with pytest.raises(ValueError): clamp(1, 10, 0)
with pytest.raises(lower): clamp(2, 10, 0)
assert clamp(1, 2, 3 == 2
```"""
    found = read_spec_tests(reply, CLAMP)
    assert [(test.input, test.output, test.raises) for test in found.tests] == [
        ({"x": -5, "low": 0, "high": 10}, 0, None),
        ({"x": 5, "low": 0, "high": 10}, 5, None),
        ({"x": 1, "low": 10, "high": 0}, None, "ValueError"),
    ]
    # the example's own input, an unknown name, a missing and an extra argument, a non-literal result, a bad
    # exception name, and a line that does not parse
    assert found.dropped == 7


def test_results_are_read_as_json_values_and_the_count_is_capped() -> None:
    spec = parser.parse(
        {
            "name": "pairs",
            "description": "Pairs.",
            "input_params": [{"name": "n", "type": "int"}],
            "output_type": "list",
            "examples": [{"input": {"n": 0}, "output": []}],
        }
    )
    lines = [f"assert pairs({n}) == ({n}, {{2, 1}})" for n in range(1, 30)]
    found = read_spec_tests("\n".join(lines), spec)
    assert len(found.tests) == MAX_SPEC_TESTS and found.tests[0].output == [1, [1, 2]]
    assert read_spec_tests("assert pairs(1)", spec).tests == []  # True is not a list: the test is dropped
    is_even = spec.model_copy(update={"name": "is_even", "output_type": "bool", "examples": []})
    assert read_spec_tests("assert is_even(2)", is_even).tests[0].output is True
    assert read_spec_tests("assert not is_even(1)", is_even).tests[0].output is False
    assert read_spec_tests("assert is_even('2')", is_even).tests == []  # an input the types rule out


WRONG_CLAMP = '```python\ndef clamp(x: int, low: int, high: int) -> int:\n    """C."""\n    return min(x, high)\n```'
GOOD_CLAMP = WRONG_CLAMP.replace("min(x, high)", "max(low, min(x, high))")


def generator_for(replies: list[str], tests: str, rounds: int = 2) -> tuple[LLMCodeGenerator, ScriptedModel]:
    model = ScriptedModel(replies, test_replies=[tests])
    policy = FallbackPolicy(rounds=rounds, samples_per_round=1)
    return LLMCodeGenerator.create(model=model, policy=policy, evidence=SPEC_TESTS), model


@requires_sandbox
def test_a_candidate_failing_a_test_another_passes_loses_and_the_repair_prompt_quotes_it() -> None:
    generator, model = generator_for([WRONG_CLAMP, GOOD_CLAMP], "assert clamp(-5, 0, 10) == 0\n")
    tool = generator.generate_code_sync(CLAMP)
    assert tool.status == "verified" and tool.report.chosen_attempt == 2 and len(model.test_requests) == 1
    repair = model.requests[1].messages[-1].content
    assert "clamp(x=-5, low=0, high=10) should give 0 (a test from the description), got -5" in repair
    (test,) = tool.report.evidence.spec_tests
    assert (test.call, test.passed, test.standing, test.passed_by, test.failed_by) == (
        "clamp(x=-5, low=0, high=10)",
        True,
        "trusted",
        1,
        1,
    )
    assert tool.report.evidence_line.endswith("probes clean, 1/1 spec-derived tests")
    assert tool.report.spec_tests_call is not None and tool.report.spec_tests_call.kind == "tests"
    assert tool.report.tokens.total > sum(a.prompt_tokens + a.completion_tokens for a in tool.report.attempts)


@requires_sandbox
def test_a_wrong_test_every_candidate_fails_is_suspect_and_blocks_nothing() -> None:
    generator, model = generator_for([GOOD_CLAMP], "assert clamp(-5, 0, 10) == -5\n")
    tool = generator.generate_code_sync(CLAMP)
    # The same code again is no second candidate (generate/progress.py): the end of the attempts settles it.
    assert tool.status == "verified" and len(model.requests) == 2 and tool.report.attempts[1].same_as == 1
    (test,) = tool.report.evidence.spec_tests
    assert (test.passed, test.standing, test.failed_by) == (False, "suspect", 1)
    assert "0/0 spec-derived tests (1 suspect)" in tool.report.evidence_line


@requires_sandbox
def test_with_one_attempt_an_unsettled_test_counts_as_suspect_at_the_end() -> None:
    generator, model = generator_for([WRONG_CLAMP], "assert clamp(-5, 0, 10) == 0\n", rounds=1)
    tool = generator.generate_code_sync(CLAMP)
    assert tool.status == "verified" and len(model.requests) == 1
    assert tool.report.evidence.spec_tests[0].standing == "suspect"


@requires_sandbox
def test_a_failed_call_for_tests_is_noted_and_the_code_calls_go_on() -> None:
    model = ScriptedModel([GOOD_CLAMP], test_replies=[ModelError("the server fell over")])
    tool = LLMCodeGenerator.create(model=model, evidence=SPEC_TESTS).generate_code_sync(CLAMP)
    assert tool.status == "verified" and tool.report.evidence.spec_tests == []
    assert tool.report.evidence.spec_tests_note == "the call for tests failed: the server fell over"
    assert tool.report.spec_tests_call.error == "the server fell over"


@pytest.mark.parametrize("permissions", [{"filesystem": "read"}, {"network": ["127.0.0.1:9"]}])
def test_tools_that_reach_files_or_the_network_are_not_sent_a_request_for_tests(permissions) -> None:
    spec = CLAMP.model_copy(update={"permissions": CLAMP.permissions.model_copy(update=permissions)})
    model = ScriptedModel(["no code"], test_replies=["assert clamp(1, 2, 3) == 2"])
    tool = LLMCodeGenerator.create(
        model=model, policy=FallbackPolicy(rounds=1, samples_per_round=1), evidence=SPEC_TESTS
    )
    report = tool.generate_code_sync(spec).report
    assert model.test_requests == [] and "reaches files or the network" in report.evidence.spec_tests_note


@requires_sandbox
def test_by_default_no_call_for_tests_is_made() -> None:
    model = ScriptedModel([GOOD_CLAMP], test_replies=["assert clamp(-5, 0, 10) == 0"])
    tool = LLMCodeGenerator.create(model=model).generate_code_sync(CLAMP)
    assert model.test_requests == [] and tool.report.spec_tests_call is None
    assert tool.report.evidence.spec_tests_note == "not asked for"
