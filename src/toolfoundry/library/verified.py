"""VerifiedTool: a spec and code that passed every check, wherever it is kept (the user's library, or the
built-in examples shipped with toolfoundry)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from ..spec import ToolSpec


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
