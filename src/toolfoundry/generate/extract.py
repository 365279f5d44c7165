"""Code out of a model's reply: fenced or bare, several blocks, prose around it, a fence never closed.

A reply is hostile input: one that breaks safe_ast's limits (size, line length, bracket nesting) is refused
before any regex or parse looks at it, and every parse here goes through safe_ast.
"""

from __future__ import annotations

import ast
import re

from pydantic import BaseModel, ConfigDict

from ..errors import UnparsableCode
from ..safe_ast import limit_problem, parse_module, parses

# An opening fence with an optional language tag, then everything up to a closing fence or the end of the text.
_FENCE = re.compile(r"^[ \t]*(```|~~~)[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:^[ \t]*\1[ \t]*$|\Z)", re.DOTALL | re.MULTILINE)
_CODE_START = re.compile(r"^(from \w|import \w|def \w|async def \w|class \w|@\w)", re.MULTILINE)
_NOT_PYTHON = {
    "json",
    "yaml",
    "yml",
    "text",
    "txt",
    "bash",
    "sh",
    "shell",
    "console",
    "output",
    "toml",
    "ini",
}


class ExtractedCode(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str | None
    how: str  # "fenced", "fenced-unclosed", "bare", "none", "refused": shown in reports
    problem: str = ""  # why a reply was refused: the limit it broke


def _trim_to_parsable(code: str) -> str:
    """Drop trailing lines (prose after bare code) until the rest parses; keep the original if none does.
    Each try cuts at the line the parser stopped at, so a long reply costs a few parses, not one per line."""
    lines = code.rstrip().splitlines()
    end = len(lines)
    for _ in range(64):
        if end <= 0:
            break
        try:
            parse_module("\n".join(lines[:end]))
            return "\n".join(lines[:end])
        except UnparsableCode as error:
            if error.reason != "syntax":
                break  # a limit, or a parser that gave up (RecursionError): trimming prose cannot help
            end = min(end - 1, (error.line or end) - 1) if error.line and error.line <= end else end - 1
    return code.rstrip()


def _is_import_only(block: str) -> bool:
    try:
        tree = parse_module(block)
    except UnparsableCode:
        return False
    return bool(tree.body) and all(isinstance(node, ast.Import | ast.ImportFrom) for node in tree.body)


def extract_code(reply: str, function_name: str | None = None) -> ExtractedCode:
    """The Python code in a reply. Prefers the fenced block defining `function_name`."""
    problem = limit_problem(reply)
    if problem is not None:
        return ExtractedCode(code=None, how="refused", problem=f"the reply was refused unread: {problem}")
    blocks: list[str] = []
    unclosed = False
    for match in _FENCE.finditer(reply):
        if match.group(2).lower() in _NOT_PYTHON:
            continue
        body = match.group(3)
        # The pattern ends at a closing fence or at the end of the reply; only the first ends with the fence.
        unclosed = unclosed or not match.group(0).rstrip().endswith(match.group(1))
        if body.strip():
            blocks.append(body.rstrip())
    if blocks:
        wanted = f"def {function_name}(" if function_name else "def "
        defining = [block for block in blocks if wanted in block] or [block for block in blocks if "def " in block]
        chosen = defining[0] if defining else max(blocks, key=len)
        # Imports the model put in a block of their own belong to the function's block.
        imports = [block for block in blocks if block is not chosen and _is_import_only(block)]
        code = "\n".join([*imports, chosen])
        if not parses(code):
            code = _trim_to_parsable(code)
        return ExtractedCode(code=code, how="fenced-unclosed" if unclosed else "fenced")
    start = _CODE_START.search(reply)
    if start is None:
        return ExtractedCode(code=None, how="none")
    return ExtractedCode(code=_trim_to_parsable(reply[start.start() :]), how="bare")
