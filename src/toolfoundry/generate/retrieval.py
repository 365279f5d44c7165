"""Which verified tools a prompt may show as examples: the pool (the user's library and the built-in tools,
near-duplicates dropped by a fingerprint of their code) and BM25 retrieval over it. What counts as the same
example, and which are similar, is generation's choice; the library only keeps the tools."""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass

from rank_bm25 import BM25Okapi

from ..errors import UnparsableCode
from ..library import ToolLibrary, VerifiedTool, builtin_library
from ..safe_ast import parse_module
from ..spec import ToolSpec


def code_fingerprint(code: str, name: str = "") -> str:
    """Equal for code that differs only in comments, spacing, docstrings or the tool's own name (`name`):
    the same tool stored twice under two names is one example, not two."""
    try:
        tree = parse_module(code)
    except UnparsableCode:
        return hashlib.sha256(code.encode()).hexdigest()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            node.body = body[1:] or [ast.Pass()]
        if isinstance(node, ast.FunctionDef) and name and node.name == name:
            node.name = "_tool_"
        elif isinstance(node, ast.Name) and name and node.id == name:
            node.id = "_tool_"
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()


def retrieval_pool(library: ToolLibrary | None) -> tuple[VerifiedTool, ...]:
    """Examples to retrieve from: the user's verified tools (newest versions) and the built-in ones,
    without near-duplicates (same name: the user's wins; the same code under another name, or differing only
    in comments and docstrings: once)."""
    pool: list[VerifiedTool] = []
    names: set[str] = set()
    fingerprints: set[str] = set()
    for tool in [*(library.latest() if library else []), *builtin_library()]:
        fingerprint = code_fingerprint(tool.code, tool.name)
        if tool.name in names or fingerprint in fingerprints:
            continue
        names.add(tool.name)
        fingerprints.add(fingerprint)
        pool.append(tool)
    return tuple(pool)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.replace("_", " ").lower())


def _document(spec: ToolSpec) -> list[str]:
    params = " ".join(f"{param.name} {param.type} {param.description}" for param in spec.input_params)
    tool_type = spec.effective_tool_type.value
    return _words(f"{spec.name} {spec.name} {spec.description} {params} {spec.output_format} {tool_type} {tool_type}")


@dataclass
class ExampleRetriever:
    """Lexical (BM25) retrieval over library tools by name, description, params and tool type."""

    tools: tuple[VerifiedTool, ...]

    def __post_init__(self) -> None:
        self._index = BM25Okapi([_document(tool.spec) for tool in self.tools]) if self.tools else None

    def similar(self, spec: ToolSpec, limit: int = 3) -> list[VerifiedTool]:
        if self._index is None or limit <= 0:
            return []
        scores = self._index.get_scores(_document(spec))
        ranked = sorted(range(len(self.tools)), key=lambda index: -scores[index])
        return [self.tools[index] for index in ranked[:limit] if scores[index] > 0]
