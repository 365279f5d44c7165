"""Candidates an earlier run checked, checked again before any model call.

After a person answered a tool's questions (toolfoundry review), the spec has examples it did not have; one of
the candidates its report holds may fit them all, and then the tool is chosen again with no model call. Each
is recorded as an attempt of kind CHECKED_BEFORE: no tokens, no cost, the checks' word on it today.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..checks.result import ValidationResult
from ..report import CHECKED_BEFORE, AttemptRecord
from .calls import checked_fields
from .outcome import Candidate


@dataclass(frozen=True)
class EarlierCandidate:
    """Code an earlier run checked (its report's attempts)."""

    code: str
    model: str  # the model that wrote it


def checked_again(each: EarlierCandidate, result: ValidationResult, number: int) -> tuple[AttemptRecord, Candidate]:
    """The attempt record and the candidate of one earlier candidate, as the checks judged it now."""
    fields = {"number": number, "model": each.model, "kind": CHECKED_BEFORE, "strategy": "none"}
    record = AttemptRecord(**fields, temperature=0.0, **checked_fields(each.code, result))
    return record, Candidate(code=each.code, result=result, attempt=number, model=each.model)
