"""Which probe failures a repair quotes and in what words: new ones, none repeating an example's exception,
shortest call first; a fault probe names its fault, and the faults of one call are one line."""

from __future__ import annotations

from toolfoundry.checks.behaviour import ExampleOutcome
from toolfoundry.evidence.judging import ProbeFailure
from toolfoundry.generate.quoting import probe_lines, probes_to_quote


def failure(call: str, problem: str, origin: str = "drawn") -> ProbeFailure:
    return ProbeFailure(call=call, problem=problem, origin=origin)


NOT_FOUND = "raised FileNotFoundError: [Errno 2] No such file or directory: ''"


def test_probes_quoted_are_new_shortest_first_and_none_repeats_an_examples_exception() -> None:
    failed = ExampleOutcome(index=0, call="save(path='a.json')", expected="3", got=NOT_FOUND, passed=False)
    failures = [
        failure("save(path='long-name.json')", "returned 'x': the result is str, not int"),
        failure("save(path='b.json')", f"{NOT_FOUND}, an exception the spec does not declare (it declares none)"),
        failure("save(path='')", "raised FileNotFoundError: [Errno 2] No such file or directory: 'x', an exception"),
        failure("save(path='asked.json')", "did not finish within the per-example time limit"),
    ]
    quoted = probes_to_quote(failures, {"save(path='asked.json')"}, [failed])
    assert [probe.call for probe in quoted] == ["save(path='')", "save(path='long-name.json')"]
    # With no failed example to repeat, every new failure is quoted.
    assert len(probes_to_quote(failures, set(), [])) == 4


def test_a_fault_probe_names_its_fault_and_the_faults_of_one_call_are_one_line() -> None:
    call = "latest(repo='ruff')"
    none = "returned None: the result is NoneType, not str"
    lines = probe_lines(
        [
            failure(call, none, "fault: 500"),
            failure(call, "did not finish within the per-example time limit", "fault: 429 with Retry-After: 1"),
            failure(call, none, "fault: a body that is not JSON"),
            failure("latest(repo='')", none, "edge"),
        ]
    )
    assert lines == [
        f"latest(repo='') {none}",
        f"{call}, with an injected fault: HTTP 500 / a body that is not JSON: {none}; "
        "HTTP 429 with Retry-After: 1: did not finish within the per-example time limit",
    ]
