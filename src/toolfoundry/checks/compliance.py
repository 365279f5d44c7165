"""Spec compliance: the function the spec names, with its exact parameters, defaults, type hints and docstring."""

from __future__ import annotations

import ast
from typing import Any

from ..spec import ToolSpec
from ..spec.typeexpr import canonical_annotation
from .findings import Finding

_NO_VALUE = object()


def _flag(findings: list[Finding], rule: str, message: str, line: int | None) -> None:
    findings.append(Finding(rule=f"compliance/{rule}", message=message, line=line))


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NO_VALUE


def find_function(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    return None


def check_compliance(tree: ast.Module, spec: ToolSpec) -> list[Finding]:
    findings: list[Finding] = []
    function = find_function(tree, spec.name)
    if function is None:
        defined = [node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
        also = f"; the code defines {defined}" if defined else ""
        _flag(
            findings,
            "missing-function",
            f"no top-level function `{spec.name}`{also}; expected `{spec.signature()}`",
            None,
        )
        return findings
    line = function.lineno
    definitions = [node.lineno for node in tree.body if getattr(node, "name", None) == spec.name]
    if len(definitions) > 1:
        # Python keeps the last; a reader (and the model, next round) would read the first.
        lines = ", ".join(map(str, definitions[:5])) + (", ..." if len(definitions) > 5 else "")
        _flag(findings, "redefined", f"`{spec.name}` is defined {len(definitions)} times (lines {lines}); once", line)
    if isinstance(function, ast.AsyncFunctionDef):
        _flag(findings, "async-function", f"`{spec.name}` must be a plain `def`, not `async def`", line)
    arguments = function.args
    if arguments.vararg or arguments.kwarg or arguments.posonlyargs or arguments.kwonlyargs:
        _flag(
            findings,
            "parameters",
            f"use exactly the spec's parameters, no *args, **kwargs, / or *: `{spec.signature()}`",
            line,
        )
    names = [argument.arg for argument in arguments.args]
    expected = [param.name for param in spec.input_params]
    if names != expected:
        _flag(
            findings,
            "parameters",
            f"parameters are {names}, the spec's are {expected}: `{spec.signature()}`",
            line,
        )
        return findings + _docstring_findings(function, spec)
    defaults: list[ast.expr | None] = [None] * (len(names) - len(arguments.defaults)) + list(arguments.defaults)
    for param, argument, default in zip(spec.input_params, arguments.args, defaults, strict=True):
        if argument.annotation is None:
            _flag(
                findings,
                "type-hint",
                f"parameter `{param.name}` needs the type hint `{param.type}`",
                argument.lineno,
            )
        elif canonical_annotation(argument.annotation) != param.type:
            _flag(
                findings,
                "type-hint",
                f"parameter `{param.name}` is annotated "
                f"`{ast.unparse(argument.annotation)}`, the spec says `{param.type}`",
                argument.lineno,
            )
        if param.required and default is not None:
            _flag(
                findings,
                "default",
                f"parameter `{param.name}` is required by the spec and must have no default",
                argument.lineno,
            )
        elif not param.required and default is None:
            _flag(
                findings,
                "default",
                f"parameter `{param.name}` needs the default `{param.default!r}`",
                argument.lineno,
            )
        elif not param.required and default is not None and _literal(default) != param.default:
            _flag(
                findings,
                "default",
                f"parameter `{param.name}` defaults to `{ast.unparse(default)}`, the spec says `{param.default!r}`",
                argument.lineno,
            )
    if spec.output_type:
        if function.returns is None:
            _flag(
                findings,
                "return-type",
                f"`{spec.name}` needs the return annotation `-> {spec.output_type}`",
                line,
            )
        elif canonical_annotation(function.returns) != spec.output_type:
            _flag(
                findings,
                "return-type",
                f"returns `{ast.unparse(function.returns)}`, the spec says `{spec.output_type}`",
                line,
            )
    return findings + _docstring_findings(function, spec)


def _docstring_findings(function: ast.FunctionDef | ast.AsyncFunctionDef, spec: ToolSpec) -> list[Finding]:
    findings: list[Finding] = []
    if not ast.get_docstring(function):
        _flag(findings, "docstring", f"`{spec.name}` needs a docstring saying what it does", function.lineno)
    body = [node for node in function.body if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    if not body or all(isinstance(node, ast.Pass) for node in body):
        _flag(findings, "empty-body", f"`{spec.name}` has no implementation", function.lineno)
    elif _only_raises_not_implemented(body):
        _flag(findings, "empty-body", f"`{spec.name}` only raises NotImplementedError", function.lineno)
    return findings


def _only_raises_not_implemented(body: list[ast.stmt]) -> bool:
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    exception = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(exception, ast.Name) and exception.id == "NotImplementedError"
