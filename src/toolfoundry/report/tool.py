"""The report: what was tried, what passed, what did not, what it cost. Written beside every tool."""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..checks.behaviour import ExampleOutcome
from ..checks.findings import Finding
from ..errors import ToolfoundryError, redact
from ..evidence import Evidence
from ..evidence.questions import Review

# verified: every check passed; unverified: code that is safe and meets the signature, but some check failed;
# stub: no usable code, an honest NotImplementedError; failed: the tool's pipeline itself ended in an error.
Status = Literal["verified", "unverified", "stub", "failed"]
CHECKED_BEFORE = "checked before"  # an attempt's kind when it is no model call: code an earlier run checked


class AttemptRecord(BaseModel):
    """One model call and what became of its reply."""

    model_config = ConfigDict(frozen=True)

    number: int
    model: str
    # "initial" or "repair"; "tests" for the call for test cases from the spec's words; CHECKED_BEFORE for code
    # an earlier run's report held, checked again with no model call
    kind: str
    strategy: str  # "prefill" (the model continued a fixed signature) or "free"
    temperature: float
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    extraction: str = ""  # how code was found in the reply: fenced, fenced-unclosed, bare, none
    mends: list[str] = Field(default_factory=list)
    code: str | None = None
    findings: list[Finding] = Field(default_factory=list)
    examples: list[ExampleOutcome] = Field(default_factory=list)
    examples_ran: bool = False
    examples_passed: int = 0
    probes_ran: int = 0
    probes_failed: int = 0
    tests_failed: int = 0  # spec-derived tests this candidate failed (whether they counted is weighed later)
    verified: bool = False
    cached: bool = False  # the reply came from the response cache: no call was made
    cost_usd: float | None = 0.0  # None when the model's price is unknown
    error: str = ""  # a model error that produced no reply
    same_as: int | None = None  # the attempt that already had this code: not checked again

    @property
    def called_model(self) -> bool:
        return self.kind != CHECKED_BEFORE


class TokenTotals(BaseModel):
    model_config = ConfigDict(frozen=True)

    prompt: int = 0
    completion: int = 0

    @property
    def total(self) -> int:
        return self.prompt + self.completion


class ToolReport(BaseModel):
    """The truth about one generated tool. `status` is `verified` only when every check passed."""

    model_config = ConfigDict(frozen=True)

    tool: str
    status: Status
    reason: str = ""  # why the tool is not verified; empty when it is
    spec_hash: str
    model: str  # the primary model
    models_used: list[str] = Field(default_factory=list)
    chosen_attempt: int | None = None  # the attempt whose code was kept; None for a stub
    stopped: str = ""  # why the attempts ended, per model: verified, a stop rule, or every attempt made
    attempts: list[AttemptRecord] = Field(default_factory=list)
    spec_tests_call: AttemptRecord | None = None  # the call for tests from the spec's words; in tokens and cost
    findings: list[Finding] = Field(default_factory=list)  # of the kept code
    examples: list[ExampleOutcome] = Field(default_factory=list)  # of the kept code
    examples_ran: bool = False
    evidence: Evidence = Field(default_factory=Evidence)  # what "verified" rests on: see Evidence.line
    review: Review = Field(default_factory=Review)  # questions for a person, or a behaviour table to confirm
    tokens: TokenTotals = Field(default_factory=TokenTotals)
    cost_usd: float | None = 0.0  # None when some model's price is unknown
    seconds: float = 0.0
    service: dict[str, Any] = Field(default_factory=dict)  # breakers, cache hits, calls, spend so far in the run
    library: dict[str, Any] = Field(default_factory=dict)  # reused from the tool library, or added to it
    context: dict[str, Any] = Field(default_factory=dict)  # examples retrieved, sections dropped, tokens
    sandbox: dict[str, Any] = Field(default_factory=dict)  # the limits examples ran under
    toolfoundry_version: str = ""
    prompt_version: str = ""
    traceback: str = ""  # for a failure that is a bug of ours: what to put in a bug report

    @classmethod
    def failure(cls, tool: str, spec_hash: str, model: str, error: Exception, seconds: float) -> ToolReport:
        """The report of a tool whose pipeline raised: the exception's class and message as the reason, and
        for anything but a ToolfoundryError (an error we meant) its traceback, for a bug report."""
        ours = isinstance(error, ToolfoundryError)
        trace = "" if ours else "".join(traceback.format_exception(error))[-8000:]
        return cls(
            tool=tool,
            status="failed",
            reason=redact(f"{type(error).__name__}: {error}")[:2000],
            spec_hash=spec_hash,
            model=model,
            seconds=round(seconds, 3),
            traceback=redact(trace),
        )

    @property
    def evidence_line(self) -> str:
        """`verified: 3/3 examples, 1/1 held back, 100 probes clean`; for a stub or failure, just the status."""
        if self.status in {"stub", "failed"}:
            return self.status
        return self.evidence.line(self.status)

    def to_json(self) -> str:
        # A guard: nothing in a report comes from a key, but a provider's error text might echo one.
        return redact(self.model_dump_json(indent=2))

    @classmethod
    def read(cls, path: Path) -> ToolReport | None:
        """The report in a `<name>.report.json` file, or None when there is none or it is not one."""
        try:
            return cls.model_validate_json(path.read_bytes())
        except (OSError, ValidationError):
            return None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ToolReport | None:
        """A report kept as JSON data (the library keeps one beside each tool), or None when it is not a whole
        one (a tool imported from files comes with none)."""
        try:
            return cls.model_validate(data)
        except ValidationError:
            return None
