"""When more attempts stop helping: the repair loop's stop rules, decided from what the checks found.

Measured on the quality set (README, "Effort"), most of a run's tokens went to a few specs that used every
attempt and ended no better: the model wrote the same code again, or a variation failing the same example.
So a model is given up when its attempts stop making progress:

- A reply whose code equals, once formatted, code already checked is not checked again: it is the same
  candidate, and no new evidence (it does not count as a second agreeing candidate either).
- An attempt makes progress when its candidate ranks above the best so far (the checks' order: syntax,
  security, compliance, examples passed, fewer probe failures, fewer findings). After `patience` repairs with
  new code in a row without progress, or a repair round whose every draw repeats checked code, the model
  stops, and the next one in the chain (if any) takes over at once.

A repair round draws the warm end of a round's samples (RepairPolicy.repair_samples; one by default, the
warmest, prefilled): on the quality set near-greedy repairs wrote the quoted attempt again in 14 of 20 rounds,
warm ones in 8 of 19 (README, "Effort"). A round that only repeated checked code did not
change the best, so the next round would quote the same attempt to a model that has just answered it: it
ends the model. Repeats are counted apart from new failures: they are no evidence that a new idea fails.

Probe failures are inputs the spec's examples do not decide. When a candidate meets every example and only
probes fail, its round draws no more samples (more draws of the prompt it answered are not the remedy), and
one repair, a single call, quotes those failures; if that does not verify, the model stops. Only the model's
own draw ends a round early: a fallback model, or one starting from candidates checked before, still draws its
round. Measured on the quality set (README, "Effort"), neither further draws nor further repairs fixed such a
candidate, and they took a fifth of the default's tokens. Each probe call is quoted at most once in any case.

The initial round's samples are never counted against the model: they are draws from one prompt, not repairs.
`rounds` and `samples` stay caps; the report says which rule ended the loop.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ..checks.result import ValidationResult
from .outcome import Candidate

# Why a model stops whose best candidate meets every example and fails only probes, once one repair has quoted
# them: on the quality set neither more draws nor more repairs fixed such a candidate (README, "Effort").
PROBES_ASKED_ONCE = (
    "its examples pass, and one repair quoting the probe failures left (inputs the examples do not decide) "
    "did not clear them: asked about once"
)
PROBES_ASKED_NO_CODE = "its examples pass, and the one repair asked for the probe failures left gave no usable code"


def code_key(code: str) -> str:
    """The code as Python reads it: comments, spacing and quoting do not make a new candidate."""
    try:
        return ast.unparse(ast.parse(code))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code.strip()


def first_failure(result: ValidationResult) -> str:
    """What a candidate gets wrong first, in a report's words: a finding, an example, a probe."""
    if result.blocking_findings:
        return f"the finding {result.blocking_findings[0].rule}"
    if result.shown_failures:
        failed = result.shown_failures[0]
        return f"the example {failed.call} (should give {failed.expected}, got {failed.got})"[:300]
    if result.held_back_failures:
        return f"{result.held_back_failures} held-back example{'s' if result.held_back_failures != 1 else ''}"
    if result.behaviour.probes.failures:
        probe = result.behaviour.probes.failures[0]
        return f"the probe {probe.call} ({probe.problem})"[:300]
    return result.unverified_reason or "nothing"


@dataclass
class Progress:
    """A run's attempts so far, as the stop rules see them: the code checked (across models) and, for the
    model now asked, how many repairs in a row have not beaten the best."""

    patience: int  # repairs in a row without progress before the model is given up (0: never)
    draws_per_repair: int = 1  # a repair round's draws: a round that only repeats checked code ends the model
    checked: dict[str, Candidate] = field(default_factory=dict)  # code key -> the candidate that first had it
    stalled: int = 0  # repairs with new code since the best last improved, none better than it
    repeats: int = 0  # repairs in a row (since the last new code) that repeated checked code
    asked: set[str] = field(default_factory=set)  # probe calls a repair prompt has quoted: quoted once
    probes_asked: bool = False  # a repair was asked for probe failures alone, the examples all passing: once

    def start_model(self) -> None:
        """A new model: its own count, and the probe failures quoted again (it has not seen them)."""
        self.stalled = self.repeats = 0
        self.asked.clear()
        self.probes_asked = False

    def repeat_of(self, code: str) -> Candidate | None:
        """The candidate that already had this code, or None for new code."""
        return self.checked.get(code_key(code))

    def note_checked(self, candidate: Candidate) -> None:
        self.checked.setdefault(code_key(candidate.code), candidate)

    def note_attempt(self, kind: str, improved: bool, repeated: bool = False) -> None:
        """One attempt's effect: a repair that did not beat the best counts toward stopping, new code and
        repeated code apart."""
        if improved:
            self.stalled = self.repeats = 0
            return
        if not repeated:
            self.repeats = 0
        if kind == "repair":
            if repeated:
                self.repeats += 1
            else:
                self.stalled += 1

    @property
    def stalled_out(self) -> bool:
        return self.patience > 0 and (self.stalled >= self.patience or self.repeats >= self.draws_per_repair)

    def reason(self, best: ValidationResult | None) -> str:
        """Why the model was given up, for the report: `no progress in 2 repairs: still failing the example ...`."""
        still = f": still failing {first_failure(best)}" if best is not None else ""
        if self.repeats >= self.draws_per_repair:
            what = "a repair" if self.repeats == 1 else f"{self.repeats} repairs in a row"
            return f"{what} gave code already checked (the next round would quote the same attempt){still}"
        return f"no progress in {self.stalled} repair{'s' if self.stalled != 1 else ''} with new code{still}"
