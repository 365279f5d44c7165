"""A spec's type expression as a small JSON tree: what the sandbox checks return values against.

The harness inside the sandbox is standard library only and must not parse type expressions, so the host
turns `list[int] | None` into `["union", [["list", ["int"]], ["none"]]]` and the harness walks that.
The probes' input strategies are built from the same tree (probes.py), and a test written from the spec's
words counts only if its values fit it as the harness would check them (fits_declared_types).
"""

from __future__ import annotations

import ast
from typing import Any

from ..sandbox.values import json_view, type_problem
from ..spec import Example, ToolSpec
from ..spec.typeexpr import canonical_type, parse_type

TypeTree = list[Any]
ANY: TypeTree = ["any"]
_SIMPLE = {"int": "int", "float": "float", "str": "str", "bool": "bool", "bytes": "bytes", "None": "none"}
_GENERIC_OF_ANY = {"list": ["list", ANY], "set": ["set", ANY], "frozenset": ["set", ANY], "tuple": ["tuple*", ANY]}


def type_tree(expression: str | None) -> TypeTree:
    """The tree of a (valid) type expression; None, `Any` and `object` give `["any"]`."""
    if expression is None:
        return ANY
    return _tree(parse_type(canonical_type(expression)))


def fits_declared_types(example: Example, spec: ToolSpec) -> bool:
    """Whether an example's inputs and expected result are of the spec's declared types. A spec-derived test
    that breaks them tests the model's arithmetic of types, not the tool (`mean(values=1)` for a list param)."""
    types = {param.name: param.type for param in spec.input_params}
    if any(type_problem(value, json_view(type_tree(types[name]))) for name, value in example.input.items()):
        return False
    return not (example.expects_output and type_problem(example.output, json_view(type_tree(spec.output_type))))


def _tree(node: ast.expr) -> TypeTree:
    if isinstance(node, ast.Constant) and node.value is None:
        return ["none"]
    if isinstance(node, ast.BinOp):
        return ["union", _members(node)]
    if isinstance(node, ast.Name):
        if node.id in _SIMPLE:
            return [_SIMPLE[node.id]]
        if node.id in _GENERIC_OF_ANY:
            return _GENERIC_OF_ANY[node.id]
        if node.id == "dict":
            return ["dict", ANY, ANY]
        return ["callable"] if node.id == "Callable" else ANY
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        generic = node.value.id
        arguments = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if generic == "Literal":
            return ["literal", [argument.value for argument in arguments if isinstance(argument, ast.Constant)]]
        if generic == "Callable":
            return ["callable"]
        if generic in {"list", "set", "frozenset"}:
            return ["set" if generic == "frozenset" else generic, _tree(arguments[0])]
        if generic == "dict":
            return ["dict", _tree(arguments[0]), _tree(arguments[1])] if len(arguments) == 2 else ["dict", ANY, ANY]
        if generic == "tuple":
            if len(arguments) == 2 and isinstance(arguments[1], ast.Constant) and arguments[1].value is Ellipsis:
                return ["tuple*", _tree(arguments[0])]
            return ["tuple", [_tree(argument) for argument in arguments]]
    return ANY


def _members(node: ast.expr) -> list[TypeTree]:
    if isinstance(node, ast.BinOp):
        return _members(node.left) + _members(node.right)
    return [_tree(node)]


def describe(tree: TypeTree) -> str:
    """A tree back in Python's spelling, for messages."""
    kind = tree[0]
    if kind == "union":
        return " | ".join(describe(member) for member in tree[1])
    if kind == "literal":
        return f"Literal[{', '.join(map(repr, tree[1]))}]"
    if kind in {"list", "set"}:
        return f"{kind}[{describe(tree[1])}]"
    if kind == "tuple*":
        return f"tuple[{describe(tree[1])}, ...]"
    if kind == "tuple":
        return f"tuple[{', '.join(describe(member) for member in tree[1])}]"
    if kind == "dict":
        return f"dict[{describe(tree[1])}, {describe(tree[2])}]"
    return {"any": "Any", "none": "None", "callable": "Callable"}.get(kind, kind)
