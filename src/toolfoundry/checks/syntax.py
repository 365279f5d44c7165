"""Syntax: does the code keep to the limits and parse as Python 3.11 (see safe_ast: bounded, one parse at a time,
any parser failure an answer)."""

from __future__ import annotations

import ast

from ..errors import UnparsableCode
from ..safe_ast import parse_module
from .findings import Finding


def unparsable_finding(error: UnparsableCode) -> Finding:
    """The finding for code that breaks a limit or does not parse, in words a repair prompt can quote."""
    if error.reason == "syntax":
        return Finding(rule="syntax/error", line=error.line, message=str(error))
    if error.reason == "limit":
        return Finding(rule="syntax/limit", message=f"the code was {error}; write one short function")
    return Finding(rule="syntax/unparsable", message=f"the code does not parse ({error}); write it plainly")


def check_syntax(code: str) -> tuple[ast.Module | None, list[Finding]]:
    try:
        return parse_module(code), []
    except UnparsableCode as error:
        return None, [unparsable_finding(error)]
