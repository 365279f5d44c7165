"""Findings: one problem each, with a rule id, a line and a message a repair prompt can quote as is."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Severity = Literal["error", "warning"]


class Finding(BaseModel):
    """`error` findings stop a tool from being verified; `warning` findings are shown but do not."""

    model_config = ConfigDict(frozen=True)

    rule: str  # "<check>/<what>", e.g. "security/forbidden-call"
    message: str
    line: int | None = None
    severity: Severity = "error"

    @property
    def check(self) -> str:
        return self.rule.split("/", 1)[0]

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}[{self.rule}] {self.message}"
