"""JSON Schema and Python type expressions, both ways.

`json_schema_to_type` reads the parameters of OpenAI, MCP and Anthropic tool definitions; `type_to_schema`
writes them for the targets that describe a tool to a model or a framework, and is its inverse over what both
can say. `strict=True` keeps to OpenAI's strict subset (every object closed and fully required, no `default`,
no free-form objects) and refuses the rest.
"""

from __future__ import annotations

import ast
import json
from typing import Any

from ..errors import Inexpressible
from .typeexpr import parse_type

_PRIMITIVES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "None": "null"}
# JSON Schema primitive types and the Python types they become.
_JSON_TYPES = {json_type: python for python, json_type in _PRIMITIVES.items()}


def json_schema_to_type(schema: Any) -> str:
    """Map a JSON Schema fragment to a Python type expression (`{"type": "array"}` -> `list[Any]`)."""
    if not isinstance(schema, dict) or not schema:
        return "Any"
    if "enum" in schema and isinstance(schema["enum"], list) and schema["enum"]:
        values = [value for value in schema["enum"] if value is not None]
        literal = f"Literal[{', '.join(json.dumps(value) for value in values)}]" if values else "None"
        return f"{literal} | None" if None in schema["enum"] and values else literal
    if "const" in schema:
        return f"Literal[{json.dumps(schema['const'])}]"
    for combinator in ("anyOf", "oneOf"):
        if isinstance(schema.get(combinator), list):
            return _union([json_schema_to_type(option) for option in schema[combinator]])
    kind = schema.get("type")
    if isinstance(kind, list):
        return _union([json_schema_to_type({**schema, "type": member}) for member in kind])
    if kind in _JSON_TYPES:
        return _JSON_TYPES[kind]
    if kind == "array":
        items = schema.get("items")
        if isinstance(items, list):  # draft-4 tuple form
            return f"tuple[{', '.join(json_schema_to_type(item) for item in items)}]"
        return f"list[{json_schema_to_type(items)}]"
    if kind == "object":
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra and not schema.get("properties"):
            return f"dict[str, {json_schema_to_type(extra)}]"
        return "dict[str, Any]"
    return "Any"


def _union(members: list[str]) -> str:
    unique: list[str] = []
    for member in members:
        if member not in unique:
            unique.append(member)
    if "Any" in unique:
        return "Any"
    return " | ".join(unique)


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant) and node.value is None:
        return "None"
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _members(node.left) + _members(node.right)
    return [node]


def _schema(node: ast.expr, strict: bool) -> dict[str, Any]:
    members = _members(node)
    if len(members) > 1:
        schemas = [_schema(member, strict) for member in members]
        simple = [schema.get("type") for schema in schemas]
        if all(isinstance(kind, str) and set(schema) == {"type"} for kind, schema in zip(simple, schemas, strict=True)):
            return {"type": simple}
        nullable = [schema for schema in schemas if schema != {"type": "null"}]
        if len(nullable) == 1 and len(schemas) == 2 and isinstance(nullable[0].get("type"), str):
            return {**nullable[0], "type": [nullable[0]["type"], "null"]}
        return {"anyOf": schemas}
    name = _name(node)
    if name in _PRIMITIVES:
        return {"type": _PRIMITIVES[name]}
    if name in {"Any", "object"}:
        if strict:
            raise Inexpressible("`Any` has no schema in strict mode; give the parameter a concrete type")
        return {}
    if name == "bytes":
        raise Inexpressible("`bytes` has no JSON form; take a base64 `str` instead")
    if name == "Callable" or (isinstance(node, ast.Subscript) and _name(node.value) == "Callable"):
        raise Inexpressible("a callable cannot be passed as JSON")
    if name in {"list", "set", "frozenset", "tuple"}:
        if strict:
            raise Inexpressible(f"`{name}` without an item type has no schema in strict mode")
        return {"type": "array"}
    if name == "dict":
        if strict:
            raise Inexpressible("a free-form `dict` has no schema in strict mode (objects must list their keys)")
        return {"type": "object"}
    if isinstance(node, ast.Subscript):
        generic = _name(node.value)
        arguments = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if generic == "Literal":
            values = [argument.value for argument in arguments if isinstance(argument, ast.Constant)]
            kinds = sorted(
                {_PRIMITIVES[type(value).__name__] for value in values if type(value).__name__ in _PRIMITIVES}
            )
            return {"type": kinds[0] if len(kinds) == 1 else kinds, "enum": values}
        if generic in {"list", "set", "frozenset"}:
            schema = {"type": "array", "items": _schema(arguments[0], strict)}
            return {**schema, "uniqueItems": True} if generic != "list" and not strict else schema
        if generic == "tuple":
            if len(arguments) == 2 and isinstance(arguments[1], ast.Constant) and arguments[1].value is Ellipsis:
                return {"type": "array", "items": _schema(arguments[0], strict)}
            if strict:
                raise Inexpressible("fixed-length tuples have no schema in strict mode")
            items = [_schema(argument, strict) for argument in arguments]
            return {"type": "array", "prefixItems": items, "minItems": len(items), "maxItems": len(items)}
        if generic == "dict":
            if strict:
                raise Inexpressible("a `dict` with free keys has no schema in strict mode")
            return {"type": "object", "additionalProperties": _schema(arguments[1], strict)}
    raise Inexpressible(f"`{ast.unparse(node)}` has no JSON Schema form")


def type_to_schema(expression: str, strict: bool = False) -> dict[str, Any]:
    """JSON Schema for a (canonical) type expression; raises Inexpressible with the reason."""
    return _schema(parse_type(expression), strict)


def admits_null(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return (
        kind == "null"
        or (isinstance(kind, list) and "null" in kind)
        or any(admits_null(option) for option in schema.get("anyOf", []))
    )


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema, admitting null too (how strict mode says 'optional')."""
    if admits_null(schema):
        return schema
    kind = schema.get("type")
    if isinstance(kind, str):
        return {**schema, "type": [kind, "null"], **({"enum": [*schema["enum"], None]} if "enum" in schema else {})}
    if isinstance(kind, list):
        return {**schema, "type": [*kind, "null"]}
    return {"anyOf": [schema, {"type": "null"}]}
