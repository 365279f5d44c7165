"""VerifiedTool: a spec and code that passed every check, wherever it is kept (the user's library, or the
built-in examples shipped with toolfoundry), and the pool of them that generation retrieves examples from."""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml

from ..errors import UnparsableCode
from ..safe_ast import parse_module
from ..spec import ToolSpec

if TYPE_CHECKING:  # annotations only: the store imports this module
    from .store import ToolLibrary


@dataclass(frozen=True)
class VerifiedTool:
    """A verified tool. Stored ones carry their version, model and report; built-in ones are version 0."""

    spec: ToolSpec
    code: str
    version: int = 0
    model: str = "built-in"
    report: dict[str, Any] = field(default_factory=dict)
    toolfoundry_version: str = ""
    created: float = 0.0

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def spec_hash(self) -> str:
        return self.spec.spec_hash()


@cache
def builtin_library() -> tuple[VerifiedTool, ...]:
    """The verified example tools shipped with toolfoundry (tests prove each passes every check)."""
    folder = resources.files("toolfoundry") / "examples"
    tools = []
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".yaml"):
            data = yaml.safe_load(entry.read_text(encoding="utf-8"))
            tools.append(VerifiedTool(spec=ToolSpec.model_validate(data["spec"]), code=data["code"]))
    return tuple(tools)


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
