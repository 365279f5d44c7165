"""Code out of a model's reply: fenced or bare, several blocks, prose around it, a fence never closed."""

from __future__ import annotations

import ast
import re

from pydantic import BaseModel, ConfigDict

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
    how: str  # "fenced", "fenced-unclosed", "bare", "none": shown in reports


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return True


def _trim_to_parsable(code: str) -> str:
    """Drop trailing lines (prose after bare code) until the rest parses; keep the original if none does."""
    lines = code.rstrip().splitlines()
    for end in range(len(lines), 0, -1):
        candidate = "\n".join(lines[:end])
        if _parses(candidate):
            return candidate
    return code.rstrip()


def _is_import_only(block: str) -> bool:
    try:
        tree = ast.parse(block)
    except SyntaxError:
        return False
    return bool(tree.body) and all(isinstance(node, ast.Import | ast.ImportFrom) for node in tree.body)


def extract_code(reply: str, function_name: str | None = None) -> ExtractedCode:
    """The Python code in a reply. Prefers the fenced block defining `function_name`."""
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
        if not _parses(code):
            code = _trim_to_parsable(code)
        return ExtractedCode(code=code, how="fenced-unclosed" if unclosed else "fenced")
    start = _CODE_START.search(reply)
    if start is None:
        return ExtractedCode(code=None, how="none")
    return ExtractedCode(code=_trim_to_parsable(reply[start.start() :]), how="bare")
