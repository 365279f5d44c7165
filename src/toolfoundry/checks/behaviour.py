"""Behaviour: the spec's examples run against the candidate in the OS sandbox, compared by value.

Without a runner the examples are not run, and the result says so: a tool is never verified on static
checks alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from ..errors import SandboxUnavailable
from ..evidence.judging import ProbeResult, call_text, judge_probes, quoted_exception
from ..evidence.probes import ProbePlan
from ..evidence.types import type_tree
from ..sandbox import SandboxLimits, describe_limits, is_loopback, protocol, run_in_sandbox, split_host_port
from ..spec import Example, ToolSpec
from .difference import describe_difference
from .exchanges import exchanges_problem, json_ready, unreachable_hosts
from .folder_after import folder_problem


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
    # Written out only when something is wrong, so the reports of tools without files or exchanges read as before.
    files: str = Field(default="", exclude_if=lambda value: not value)  # the folder after the call, diff included
    http: str = Field(default="", exclude_if=lambda value: not value)  # its requests against the recorded ones

    @property
    def where(self) -> str:
        """The candidate's line that raised, `line 6, in save_json: os.makedirs(...)`: a repair prompt quotes it,
        since "raised FileNotFoundError" alone does not say which of the tool's calls was wrong."""
        lines = [line.strip() for line in self.traceback.splitlines() if line.startswith("  line ")]
        return lines[-1][:200] if lines else ""

    @property
    def difference(self) -> str:
        """How the value differs from the expected one, where that is certain ("they differ only in letter
        case"): a repair prompt quotes it, since a weak model shown both values often does not see it."""
        return "" if self.passed else describe_difference(self.expected, self.got)


class BehaviourResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    ran: bool
    reason: str = ""  # why the examples did not run, when they did not
    outcomes: list[ExampleOutcome] = Field(default_factory=list)
    limits: dict[str, Any] = Field(default_factory=dict)  # the sandbox's limits, for the report
    probes: ProbeResult = Field(default_factory=ProbeResult)
    test_outcomes: list[ExampleOutcome] = Field(default_factory=list)  # spec-derived tests, indexed from 0
    # Why the examples could not be judged here though they ran: they reach hosts the checks cannot, with no
    # recorded exchanges to answer for them. No repair changes that.
    cannot_run: str = Field(default="", exclude_if=lambda value: not value)


class ExampleRunner(Protocol):
    def run_examples(
        self, code: str, spec: ToolSpec, probes: ProbePlan | None = None, tests: Sequence[Example] = ()
    ) -> BehaviourResult: ...


def expected_text(output: Any, raises: str | None) -> str:
    return f"raises {raises}" if raises else repr(output)


class NotRun:
    """The runner used when no sandbox is configured: says the examples were not run, and why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def run_examples(
        self, code: str, spec: ToolSpec, probes: ProbePlan | None = None, tests: Sequence[Example] = ()
    ) -> BehaviourResult:
        return BehaviourResult(ran=False, reason=self.reason)


def values_match(expected: Any, got: Any) -> bool:
    """Compare by value as JSON sees it: tuples equal lists, floats equal within 1e-9, bool is not int."""
    if isinstance(expected, bool) or isinstance(got, bool):
        return isinstance(expected, bool) and isinstance(got, bool) and expected == got
    if isinstance(expected, int | float) and isinstance(got, int | float):
        return math.isclose(expected, got, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, list | tuple) and isinstance(got, list):
        return len(expected) == len(got) and all(values_match(e, g) for e, g in zip(expected, got, strict=True))
    if isinstance(expected, dict) and isinstance(got, dict):
        return set(map(str, expected)) == set(got) and all(values_match(v, got[str(k)]) for k, v in expected.items())
    return expected == got


def _outcome(
    spec: ToolSpec, example: Example, index: int, record: protocol.Record | None, ended: str
) -> ExampleOutcome:
    outcome = _value_outcome(spec, example, index, record, ended)
    if record is None or record.get("status") == protocol.TIMEOUT:
        return outcome
    files = folder_problem(example, record.get("files_after"), spec.permissions.filesystem == "write")
    http = exchanges_problem(example, record.get("http"))
    if not (files or http):
        return outcome
    return outcome.model_copy(update={"files": files, "http": http, "passed": False})


def _value_outcome(
    spec: ToolSpec, example: Example, index: int, record: protocol.Record | None, ended: str
) -> ExampleOutcome:
    base = {
        "index": index,
        "call": call_text(spec.name, example.input),
        "expected": expected_text(example.output, example.raises),
    }
    if record is None:
        return ExampleOutcome(**base, got=f"did not finish ({ended})", passed=False)
    status = record.get("status")
    if status == protocol.TIMEOUT:
        return ExampleOutcome(**base, got="did not finish (per-example time limit)", passed=False)
    if status == protocol.RETURNED:
        passed = example.expects_output and values_match(example.output, record.get("value"))
        return ExampleOutcome(**base, got=str(record.get("repr", "")), passed=passed)
    exception = str(record.get("exception", "an exception"))
    raised = example.raises is not None and example.raises.rsplit(".", 1)[-1] in record.get("mro", [])
    # With its message, as probes quote it: `[Errno 2] No such file or directory: ''` is what a repair can fix.
    message = str(record.get("message", "")).strip()
    return ExampleOutcome(
        **base,
        got="raised " + quoted_exception(f"{exception}: {message}" if message else exception),
        passed=raised,
        traceback=str(record.get("traceback", ""))[:1500],
    )


class SandboxRunner:
    """Runs each example against the candidate inside the bubblewrap sandbox (see the sandbox package)."""

    def __init__(self, limits: SandboxLimits | None = None, unsandboxed: bool = False) -> None:
        self.limits = limits or SandboxLimits()
        self.unsandboxed = unsandboxed

    def run_examples(
        self, code: str, spec: ToolSpec, probes: ProbePlan | None = None, tests: Sequence[Example] = ()
    ) -> BehaviourResult:
        """The examples, the spec-derived tests, then the probes (when given), in one sandbox run."""
        plan = probes or ProbePlan()
        examples = [*spec.examples, *tests]
        reads_files = spec.permissions.filesystem != "none"
        jobs: list[protocol.Call] = [
            {"index": index, "input": example.input, "files": example.files}
            | ({"read_back": True} if reads_files or example.files_after is not None else {})
            | ({"http": json_ready(example.http)} if example.http is not None else {})
            for index, example in enumerate(examples)
        ]
        try:
            run = run_in_sandbox(
                code,
                spec.name,
                jobs,
                self.limits,
                unsandboxed=self.unsandboxed,
                network=tuple(spec.permissions.network),
                probes=[
                    {"index": probe.index, "input": probe.input, "files": probe.files}
                    | ({"http": json_ready(probe.http)} if probe.http is not None else {})
                    for probe in plan.probes
                ],
                returns=type_tree(spec.output_type),
            )
        except SandboxUnavailable as error:
            return BehaviourResult(ran=False, reason=f"examples were not run: {error}")
        limits = describe_limits(self.limits, self.unsandboxed) | {
            "process_limit": run.process_limit,
            "network": [value for value in spec.permissions.network if is_loopback(split_host_port(value)[0])],
            "network_unreachable": [
                value for value in spec.permissions.network if not is_loopback(split_host_port(value)[0])
            ],
        }
        import_error = next((record for record in run.results if record.get("index") == protocol.IMPORT_FAILED), None)
        if import_error is not None:
            message = f"importing the module raised {import_error.get('exception')}"
            outcomes = [
                ExampleOutcome(
                    index=index,
                    call=call_text(spec.name, example.input),
                    expected=expected_text(example.output, example.raises),
                    got=message,
                    passed=False,
                    traceback=str(import_error.get("traceback", "")),
                )
                for index, example in enumerate(examples)
            ]
            return self._result(spec, outcomes, limits)
        by_index = {record.get("index"): record for record in run.results}
        ended = protocol.ended(run.timed_out, run.exit_code, self.limits.wall_seconds, self.limits.output_bytes)
        outcomes = [
            _outcome(spec, example, index, by_index.get(index), ended) for index, example in enumerate(examples)
        ]
        blocked = unreachable_hosts(spec, examples, [by_index.get(index) for index in range(len(examples))])
        if blocked:
            result = self._result(spec, outcomes, limits)
            note = (
                f"cannot run examples that reach {blocked} without recorded exchanges (see README: Recorded exchanges)"
            )
            return result.model_copy(update={"cannot_run": note})
        probe_records = [record for record in run.results if "probe" in record]
        verdict = judge_probes(spec, plan, probe_records, ended) if plan.probes else ProbeResult(notes=plan.notes)
        return self._result(spec, outcomes, limits, verdict)

    @staticmethod
    def _result(
        spec: ToolSpec, outcomes: list[ExampleOutcome], limits: dict[str, Any], probes: ProbeResult | None = None
    ) -> BehaviourResult:
        """The spec's examples' outcomes apart from the spec-derived tests' (renumbered from 0)."""
        count = len(spec.examples)
        tests = [outcome.model_copy(update={"index": outcome.index - count}) for outcome in outcomes[count:]]
        return BehaviourResult(
            ran=True, outcomes=outcomes[:count], limits=limits, probes=probes or ProbeResult(), test_outcomes=tests
        )
