"""What the repair loop has so far and ends with: every candidate, the one kept, and whether it is verified.

Verified takes three things: the kept candidate passed every check (examples shown and held back, probes);
it fails no spec-derived test that counts against it (evidence/weighing.py); and enough candidates that
pass everything agree on the probes (evidence/agreement.py). The kept candidate is, among those that pass
everything, the first of the largest agreeing group; otherwise the best by its checks and trusted tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..checks import ExampleOutcome, ValidationResult
from ..evidence import Agreement, agreement
from ..evidence.weighing import SpecTestTally
from ..report import AttemptRecord
from ..spec import Example


@dataclass
class Candidate:
    code: str
    result: ValidationResult
    attempt: int
    model: str


def usable(result: ValidationResult) -> bool:
    """Code worth shipping as unverified: parses, is safe by policy and meets the signature."""
    return (
        result.passed("extract")
        and result.passed("syntax")
        and result.passed("security")
        and result.passed("compliance")
    )


@dataclass
class FallbackOutcome:
    """What the loop ends with: the kept candidate (None means stub), every attempt, and why it stopped."""

    best: Candidate | None
    attempts: list[AttemptRecord] = field(default_factory=list)
    stop_reason: str = ""
    budget_stop: str = ""  # set when a budget ended the loop early, for the report's reason
    min_agreeing: int = 1  # candidates that must pass everything and agree before the kept one is verified
    candidates: list[Candidate] = field(default_factory=list)
    tests: list[Example] = field(default_factory=list)  # spec-derived, run on every candidate
    tests_note: str = ""  # why there are none, when there are none
    tests_call: AttemptRecord | None = None  # the call that asked for them (not a code attempt)
    tally: SpecTestTally = field(default_factory=SpecTestTally)
    agreement: Agreement | None = None  # among the candidates that pass everything, once there are two
    final: bool = False  # the attempts are over: undecided tests now count as suspect

    def keep(self, candidate: Candidate) -> None:
        self.candidates.append(candidate)
        if candidate.result.behaviour.ran:
            self.tally.record(candidate.result.behaviour.test_outcomes)
        self._choose()

    def finish(self) -> None:
        self.final = True
        self._choose()

    def _choose(self) -> None:
        passing = [candidate for candidate in self.candidates if self._passes(candidate)]
        self.agreement = None
        if len(passing) > 1:
            self.agreement = agreement([candidate.result.behaviour.probes.digests for candidate in passing])
            self.best = passing[self.agreement.group[0]]
        elif passing:
            self.best = passing[0]
        elif self.candidates:
            self.best = max(self.candidates, key=self._rank)  # the first of the best: max keeps the earliest

    def _rank(self, candidate: Candidate) -> tuple[int, ...]:
        """Checks first; then, among equals, the candidate that fails fewer tests that count (a candidate
        failing a test that others pass loses)."""
        syntax, security, compliance, examples, *rest = candidate.result.score()
        return (syntax, security, compliance, examples, -len(self.blocking_tests(candidate)), *rest)

    def blocking_tests(self, candidate: Candidate) -> list[ExampleOutcome]:
        outcomes = candidate.result.behaviour.test_outcomes
        blocking = set(self.tally.blocking(outcomes, self.final))
        return [outcome for outcome in outcomes if outcome.index in blocking]

    def _passes(self, candidate: Candidate) -> bool:
        return candidate.result.verified and not self.blocking_tests(candidate)

    @property
    def calls(self) -> list[AttemptRecord]:
        """Every model call: the code attempts and the call for tests, for token and cost totals."""
        return [*self.attempts, *([self.tests_call] if self.tests_call else [])]

    @property
    def agreeing(self) -> int:
        passing = sum(self._passes(candidate) for candidate in self.candidates)
        return self.agreement.size if self.agreement else passing

    @property
    def verified(self) -> bool:
        return self.best is not None and self._passes(self.best) and self.agreeing >= self.min_agreeing

    @property
    def unverified_reason(self) -> str:
        if self.best is None or self.verified:
            return ""
        if not self.best.result.verified:
            return self.best.result.unverified_reason
        if failed := self.blocking_tests(self.best):
            first = failed[0]
            settled = "another candidate passes" if self.final else "no other candidate has tried yet"
            count = f"{len(failed)} test{'s' if len(failed) != 1 else ''}"
            return (
                f"fails {count} written from the spec's words that {settled}, e.g. {first.call} should give "
                f"{first.expected}, got {first.got}"
            )
        return f"only {self.agreeing} of the {self.min_agreeing} agreeing candidates asked for were found"

    @property
    def cannot_improve(self) -> bool:
        """Nothing failed, yet nothing is verified: the examples could not run, and no repair changes that."""
        return self.best is not None and self.best.result.is_valid and not self.best.result.behaviour.ran

    @property
    def needs_repair(self) -> bool:
        """The kept candidate has something a repair prompt can quote (a check, or a test that counts)."""
        return self.best is not None and (not self.best.result.verified or bool(self.blocking_tests(self.best)))
