"""Python type expressions as written in specs (`str`, `list[dict]`, `int | None`, `Any`).

A spec's types are parsed with `ast`, never evaluated, checked against a small vocabulary, and put in one
canonical spelling (`Optional[int]` and `typing.Union[int, None]` both become `int | None`) so that the
compliance check can compare a generated signature with the spec by value, not by spelling.
"""

from __future__ import annotations

import ast
from typing import cast

from ..errors import TypeExpressionError, UnparsableCode
from ..safe_ast import CodeLimits, parse

# Names a spec may use. Kept to what JSON Schema, MCP and OpenAI tools can carry plus `Callable`/`object`.
SIMPLE_TYPES = frozenset(
    {
        "str",
        "int",
        "float",
        "bool",
        "bytes",
        "list",
        "dict",
        "tuple",
        "set",
        "frozenset",
        "object",
        "Any",
        "None",
    }
)
GENERIC_TYPES = frozenset({"list", "dict", "tuple", "set", "frozenset", "Optional", "Union", "Literal", "Callable"})
# A type in a spec is short; one that is not is refused before it is parsed (specs are hostile input too).
_TYPE_LIMITS = CodeLimits(max_chars=2_000, max_line_chars=2_000, max_nesting=32)
# typing aliases that mean a builtin generic; `typing.List[int]` is spelt `list[int]` canonically.
TYPING_ALIASES = {"List": "list", "Dict": "dict", "Tuple": "tuple", "Set": "set", "FrozenSet": "frozenset"}


def parse_type(expression: str) -> ast.expr:
    """Parse a type expression into its AST, raising TypeExpressionError with a reason."""
    text = expression.strip()
    if not text:
        raise TypeExpressionError("empty type expression")
    try:
        tree = cast(ast.Expression, parse(text, mode="eval", limits=_TYPE_LIMITS)).body
    except UnparsableCode as error:
        raise TypeExpressionError(f"{expression[:200]!r} is not a Python type expression ({error})") from None
    _check_node(tree, expression)
    return tree


def _name_of(node: ast.expr) -> str | None:
    """`int` -> 'int', `typing.List` -> 'list', anything else -> None."""
    if isinstance(node, ast.Name):
        return TYPING_ALIASES.get(node.id, node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "typing":
        return TYPING_ALIASES.get(node.attr, node.attr)
    return None


def _check_node(node: ast.expr, expression: str) -> None:
    if isinstance(node, ast.Constant) and node.value is None:
        return
    if isinstance(node, ast.Constant) and node.value is Ellipsis:
        return
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        _check_node(node.left, expression)
        _check_node(node.right, expression)
        return
    if isinstance(node, ast.List):  # the argument list of Callable[[int, str], bool]
        for element in node.elts:
            _check_node(element, expression)
        return
    name = _name_of(node)
    if name is not None:
        if name not in SIMPLE_TYPES and name not in GENERIC_TYPES:
            raise TypeExpressionError(f"unknown type {name!r} in {expression!r}; known: {_vocabulary()}")
        return
    if isinstance(node, ast.Subscript):
        generic = _name_of(node.value)
        if generic not in GENERIC_TYPES:
            raise TypeExpressionError(f"{ast.unparse(node.value)!r} cannot take parameters in {expression!r}")
        arguments = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if generic == "Literal":
            for argument in arguments:
                if not isinstance(argument, ast.Constant):
                    raise TypeExpressionError(f"Literal takes only constants in {expression!r}")
            return
        for argument in arguments:
            _check_node(argument, expression)
        return
    raise TypeExpressionError(f"{ast.unparse(node)!r} is not a type in {expression!r}")


def _vocabulary() -> str:
    return ", ".join(sorted(SIMPLE_TYPES | GENERIC_TYPES))


def _union_members(node: ast.expr) -> list[str]:
    """Flatten `A | B | C`, Optional and Union into canonical member strings."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union_members(node.left) + _union_members(node.right)
    if isinstance(node, ast.Subscript) and _name_of(node.value) in {"Optional", "Union"}:
        arguments = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        members = [member for argument in arguments for member in _union_members(argument)]
        return [*members, "None"] if _name_of(node.value) == "Optional" else members
    return [_canonical(node)]


def _canonical(node: ast.expr) -> str:
    if isinstance(node, ast.Constant):
        return "None" if node.value is None else ("..." if node.value is Ellipsis else repr(node.value))
    if isinstance(node, ast.List):
        return "[" + ", ".join(_canonical(element) for element in node.elts) + "]"
    if isinstance(node, ast.BinOp) or (
        isinstance(node, ast.Subscript) and _name_of(node.value) in {"Optional", "Union"}
    ):
        members: list[str] = []
        for member in _union_members(node):
            if member not in members:
                members.append(member)
        # None goes last so that `None | int` and `Optional[int]` read the same.
        members.sort(key=lambda member: member == "None")
        return " | ".join(members)
    if isinstance(node, ast.Subscript):
        arguments = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        return f"{_name_of(node.value)}[{', '.join(_canonical(argument) for argument in arguments)}]"
    name = _name_of(node)
    return name if name is not None else ast.unparse(node)


def canonical_type(expression: str) -> str:
    """The one spelling of a valid type expression: `Optional[List[int]]` -> `list[int] | None`."""
    return _canonical(parse_type(expression))


def canonical_annotation(node: ast.expr) -> str:
    """Canonical spelling of an annotation found in generated code (which may be a string annotation)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return canonical_type(node.value)
        except TypeExpressionError:
            return node.value
    try:
        _check_node(node, ast.unparse(node))
    except TypeExpressionError:
        return ast.unparse(node)
    return _canonical(node)


def is_optional(expression: str) -> bool:
    """True when None is a member of the type, so a default of None fits it."""
    canonical = canonical_type(expression)
    return canonical in {"Any", "object", "None"} or canonical.endswith("| None")


def names_used(expression: str) -> set[str]:
    """Names an annotation needs at run time, e.g. {'Any', 'Literal'} for `Literal['a'] | Any`."""
    return {node.id for node in ast.walk(parse_type(expression)) if isinstance(node, ast.Name)}
