"""Weighing spec-derived tests across candidates (CodeT): a model's test is evidence only where candidates
bear it out. A test that most candidates fail is suspect; one that some candidate passes is trusted; one
failed by the only candidate so far is undecided, which blocks verified until another candidate (or the
end of the attempts, when it counts as suspect) settles it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

Standing = Literal["trusted", "suspect", "undecided"]


class RanTest(Protocol):
    index: int
    passed: bool


@dataclass
class SpecTestTally:
    passes: dict[int, int] = field(default_factory=dict)
    fails: dict[int, int] = field(default_factory=dict)

    def record(self, outcomes: Sequence[RanTest]) -> None:
        """One candidate's outcomes on the tests (only candidates whose examples ran are counted)."""
        for outcome in outcomes:
            tally = self.passes if outcome.passed else self.fails
            tally[outcome.index] = tally.get(outcome.index, 0) + 1

    def standing(self, index: int, final: bool) -> Standing:
        passes, fails = self.passes.get(index, 0), self.fails.get(index, 0)
        if fails > passes and (passes + fails >= 2 or final):
            return "suspect"
        return "trusted" if passes else "undecided"

    def blocking(self, outcomes: Sequence[RanTest], final: bool) -> list[int]:
        """The tests a candidate failed that count against it: trusted ones, and undecided ones until the end."""
        return [
            outcome.index
            for outcome in outcomes
            if not outcome.passed and self.standing(outcome.index, final) != "suspect"
        ]
