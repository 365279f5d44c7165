"""What the repair loop has so far and ends with: every attempt and candidate, the best one, and its verdict.

The loop records what happens here (an attempt, the spec-derived tests, a budget stop, the end) and reads back
only what steers it; the generator reads the verdict, the kept candidate and the evidence, nothing else.

Verified takes three things: the best candidate passed every check (examples shown and held back, probes);
it fails no spec-derived test that counts against it (weighing.py); and enough candidates that
pass everything agree on the probes (agreement.py). The best candidate is, among those that pass
everything, the first of the largest agreeing group; otherwise the best by its checks and trusted tests.
Its code is kept (written out) only when it is usable; otherwise the tool is a stub.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..checks.behaviour import ExampleOutcome
from ..checks.result import ValidationResult
from ..errors import BudgetExceeded
from ..evidence import Evidence, EvidencePolicy, SpecTestEvidence
from ..evidence.questions import Review, review_of
from ..report import AttemptRecord, Status
from ..spec import Example
from .agreement import Agreement, agreement
from .weighing import SpecTestTally


@dataclass
class Candidate:
    code: str
    result: ValidationResult
    attempt: int
    model: str


@dataclass(frozen=True)
class Verdict:
    status: Status  # verified, unverified or stub
    reason: str  # why the tool is not verified; empty when it is


@dataclass
class RepairOutcome:
    """Everything the loop recorded for one spec. Only `policy` is given; the rest is written by the record_*
    methods and finish(), so what a field holds has one writer."""

    policy: EvidencePolicy = field(default_factory=EvidencePolicy)
    attempts: list[AttemptRecord] = field(default_factory=list, init=False)
    candidates: list[Candidate] = field(default_factory=list, init=False)
    best: Candidate | None = field(default=None, init=False)  # chosen again whenever a candidate comes or it ends
    tests: list[Example] = field(default_factory=list, init=False)  # spec-derived, run on every later candidate
    tests_note: str = field(default="", init=False)  # why there are none, when there are none
    tests_call: AttemptRecord | None = field(default=None, init=False)  # the call that asked (not a code attempt)
    tally: SpecTestTally = field(default_factory=SpecTestTally, init=False)
    agreement: Agreement | None = field(default=None, init=False)  # among those that pass everything, from two
    budget_stop: str = field(default="", init=False)  # a budget ended the loop early: said in any reason
    stops: list[str] = field(default_factory=list, init=False)  # why each model's attempts ended, in order
    final: bool = field(default=False, init=False)  # the attempts are over: undecided tests count as suspect

    def record_tests(self, note: str, tests: Sequence[Example] = (), call: AttemptRecord | None = None) -> None:
        """The spec-derived tests (none: `note` says why) and the call that asked for them, if one did."""
        self.tests, self.tests_note, self.tests_call = list(tests), note, call

    def record_attempt(self, attempt: AttemptRecord, candidate: Candidate | None) -> None:
        """One code call and, when its reply held code, the candidate it made; the best is chosen again."""
        self.attempts.append(attempt)
        if candidate is None:
            return
        self.candidates.append(candidate)
        if candidate.result.behaviour.ran:
            self.tally.record(candidate.result.behaviour.test_outcomes)
        self._choose()

    def record_budget_stop(self, error: BudgetExceeded) -> None:
        self.budget_stop = f"stopped early: {error}"
        self.stops.append(self.budget_stop)

    def record_stop(self, why: str) -> None:
        """Why a model's attempts ended (`model: no progress in 2 repairs: ...`), for the report."""
        self.stops.append(why)

    @property
    def stopped(self) -> str:
        return "; ".join(self.stops)

    def finish(self) -> None:
        """The attempts are over: undecided tests now count as suspect, which can change the best."""
        self.final = True
        self._choose()

    @property
    def kept(self) -> Candidate | None:
        """The candidate whose code is written out: the best, unless it is unsafe or non-compliant (a stub then).
        An unusable best still steers the loop: its findings are what a repair prompt quotes."""
        return self.best if self.best is not None and self.best.result.usable else None

    def verdict(self) -> Verdict:
        """The tool's status and the report's reason, once finished. A budget stop is named in any reason."""
        if self.kept is None:
            why = "no model reply held usable code"
            if self.best is not None:
                why = "attempts exhausted: " + self._unverified_reason(self.best)
            return Verdict("stub", self._with_budget_stop(why))
        if self.verified:
            return Verdict("verified", "")
        return Verdict("unverified", self._with_budget_stop(self._unverified_reason(self.kept)))

    def evidence(self) -> Evidence:
        """The report's account of what the kept candidate was judged on, its spec-derived tests as weighed."""
        if self.kept is None:
            return Evidence(spec_tests_note=self.tests_note, policy=self.policy.describe())
        tests = [
            SpecTestEvidence(
                call=test.call,
                expected=test.expected,
                got=test.got,
                passed=test.passed,
                standing=self.tally.standing(test.index, final=True),
                passed_by=self.tally.passes.get(test.index, 0),
                failed_by=self.tally.fails.get(test.index, 0),
            )
            for test in self.kept.result.behaviour.test_outcomes
        ]
        return self.kept.result.evidence().model_copy(
            update={
                "agreement": self.agreement.describe() if self.agreement else "",
                "spec_tests": tests,
                "spec_tests_note": self.tests_note,
            }
        )

    def review(self) -> Review:
        """What a person is asked (evidence/questions.py): inputs on which the candidates that pass every check
        disagree (when fewer than two do: the kept one and the others that pass the shown examples); when none
        disagree, the kept candidate's behaviour on telling inputs."""
        kept = self.kept
        if kept is None or not kept.result.behaviour.ran:
            return Review()
        pool = [candidate for candidate in self.candidates if self._passes(candidate)]
        if len(pool) < 2:
            pool = [
                c for c in self.candidates if c.result.usable and c.result.behaviour.ran and not c.result.shown_failures
            ]
        others = [candidate.result.behaviour.probes for candidate in pool if candidate is not kept]
        return review_of(kept.result.behaviour.probes, others)

    @property
    def calls(self) -> list[AttemptRecord]:
        """Every model call: the code attempts and the call for tests, for token and cost totals."""
        made = [attempt for attempt in self.attempts if attempt.called_model]
        return [*made, *([self.tests_call] if self.tests_call else [])]

    @property
    def verified(self) -> bool:
        return self.best is not None and self._passes(self.best) and self.agreeing >= self.policy.min_agreeing

    @property
    def agreeing(self) -> int:
        passing = sum(self._passes(candidate) for candidate in self.candidates)
        return self.agreement.size if self.agreement else passing

    @property
    def cannot_improve(self) -> bool:
        """Nothing a repair can change: nothing failed yet the examples could not run, or they reach hosts the
        checks cannot and no recorded exchange answers for them."""
        if self.best is None:
            return False
        result = self.best.result
        return bool(result.behaviour.cannot_run) or (result.is_valid and not result.behaviour.ran)

    @property
    def needs_repair(self) -> bool:
        """The best candidate has something a repair prompt can quote (a check, or a test that counts)."""
        return self.best is not None and (not self.best.result.verified or bool(self.blocking_tests(self.best)))

    @property
    def only_probes_fail(self) -> bool:
        """The best candidate meets every example and every test that counts; only probes fail."""
        best = self.best
        return best is not None and best.result.only_probes_fail and not self.blocking_tests(best)

    def blocking_tests(self, candidate: Candidate) -> list[ExampleOutcome]:
        outcomes = candidate.result.behaviour.test_outcomes
        blocking = set(self.tally.blocking(outcomes, self.final))
        return [outcome for outcome in outcomes if outcome.index in blocking]

    def _choose(self) -> None:
        passing = [candidate for candidate in self.candidates if self._passes(candidate)]
        self.agreement = None
        if len(passing) > 1:
            self.agreement = agreement([candidate.result.behaviour.probes.digests for candidate in passing])
            self.best = passing[self.agreement.group[0]]
        elif passing:
            self.best = passing[0]
        elif self.candidates:
            self.best = max(self.candidates, key=self.rank)  # the first of the best: max keeps the earliest

    def rank(self, candidate: Candidate) -> tuple[int, ...]:
        """Checks first; then, among equals, the candidate that fails fewer tests that count (a candidate
        failing a test that others pass loses)."""
        syntax, security, compliance, examples, *rest = candidate.result.score()
        return (syntax, security, compliance, examples, -len(self.blocking_tests(candidate)), *rest)

    def _passes(self, candidate: Candidate) -> bool:
        return candidate.result.verified and not self.blocking_tests(candidate)

    def _unverified_reason(self, best: Candidate) -> str:
        if not best.result.verified:
            return best.result.unverified_reason
        if failed := self.blocking_tests(best):
            first = failed[0]
            settled = "another candidate passes" if self.final else "no other candidate has tried yet"
            count = f"{len(failed)} test{'s' if len(failed) != 1 else ''}"
            return (
                f"fails {count} written from the spec's words that {settled}, e.g. {first.call} should give "
                f"{first.expected}, got {first.got}"
            )
        return f"only {self.agreeing} of the {self.policy.min_agreeing} agreeing candidates asked for were found"

    def _with_budget_stop(self, reason: str) -> str:
        return "; ".join(filter(None, [reason, self.budget_stop]))
