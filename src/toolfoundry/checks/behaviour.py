"""Behaviour: the spec's examples run against the candidate. The runner (the OS sandbox) is pluggable.

Without a runner the examples are not run, and the result says so: a tool is never verified on static
checks alone.
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from ..spec import ToolSpec


class ExampleOutcome(BaseModel):
    """One example's run: what was called, what was expected, what came back."""

    model_config = ConfigDict(frozen=True)

    index: int
    call: str  # `slugify(text='Hello')`
    expected: str  # repr of the expected value, or `raises ValueError`
    got: str  # repr of the value returned, or `raised KeyError: 'x'`, or `did not finish`
    passed: bool
    traceback: str = ""  # short, with host paths removed
    seconds: float = 0.0


class BehaviourResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    ran: bool
    reason: str = ""  # why the examples did not run, when they did not
    outcomes: list[ExampleOutcome] = Field(default_factory=list)
    limits: dict[str, Any] = Field(default_factory=dict)  # the sandbox's limits, for the report


class ExampleRunner(Protocol):
    def run_examples(self, code: str, spec: ToolSpec) -> BehaviourResult: ...


def call_text(spec: ToolSpec, inputs: dict[str, Any]) -> str:
    return f"{spec.name}({', '.join(f'{key}={value!r}' for key, value in inputs.items())})"


def expected_text(output: Any, raises: str | None) -> str:
    return f"raises {raises}" if raises else repr(output)


class NotRun:
    """The runner used when no sandbox is configured: says the examples were not run, and why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def run_examples(self, code: str, spec: ToolSpec) -> BehaviourResult:
        return BehaviourResult(ran=False, reason=self.reason)
