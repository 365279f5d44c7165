"""What a model writes is hostile input: every reply, however degenerate, ends in a report with a finding, never in
an exception out of generate_code (and never in another tool's failure)."""

from __future__ import annotations

import asyncio
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import requires_sandbox
from toolfoundry import LLMCodeGenerator, ScriptedModel
from toolfoundry.checks.bandit_check import check_bandit
from toolfoundry.checks.policy import FORBIDDEN_MODULES
from toolfoundry.generate import GeneratedTool, RepairPolicy, mend
from toolfoundry.safe_ast import AST_LOCK, parses
from toolfoundry.spec import ToolSpec, ToolSpecificationParser

ONE_CALL = RepairPolicy(rounds=1, samples_per_round=1)
SPEC = ToolSpecificationParser().parse(
    {
        "name": "slugify",
        "description": "Turn text into a URL slug.",
        "input_params": [{"name": "text", "type": "str"}],
        "output_type": "str",
        "examples": [{"input": {"text": "Hello World"}, "output": "hello-world"}],
    }
)
HEADER = 'def slugify(text: str) -> str:\n    """Slug."""\n'


def fenced(code: str) -> str:
    return f"```python\n{code}\n```"


HOSTILE = {
    "deep nesting": fenced(HEADER + "    return " + "[" * 400 + "]" * 400),
    "3,000-term expression on one line": fenced(HEADER + "    return " + " + ".join(["text"] * 3000)),
    "3,000-term expression over many lines": fenced(HEADER + "    return (" + " +\n".join(["text"] * 3000) + ")"),
    "a 1 MB line": fenced(HEADER + "    return '" + "x" * 1_000_000 + "'"),
    "NUL bytes": fenced(HEADER + "    return text\x00.lower()"),
    "lone surrogates": fenced(HEADER + "    return 'a\ud800b' + text"),
    "a bare fence": "```",
    "500 definitions of the function": fenced(
        "\n".join(HEADER + "    return '-'.join(text.lower().split())\n" for _ in range(500))
    ),
    "every forbidden module imported": fenced(
        "\n".join(f"import {module}" for module in sorted(FORBIDDEN_MODULES))
        + "\n"
        + HEADER
        + "    return '-'.join(text.lower().split())"
    ),
    "valid Python in another language's idioms": fenced(HEADER + "    var = text.toLowerCase()\n    return var"),
    "a megabyte of prose": "word " * 200_000,
    "ten thousand lines of prose after the code": fenced(HEADER + "    return text")
    + "\n"
    + "\n".join(f"and then {n}" for n in range(10_000)),
}


def generate(reply: str, spec: ToolSpec = SPEC) -> GeneratedTool:
    generator = LLMCodeGenerator.create(ScriptedModel([reply]), policy=ONE_CALL)
    return asyncio.run(generator.generate_code(spec))


def has_a_finding(tool: GeneratedTool) -> bool:
    """Every attempt says what is wrong: a finding, or an example that failed."""
    return bool(tool.report.attempts) and all(
        attempt.findings or any(not outcome.passed for outcome in attempt.examples) for attempt in tool.report.attempts
    )


@requires_sandbox
@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_reply_ends_in_a_report_with_a_finding(name: str) -> None:
    tool = generate(HOSTILE[name])
    assert tool.status in {"unverified", "stub"}, tool.report.reason
    assert has_a_finding(tool), tool.report.attempts
    tool.report.to_json().encode("utf-8")  # the report can be written, whatever the reply held


@requires_sandbox
def test_each_limit_is_named_in_the_finding() -> None:
    said = {
        name: " ".join(finding.message for finding in generate(HOSTILE[name]).report.attempts[0].findings)
        for name in ("deep nesting", "3,000-term expression on one line", "a 1 MB line", "a megabyte of prose")
    }
    assert "brackets nested 400 deep, over the limit of 64" in said["deep nesting"]
    assert "a line of" in said["3,000-term expression on one line"] and "over the limit" in said["a 1 MB line"]
    assert "characters, over the limit of 100,000" in said["a megabyte of prose"]


@requires_sandbox
def test_a_parser_that_gives_up_is_named() -> None:
    findings = generate(HOSTILE["3,000-term expression over many lines"]).report.attempts[0].findings
    assert any("RecursionError" in finding.message for finding in findings), findings


@requires_sandbox
def test_the_function_defined_500_times_is_told_to_define_it_once() -> None:
    findings = generate(HOSTILE["500 definitions of the function"]).report.attempts[0].findings
    assert any(f.rule == "compliance/redefined" and "500 times" in f.message for f in findings), findings


@requires_sandbox
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(max_size=400),
        st.text(alphabet="()[]{}+-*/:=,.'\"\\\n\t #@!`xyz01", max_size=600).map(fenced),
        st.builds(lambda body: fenced(HEADER + body), st.text(max_size=300)),
    )
)
def test_any_reply_ends_in_a_report_never_an_exception(reply: str) -> None:
    tool = generate(reply)
    assert tool.status in {"verified", "unverified", "stub"}
    assert tool.status != "verified" or parses(tool.implementation)
    assert has_a_finding(tool) or tool.status == "verified"


@pytest.mark.parametrize(
    "work",
    [lambda: parses("x = 1"), lambda: check_bandit("import os\nos.system('x')"), lambda: mend("x = 1", SPEC)],
    ids=["parse", "bandit", "mend"],
)
def test_ast_work_waits_while_another_thread_parses(work) -> None:
    # gh-106905: CPython 3.11's ast module keeps one recursion counter per interpreter, so ASTs built in two
    # threads at once can fail with SystemError on fine code. Every parse and bandit run holds AST_LOCK.
    done: list[object] = []
    worker = threading.Thread(target=lambda: done.append(work()))
    with AST_LOCK:
        worker.start()
        worker.join(timeout=0.3)
        assert worker.is_alive() and done == []  # it waits for the lock this thread holds
    worker.join(timeout=30)
    assert len(done) == 1
