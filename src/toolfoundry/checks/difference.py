"""How a wrong value differs from the expected one, in words a repair prompt can quote.

A weak model shown `should return 'hello-world', got 'Hello-World'` often writes the same code again: it does not
see what differs. Saying it ("they differ only in letter case") points at the fix without writing it. Only
differences that are certain from the two values are named; anything else says nothing, and the values stand
alone as before. The values are the reprs the sandbox reported, read back as literals (never evaluated).
"""

from __future__ import annotations

import ast
from typing import Any

_UNREAD = object()
_ORDERED = (list, tuple)


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _UNREAD


def _a(value: Any) -> str:
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def _names(keys: list[Any]) -> str:
    shown = ", ".join(repr(key) for key in keys[:3])
    return shown + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")


def _strings(expected: str, got: str) -> str:
    if expected.lower() == got.lower():
        return "they differ only in letter case"
    if expected.strip() == got.strip():
        return "they differ only in whitespace at the ends"
    if expected.split() == got.split():
        return "they differ only in whitespace"
    return ""


def _sequences(expected: list[Any] | tuple[Any, ...], got: list[Any] | tuple[Any, ...]) -> str:
    if len(expected) != len(got):
        return f"{len(got)} items where {len(expected)} are expected"
    try:
        if sorted(expected) == sorted(got):
            return "the same items in another order"
    except TypeError:  # items that do not compare
        pass
    wrong = [index for index, (want, have) in enumerate(zip(expected, got, strict=True)) if want != have]
    said = _how([(expected[index], got[index]) for index in wrong])
    if len(wrong) == 1:
        return f"the item at position {wrong[0]} differs{said}"
    return f"the items at positions {_names(wrong)} differ{said}" if wrong else ""


def _mappings(expected: dict[Any, Any], got: dict[Any, Any]) -> str:
    missing = [key for key in expected if key not in got]
    extra = [key for key in got if key not in expected]
    if missing or extra:
        parts = [f"keys missing: {_names(missing)}"] if missing else []
        return "; ".join(parts + ([f"keys not expected: {_names(extra)}"] if extra else []))
    wrong = [key for key in expected if expected[key] != got[key]]
    said = _how([(expected[key], got[key]) for key in wrong])
    if len(wrong) == 1:
        return f"the value of {wrong[0]!r} differs{said}"
    return f"the values of {_names(wrong)} differ{said}" if wrong else ""


def _how(pairs: list[tuple[Any, Any]]) -> str:
    """`: the right value, inside a list`: how the wrong items differ, where it is one certain way for all."""
    ways = {describe_difference(repr(want), repr(have)) for want, have in pairs}
    return f": {ways.pop()}" if len(ways) == 1 and "" not in ways else ""


def describe_difference(expected_repr: str, got_repr: str) -> str:
    """`they differ only in letter case`, `a tuple where a list is expected`, ... or '' when nothing is certain."""
    expected, got = _literal(expected_repr), _literal(got_repr)
    if expected is _UNREAD or got is _UNREAD or (expected == got and type(expected) is type(got)):
        return ""
    if type(expected) is not type(got):
        if isinstance(expected, _ORDERED) and isinstance(got, _ORDERED) and list(expected) == list(got):
            return f"the right items, as {_a(got)} where {_a(expected)} is expected"
        if expected == got or str(expected) == str(got):
            return f"{_a(got)} where {_a(expected)} is expected"
        if isinstance(got, _ORDERED) and len(got) == 1 and got[0] == expected and type(got[0]) is type(expected):
            return f"the right value, inside {_a(got)}"  # `parse_qs` gives {'a': ['1']} where {'a': '1'} is meant
        return ""
    if isinstance(expected, str):
        return _strings(expected, got)
    if isinstance(expected, _ORDERED):
        return _sequences(expected, got)
    if isinstance(expected, dict):
        return _mappings(expected, got)
    return ""
