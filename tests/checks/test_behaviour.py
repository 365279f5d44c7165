import pytest

from tests.helpers import requires_sandbox, web_server
from toolfoundry.checks import CodeValidator
from toolfoundry.checks.behaviour import SandboxRunner, values_match
from toolfoundry.sandbox import SandboxLimits
from toolfoundry.spec import ToolSpecificationParser

parser = ToolSpecificationParser()
SPEC = parser.parse(
    {
        "name": "halve",
        "description": "Halve an even number.",
        "input_params": [{"name": "n", "type": "int"}],
        "output_type": "float",
        "examples": [
            {"input": {"n": 4}, "output": 2},
            {"input": {"n": 3}, "raises": "ValueError"},
            {"input": {"n": 0}, "output": 0.0},
        ],
    }
)
GOOD = '''def halve(n: int) -> float:
    """Halve."""
    if n % 2:
        raise ValueError(f"{n} is odd")
    return n / 2
'''


@pytest.mark.parametrize(
    ("expected", "got", "same"),
    [
        ([1, 2], [1, 2], True),
        ((1, 2), [1, 2], True),
        (0.1 + 0.2, 0.3, True),
        (1, True, False),
        ({"a": [1]}, {"a": [1]}, True),
        ({"a": 1}, {"a": 1, "b": 2}, False),
        ("1", 1, False),
    ],
)
def test_values_are_compared_by_value(expected, got, same) -> None:
    assert values_match(expected, got) is same


@requires_sandbox
def test_good_code_passes_every_example_in_the_sandbox() -> None:
    result = CodeValidator(runner=SandboxRunner()).validate(GOOD, SPEC)
    assert result.verified, result.unverified_reason
    assert [outcome.passed for outcome in result.behaviour.outcomes] == [True, True, True]
    assert result.behaviour.limits["kind"] == "bubblewrap"


@requires_sandbox
def test_wrong_outputs_and_exceptions_are_quotable_findings() -> None:
    wrong = GOOD.replace("raise ValueError", "raise KeyError").replace("n / 2", "n // 3")
    result = CodeValidator(runner=SandboxRunner()).validate(wrong, SPEC)
    first, second, third = result.behaviour.outcomes
    assert (first.call, first.expected, first.got, first.passed) == ("halve(n=4)", "2", "1", False)
    assert second.got == "raised KeyError: '3 is odd'" and not second.passed
    assert second.where.startswith("line 4, in halve: raise KeyError")
    assert "line 4, in halve" in second.traceback and "/sandbox" not in second.traceback.split("line")[0]
    assert third.passed
    assert not result.verified and result.unverified_reason == "2 of 3 examples failed"


@requires_sandbox
def test_subclass_of_the_expected_exception_counts() -> None:
    code = GOOD.replace("raise ValueError", "raise UnicodeError")
    assert CodeValidator(runner=SandboxRunner()).validate(code, SPEC).verified


@requires_sandbox
def test_an_exception_at_import_fails_every_example() -> None:
    code = "raise RuntimeError('boom')\n" + GOOD
    result = SandboxRunner().run_examples(code, SPEC)
    assert result.ran and all("importing the module raised RuntimeError" in o.got for o in result.outcomes)


@requires_sandbox
def test_a_hanging_example_is_cut_off_and_the_others_still_report() -> None:
    code = GOOD.replace("    return n / 2", "    while n == 4:\n        pass\n    return n / 2")
    result = SandboxRunner(SandboxLimits(example_seconds=0.5, wall_seconds=10)).run_examples(code, SPEC)
    assert result.outcomes[0].got == "did not finish (per-example time limit)"
    assert result.outcomes[1].passed and result.outcomes[2].passed


@requires_sandbox
def test_file_tools_get_their_example_files_in_a_fresh_working_directory() -> None:
    spec = parser.parse(
        {
            "name": "first_line",
            "description": "First line of a file.",
            "permissions": {"filesystem": "read"},
            "input_params": [{"name": "path", "type": "str"}],
            "output_type": "str",
            "examples": [
                {"input": {"path": "a.txt"}, "output": "hello", "files": {"a.txt": "hello\nworld\n"}},
                {"input": {"path": "a.txt"}, "raises": "FileNotFoundError"},
            ],
        }
    )
    code = (
        'def first_line(path: str) -> str:\n    """F."""\n'
        "    with open(path) as f:\n        return f.readline().strip()\n"
    )
    assert CodeValidator(runner=SandboxRunner()).validate(code, spec).verified


def test_without_bubblewrap_nothing_runs_and_the_reason_says_how_to_fix_it(monkeypatch) -> None:
    from toolfoundry.sandbox import boundary as sandbox

    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    sandbox.sandbox_problem.cache_clear()
    try:
        result = CodeValidator(runner=SandboxRunner()).validate(GOOD, SPEC)
    finally:
        sandbox.sandbox_problem.cache_clear()
    assert not result.behaviour.ran and not result.verified
    assert "apt-get install -y bubblewrap" in result.unverified_reason


def test_the_unsafe_opt_out_runs_without_a_sandbox_and_says_so() -> None:
    result = SandboxRunner(unsandboxed=True).run_examples(GOOD, SPEC)
    assert result.ran and all(outcome.passed for outcome in result.outcomes)
    assert result.limits["kind"] == "none (unsafe opt-out)"


@requires_sandbox
def test_a_declared_loopback_port_is_reachable_and_nothing_else() -> None:
    import socket

    server = web_server(lambda request: b'{"ok": true}')
    undeclared = socket.socket()
    undeclared.bind(("127.0.0.1", 0))
    undeclared.listen(1)
    undeclared.settimeout(0.2)
    port, other = server.server_address[1], undeclared.getsockname()[1]
    spec = parser.parse(
        {
            "name": "get_json",
            "description": "GET JSON from the local API",
            "permissions": {"network": [f"127.0.0.1:{port}"]},
            "input_params": [{"name": "url", "type": "str"}],
            "output_type": "Any",
            "examples": [
                {"input": {"url": f"http://127.0.0.1:{port}/"}, "output": {"ok": True}},
                {"input": {"url": f"http://127.0.0.1:{other}/"}, "raises": "URLError"},
            ],
        }
    )
    code = (
        "import json\nimport urllib.request\nfrom typing import Any\n\n\n"
        'def get_json(url: str) -> Any:\n    """G."""\n'
        "    with urllib.request.urlopen(url, timeout=3) as response:\n        return json.loads(response.read())\n"
    )
    try:
        result = CodeValidator(runner=SandboxRunner()).validate(code, spec)
        assert result.verified, [outcome.got for outcome in result.behaviour.outcomes]
        assert result.behaviour.limits["network"] == [f"127.0.0.1:{port}"]
        with pytest.raises(TimeoutError):
            undeclared.accept()
    finally:
        server.shutdown()
        undeclared.close()
