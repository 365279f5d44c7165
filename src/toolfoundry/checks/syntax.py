"""Syntax: does the code parse as Python 3.11."""

from __future__ import annotations

import ast

from .findings import Finding


def check_syntax(code: str) -> tuple[ast.Module | None, list[Finding]]:
    try:
        return ast.parse(code), []
    except SyntaxError as error:
        text = (error.text or "").strip()
        shown = f": `{text}`" if text else ""
        return None, [Finding(rule="syntax/error", line=error.lineno, message=f"{error.msg}{shown}")]
