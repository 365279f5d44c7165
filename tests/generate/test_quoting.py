"""What a repair prompt quotes of an attempt: the code without its function's docstring (lines renumbered to
match), and the probe failures worth a line (new ones, none repeating an example's exception, shortest first)."""

from __future__ import annotations

from toolfoundry.checks.behaviour import ExampleOutcome
from toolfoundry.evidence.judging import ProbeFailure
from toolfoundry.generate.quoting import probes_to_quote, quote_attempt

TWO_LINE_DOCSTRING = '''def add(a, b):
    """Add two numbers.

    Both of them."""
    total = a + b
    return total
'''


def test_the_docstring_is_left_out_and_later_lines_move_up() -> None:
    quoted = quote_attempt(TWO_LINE_DOCSTRING, "add")
    assert quoted.code == "def add(a, b):\n    total = a + b\n    return total\n"
    assert (quoted.line(1), quoted.line(5), quoted.line(6)) == (1, 2, 3)


def test_code_is_quoted_as_it_is_where_the_docstring_has_no_lines_of_its_own_or_is_the_whole_body() -> None:
    for code in (
        'def add(a, b): """Add."""; return a + b\n',
        'def add(a, b):\n    """Add."""; return a + b\n',
        'def add(a, b):\n    """Add."""\n',  # left out, the body would be empty
        "def add(a, b):\n    return a +\n",  # does not parse
        'def other():\n    """Not the tool."""\n    return 1\n',
        "def add(a, b):\n    return a + b\n",
    ):
        quoted = quote_attempt(code, "add")
        assert quoted.code == code and quoted.line(2) == 2


def test_only_the_tools_own_function_loses_its_docstring() -> None:
    code = 'def helper():\n    """Help."""\n    return 1\n\n\ndef add(a, b):\n    """Add."""\n    return a + b\n'
    quoted = quote_attempt(code, "add")
    assert '"""Help."""' in quoted.code and '"""Add."""' not in quoted.code
    assert (quoted.line(2), quoted.line(8)) == (2, 7)


def failure(call: str, problem: str) -> ProbeFailure:
    return ProbeFailure(call=call, problem=problem, origin="drawn")


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
