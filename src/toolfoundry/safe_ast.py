"""Parsing Python that someone else wrote (a model's reply, a spec's type expression, a module read from disk).

Such text is hostile input, so:
- It is bounded before it is parsed (`CodeLimits`): its size, its longest line and how deeply its brackets nest.
  A 1 MB line or a thousand nested brackets is refused with the limit it broke, before any regex or parser
  spends time on it.
- One thread parses at a time. CPython 3.11's `ast` module keeps its recursion counter per interpreter, not per
  thread (gh-106905): two threads building ASTs at once can fail with "SystemError: AST constructor recursion
  depth mismatch", in whichever thread, on code that is fine. Every parse here holds AST_LOCK, and so does every
  bandit run (bandit parses too); checks run in worker threads while extraction runs elsewhere, so without the
  lock one tool's parse could fail another's.
- Any failure is an answer, never a crash: `UnparsableCode` (a ToolfoundryError) says why, with the exception's
  name when the parser itself gave up (a 3,000-term expression raises RecursionError, a NUL byte ValueError).
"""

from __future__ import annotations

import ast
import threading
import warnings
from dataclasses import dataclass
from typing import cast

from .errors import UnparsableCode

AST_LOCK = threading.RLock()
_OPENING, _CLOSING = "([{", ")]}"


@dataclass(frozen=True)
class CodeLimits:
    """What model-written text may be. Far beyond any tool's code (a reply is at most a few thousand tokens);
    meant to stop degenerate replies, not to judge style."""

    max_chars: int = 100_000
    max_line_chars: int = 5_000
    max_nesting: int = 64  # brackets open at once; CPython's own parser stops at 200


LIMITS = CodeLimits()


def limit_problem(text: str, limits: CodeLimits = LIMITS) -> str | None:
    """Which limit `text` breaks, said so that a reader can act on it, or None when it keeps to all of them."""
    if len(text) > limits.max_chars:
        return f"{len(text):,} characters, over the limit of {limits.max_chars:,}"
    longest = max((len(line) for line in text.split("\n")), default=0)
    if longest > limits.max_line_chars:
        return f"a line of {longest:,} characters, over the limit of {limits.max_line_chars:,}"
    depth = deepest = 0
    for character in text:  # brackets inside strings count too: a bound, not a parser
        if character in _OPENING:
            depth += 1
            deepest = max(deepest, depth)
        elif character in _CLOSING:
            depth = max(0, depth - 1)
    if deepest > limits.max_nesting:
        return f"brackets nested {deepest} deep, over the limit of {limits.max_nesting}"
    return None


def parse(source: str, mode: str = "exec", limits: CodeLimits = LIMITS) -> ast.AST:
    """The AST of `source`, or UnparsableCode saying why not (a limit, a syntax error with its line, or the
    exception the parser raised)."""
    problem = limit_problem(source, limits)
    if problem is not None:
        raise UnparsableCode(f"refused before parsing: {problem}", reason="limit")
    with AST_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "invalid escape sequence" and the like are the code's, not ours to print
        try:
            return ast.parse(source, mode=mode)
        except SyntaxError as error:
            text = (error.text or "").strip()
            shown = f": `{text[:200]}`" if text else ""
            raise UnparsableCode(f"{error.msg}{shown}", reason="syntax", line=error.lineno) from None
        except Exception as error:  # RecursionError, ValueError (NUL bytes), MemoryError, SystemError...
            raise UnparsableCode(f"{type(error).__name__}: {str(error)[:200]}", reason=type(error).__name__) from None


def parse_module(source: str, limits: CodeLimits = LIMITS) -> ast.Module:
    return cast(ast.Module, parse(source, "exec", limits))


def parses(source: str) -> bool:
    try:
        parse(source)
    except UnparsableCode:
        return False
    return True
