"""Tests written from the spec's words: a separate model call, made by the repair loop before its code calls,
asks for test cases from the description, output format and constraints (never the held-back examples); the
reply is read here into examples.

A model's test can be wrong as easily as its code; the loop weighs them across candidates (CodeT,
weighing.py): a test that most candidates fail is suspect, and a candidate that fails a test others pass loses.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import UnparsableCode
from ..evidence.probes import input_key
from ..evidence.types import fits_declared_types
from ..models.base import Message
from ..output.templates import render
from ..safe_ast import CodeLimits, parse
from ..spec import Example, ToolSpec
from ..spec.model import exception_name_problem

MAX_SPEC_TESTS = 12
_REPLY_LIMITS = CodeLimits(max_chars=20_000, max_line_chars=2_000, max_nesting=32)
_FENCE = re.compile(r"```(?:python|py)?[ \t]*\n?(.*?)(?:```|\Z)", re.DOTALL)


@dataclass(frozen=True)
class SpecTests:
    tests: list[Example] = field(default_factory=list)
    dropped: int = 0  # lines of the reply that were not a usable test


def spec_tests_messages(shown: ToolSpec) -> tuple[tuple[Message, ...], str]:
    """The request's messages and its prefill (the start of the first assert, for models that continue one)."""
    text = render("spec_tests.j2", spec=shown, signature=shown.signature(), count=6)
    return (Message(role="user", content=text),), f"```python\nassert {shown.name}("


def read_spec_tests(reply: str, spec: ToolSpec) -> SpecTests:
    """The usable tests in a reply: one per statement that calls the function with literal arguments and
    states a literal result or an exception; none that repeats an example's input (the spec rules there)."""
    match = _FENCE.search(reply)
    text = match.group(1) if match else reply
    statements, dropped = _statements(text)
    seen = {input_key(example.input) for example in spec.examples}
    tests: list[Example] = []
    for statement in statements:
        test = _test(statement, spec)
        if (
            test is None
            or input_key(test.input) in seen
            or len(tests) == MAX_SPEC_TESTS
            or not fits_declared_types(test, spec)
        ):
            dropped += 1
            continue
        seen.add(input_key(test.input))
        tests.append(test)
    return SpecTests(tests=tests, dropped=dropped)


def _statements(text: str) -> tuple[list[ast.stmt], int]:
    """The reply's statements; when the whole does not parse, each line that does (small models break one)."""
    try:
        return list(parse(text, limits=_REPLY_LIMITS).body), 0  # type: ignore[attr-defined]
    except UnparsableCode:
        pass
    statements, dropped = [], 0
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            statements += parse(line.strip(), limits=_REPLY_LIMITS).body  # type: ignore[attr-defined]
        except UnparsableCode:
            dropped += 1
    return statements, dropped


def _test(statement: ast.stmt, spec: ToolSpec) -> Example | None:
    if isinstance(statement, ast.Assert):
        return _asserted(statement.test, spec)
    if isinstance(statement, ast.With) and len(statement.items) == 1 and len(statement.body) == 1:
        raises = _raises_name(statement.items[0].context_expr)
        body = statement.body[0]
        if raises and isinstance(body, ast.Expr) and (inputs := _inputs(body.value, spec)) is not None:
            return Example(input=inputs, raises=raises, expects_output=False)
    return None


def _asserted(test: ast.expr, spec: ToolSpec) -> Example | None:
    expected: Any
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq | ast.Is):
        call, other = test.left, test.comparators[0]
        if _inputs(call, spec) is None:
            call, other = other, call  # `assert 3 == f(x)`
        expected = _literal(other)
    elif isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        call, expected = test.operand, False
    else:
        call, expected = test, True
    inputs = _inputs(call, spec)
    if inputs is None or expected is _NOT_LITERAL:
        return None
    return Example(input=inputs, output=expected, expects_output=True)


_NOT_LITERAL = object()


def _literal(node: ast.expr) -> Any:
    """A literal's JSON value (tuples and sets become lists), or _NOT_LITERAL."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NOT_LITERAL
    value = _as_json(value)
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return _NOT_LITERAL
    return value


def _as_json(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_as_json(item) for item in value]
    if isinstance(value, set | frozenset):
        items = [_as_json(item) for item in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, dict):
        return {key: _as_json(item) for key, item in value.items()}
    return value


def _inputs(node: ast.expr, spec: ToolSpec) -> dict[str, Any] | None:
    """The keyword inputs of a call to the tool with literal arguments, or None."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == spec.name):
        return None
    names = [param.name for param in spec.input_params]
    if len(node.args) > len(names) or any(isinstance(arg, ast.Starred) for arg in node.args):
        return None
    pairs = [(name, arg) for name, arg in zip(names, node.args, strict=False)]
    pairs += [(keyword.arg, keyword.value) for keyword in node.keywords if keyword.arg]
    if len(pairs) != len(node.args) + len(node.keywords) or len({name for name, _ in pairs}) != len(pairs):
        return None  # **kwargs, or a param given twice
    inputs = {name: _literal(value) for name, value in pairs}
    required = {param.name for param in spec.input_params if param.required}
    if set(inputs) - set(names) or required - set(inputs) or _NOT_LITERAL in inputs.values():
        return None
    return inputs


def _raises_name(node: ast.expr) -> str | None:
    """`pytest.raises(ValueError)` or `raises(ValueError)` -> 'ValueError'."""
    if not isinstance(node, ast.Call) or len(node.args) != 1:
        return None
    func = node.func
    named = (isinstance(func, ast.Attribute) and func.attr == "raises") or (
        isinstance(func, ast.Name) and func.id == "raises"
    )
    argument = node.args[0]
    name = ast.unparse(argument) if isinstance(argument, ast.Name | ast.Attribute) else ""
    return name if named and name and exception_name_problem(name) is None else None
