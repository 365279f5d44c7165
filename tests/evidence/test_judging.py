"""What the sandbox's probe records mean for a candidate: judged against what the spec declares."""

from toolfoundry.evidence import Evidence
from toolfoundry.evidence.judging import QUOTED_CHARS, judge_probes, quoted_exception
from toolfoundry.evidence.probes import Probe, ProbePlan
from toolfoundry.spec import ToolSpecificationParser

SPEC = ToolSpecificationParser().parse(
    {
        "name": "first",
        "description": "The first character of text. Raise ValueError when text is empty.",
        "input_params": [{"name": "text", "type": "str"}],
        "output_type": "str",
        "raises": ["LookupError"],
        "examples": [{"input": {"text": "ab"}, "output": "a"}, {"input": {"text": 3}, "raises": "TypeError"}],
    }
)
PLAN = ProbePlan(probes=[Probe(index, {"text": str(index)}, {}, "drawn") for index in range(4)], seed=9)


def raised(name: str, *mro: str) -> dict:
    return {"status": "raised", "exception": name, "mro": [name, *mro], "traceback": f"{name}: no"}


def test_declared_exceptions_come_from_raises_examples_and_the_spec_words() -> None:
    assert SPEC.declared_exceptions == {"LookupError", "TypeError", "ValueError"}
    records = [
        {"probe": 0} | raised("ValueError"),
        {"probe": 1} | raised("IndexError", "LookupError"),  # a subclass of a declared one
        {"probe": 2} | raised("TypeError"),
        {"probe": 3, "status": "returned", "repr": "'3'", "digest": "x", "same": True, "type_problem": ""},
    ]
    result = judge_probes(SPEC, PLAN, records, "")
    assert (result.ran, result.failed, result.clean, result.seed) == (4, 0, True, 9)
    # What each probe gave, for comparing candidates: a declared exception is a result too.
    assert result.digests == {0: "raised ValueError", 1: "raised IndexError", 2: "raised TypeError", 3: "x"}


def test_the_digests_and_answers_compare_candidates_but_no_report_carries_them() -> None:
    records = [{"probe": 0, "status": "returned", "repr": "'0'", "digest": "x", "same": True, "type_problem": ""}]
    result = judge_probes(SPEC, PLAN, records, "")
    evidence = Evidence(examples_ran=True, probes=result)
    assert (
        evidence.probes is result and evidence.probes.digests == {0: "x"} and result.answers[0].answer == "'0'"
    )  # one type, from checks to report
    dumped = evidence.model_dump(mode="json")["probes"]
    assert list(dumped) == ["planned", "ran", "failed", "failures", "seed", "notes"]
    assert Evidence.model_validate_json(evidence.model_dump_json()).probes == result.model_copy(
        update={"digests": {}, "answers": {}}
    )


def test_each_kind_of_failure_is_named_with_its_call() -> None:
    records = [
        {"probe": 0} | raised("ZeroDivisionError"),
        {"probe": 1, "status": "returned", "repr": "3", "same": True, "type_problem": "the result is int, not str"},
        {"probe": 2, "status": "returned", "repr": "'x'", "same": False, "type_problem": ""},
        {"probe": 3, "status": "timeout"},
    ]
    result = judge_probes(SPEC, PLAN, records, "")
    problems = [(failure.call, failure.problem) for failure in result.failures]
    assert problems[0][0] == "first(text='0')" and "ZeroDivisionError: no" in problems[0][1]
    assert "does not declare (it declares only LookupError, TypeError, ValueError)" in problems[0][1]
    assert problems[1] == ("first(text='1')", "returned 3: the result is int, not str")
    assert problems[2] == ("first(text='2')", "gave two different results for the same input")
    assert problems[3] == ("first(text='3')", "did not finish within the per-example time limit")
    assert not result.clean and result.failed == 4


def test_a_run_that_died_during_a_probe_blames_that_probe_and_stops_there() -> None:
    records = [{"probe": 0, "status": "returned", "repr": "'0'", "digest": "d", "same": True, "type_problem": ""}]
    result = judge_probes(SPEC, PLAN, records, "killed by signal 9: a CPU, memory or file-size limit")
    assert result.ran == 1 and result.failed == 1
    assert result.failures[0].call == "first(text='1')" and "killed by signal 9" in result.failures[0].problem


def test_a_spent_time_budget_stops_probing_without_failing() -> None:
    records = [
        {"probe": 0, "status": "returned", "repr": "'0'", "digest": "d", "same": True, "type_problem": ""},
        {"probe": 1, "status": "budget"},
    ]
    result = judge_probes(SPEC, PLAN, records, "")
    assert result.clean and result.ran == 1 and "time budget" in result.notes[-1]


def test_an_exception_is_quoted_on_one_line_without_keys_and_short() -> None:
    quoted = quoted_exception("ValueError: bad key sk-" + "A" * 30 + "\n  on line two\n" + "x" * 400)
    assert "\n" not in quoted and "[REDACTED]" in quoted and "AAAAAAAA" not in quoted
    assert quoted.startswith("ValueError: bad key [REDACTED] on line two") and len(quoted) == QUOTED_CHARS
