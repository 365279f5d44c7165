"""What the probes' results say about a candidate: which of them break the spec.

Blocking: an exception the spec does not declare (`raises:`, an example's expected exception, or one its
words name), a result that does not fit output_type, two different results for the same input, a probe
that ran out of time. A probe that raised a declared exception is clean: the tool refused an input it may
refuse.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..errors import redact
from ..sandbox import protocol
from ..sandbox.protocol import Record
from ..spec import ToolSpec
from .faults import fault_kind
from .probes import Probe, ProbePlan

# Failures quoted in a report or repair prompt: enough to act on, few enough to read.
MAX_FAILURES_KEPT = 5
QUOTED_CHARS = 160  # of an exception with its message, as a finding or a failed example quotes it


def quoted_exception(text: str) -> str:
    """`KeyError: 'x'` as a report or a repair prompt quotes it: one line (a multi-line message would break a
    prompt's list), no key-shaped string or secret of the environment, at most QUOTED_CHARS."""
    return redact(" ".join(text.split()))[:QUOTED_CHARS]


class ProbeFailure(BaseModel):
    model_config = ConfigDict(frozen=True)

    call: str  # `clamp(x=-5, lo=0, hi=10)`
    problem: str  # `raised IndexError: list index out of range, which the spec does not declare`
    origin: str = ""  # "edge" or "drawn"


class ProbeAnswer(BaseModel):
    """One probe's input and what one candidate gave for it (a value's repr, or `raises X` if declared)."""

    model_config = ConfigDict(frozen=True)

    call: str
    input: dict[str, Any]
    answer: str
    origin: str  # "edge", "drawn", or an injected fault's
    example: int = -1  # the spec example the probe was made from (its files and exchanges), -1 for none


class ProbeResult(BaseModel):
    """The probes' verdict on one candidate: what the loop compares candidates on and the report states."""

    model_config = ConfigDict(frozen=True)

    planned: int = 0
    ran: int = 0
    failed: int = 0
    failures: list[ProbeFailure] = Field(default_factory=list)  # the first few
    seed: int = 0  # with the spec, reproduces the probes: `--probe-seed`
    notes: list[str] = Field(default_factory=list)  # what was not probed, and why; where probing stopped
    # Probe index -> hash of its result: candidates are compared on them (generate/agreement.py). Left out of
    # every dump: a report states the probes' verdict, not what each result hashed to.
    digests: dict[int, str] = Field(default_factory=dict, exclude=True)
    # Probe index -> what this candidate answered there: where candidates disagree, a question for a person
    # (generate/questions.py). Left out of dumps too.
    answers: dict[int, ProbeAnswer] = Field(default_factory=dict, exclude=True)

    @property
    def clean(self) -> bool:
        return self.failed == 0


def call_text(name: str, inputs: dict[str, Any]) -> str:
    return f"{name}({', '.join(f'{key}={value!r}' for key, value in inputs.items())})"


def judge_probes(spec: ToolSpec, plan: ProbePlan, records: list[Record], ended: str) -> ProbeResult:
    """The verdict from the sandbox's probe records; `ended` says how the run ended if records are missing."""
    by_index = {record.get("probe"): record for record in records}
    declared = spec.declared_exceptions
    failures: list[ProbeFailure] = []
    digests: dict[int, str] = {}
    answers: dict[int, ProbeAnswer] = {}
    notes = list(plan.notes)
    ran = 0
    unanswered: list[Probe] = []
    for probe in plan.probes:
        record = by_index.get(probe.index)
        if record is None:  # the sandbox ended while this probe ran: a limit stopped it
            failures.append(_failure(spec, probe, f"did not finish ({ended})"))
            notes.append(f"probing ended after {ran} probes: {ended}")
            break
        if record.get("status") == protocol.BUDGET:
            notes.append(f"probing stopped after {ran} probes: their time budget was spent")
            break
        if record.get("status") == protocol.UNANSWERED:
            unanswered.append(probe)  # what the service says to an unrecorded request, the spec cannot tell
            continue
        ran += 1
        if kind := fault_kind(probe.origin):
            notes.append(fault_note(kind, record))
        problem = _problem(record, declared)
        if problem:
            failures.append(_failure(spec, probe, problem))
        elif record.get("status") == protocol.RETURNED:
            digests[probe.index] = str(record.get("digest", ""))
            answers[probe.index] = _answer(spec, probe, str(record.get("repr", ""))[:200])
        else:  # a declared exception: a result too, for comparing candidates
            digests[probe.index] = f"raised {record.get('exception')}"
            answers[probe.index] = _answer(spec, probe, f"raises {record.get('exception')}")
        if record.get("status") == protocol.TIMEOUT:
            break  # the sandbox stops probing here too
    if unanswered:
        example = call_text(spec.name, unanswered[0].input)[:120]
        notes.append(
            f"{len(unanswered)} probes asked what no recorded exchange answers (e.g. {example}): not judged; "
            "record exchanges for such inputs to have them judged"
        )
    return ProbeResult(
        planned=len(plan.probes),
        ran=ran,
        failed=len(failures),
        failures=failures[:MAX_FAILURES_KEPT],
        seed=plan.seed,
        notes=notes,
        digests=digests,
        answers=answers,
    )


def _answer(spec: ToolSpec, probe: Probe, answer: str) -> ProbeAnswer:
    return ProbeAnswer(
        call=call_text(spec.name, probe.input)[:300],
        input=probe.input,
        answer=answer,
        origin=probe.origin,
        example=probe.base,
    )


def _failure(spec: ToolSpec, probe: Probe, problem: str) -> ProbeFailure:
    return ProbeFailure(call=call_text(spec.name, probe.input)[:300], problem=problem, origin=probe.origin)


def _problem(record: Record, declared: frozenset[str]) -> str:
    status = record.get("status")
    if status == protocol.TIMEOUT:
        return "did not finish within the per-example time limit"
    if status == protocol.RAISED:
        if declared & set(record.get("mro", [])):
            return ""
        last_line = str(record.get("traceback", "")).strip().splitlines()[-1:] or [str(record.get("exception"))]
        exception = quoted_exception(last_line[0])
        allowed = f"it declares only {', '.join(sorted(declared))}" if declared else "it declares none"
        return f"raised {exception}, an exception the spec does not declare ({allowed})"
    if status == protocol.RETURNED:
        if record.get("type_problem"):
            return f"returned {str(record.get('repr', ''))[:80]}: {record['type_problem']}"
        if not record.get("same", True):
            return "gave two different results for the same input"
        return ""
    return f"ended in an unknown way ({str(status)[:40]})"


def fault_note(kind: str, record: Record) -> str:
    """What the tool did with one injected fault, for the report: whether it retried, what it gave."""
    status = record.get("status")
    made = int((record.get("http") or {}).get("made", 0) or 0)
    if status == protocol.RETURNED:
        what = f"returned {str(record.get('repr', ''))[:60]}"
    elif status == protocol.TIMEOUT:
        what = "did not finish within the per-example time limit"
    else:
        what = f"raised {record.get('exception', 'an exception')}"
    if kind.startswith(("429", "503")):
        what += ", after retrying" if made > 1 else ", without retrying"
    return f"fault {kind}: {what}"
