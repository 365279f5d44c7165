"""The report's `evidence` section, and the one line that states it (module docstring, HTML page, CLI)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .judging import ProbeResult


class SpecTestEvidence(BaseModel):
    """One test written from the spec's words, run on the kept candidate."""

    model_config = ConfigDict(frozen=True)

    call: str
    expected: str
    got: str
    passed: bool
    standing: str  # trusted (some candidate passed it), suspect (most failed it), undecided
    passed_by: int = 0  # candidates that passed it
    failed_by: int = 0


class Evidence(BaseModel):
    """What the kept candidate was judged on, and how it fared."""

    model_config = ConfigDict(frozen=True)

    examples_shown: int = 0
    shown_passed: int = 0
    held_back: list[int] = Field(default_factory=list)  # example indexes the model never saw
    held_back_passed: int = 0
    confirmed: list[int] = Field(default_factory=list)  # indexes of a person's answers (`confirmed: review`)
    confirmed_passed: int = 0
    show_all_examples: bool = False  # the option that shows every example was used: nothing held back
    examples_ran: bool = False
    probes: ProbeResult = Field(default_factory=ProbeResult)
    spec_tests: list[SpecTestEvidence] = Field(default_factory=list)
    spec_tests_note: str = ""  # why there are none, when there are none
    policy: str = ""  # EvidencePolicy.describe(): the options the evidence was gathered under
    agreement: str = ""  # "2 of 3 candidates agree on 100 probes", when more than one passed everything

    def line(self, status: str) -> str:
        """`verified: 3/3 examples, 1/1 held back, 100 probes clean`"""
        if not self.examples_ran:
            return f"{status}: no example ran"
        parts = [f"{self.shown_passed}/{self.examples_shown} examples"]
        if self.held_back:
            parts.append(f"{self.held_back_passed}/{len(self.held_back)} held back")
        elif self.show_all_examples:
            parts.append("none held back (all shown by request)")
        probes = self.probes
        if probes.failed:
            parts.append(f"{probes.failed} of {probes.ran} probes failed")
        elif probes.ran:
            parts.append(f"{probes.ran} probes clean")
        if self.spec_tests:
            counted = [test for test in self.spec_tests if test.standing != "suspect"]
            suspect = len(self.spec_tests) - len(counted)
            text = f"{sum(test.passed for test in counted)}/{len(counted)} spec-derived tests"
            parts.append(text + (f" ({suspect} suspect)" if suspect else ""))
        if self.confirmed:  # the only words that say a person looked: "reviewed" is never said otherwise
            passed, confirmed = self.confirmed_passed, len(self.confirmed)
            count = f"{passed}" if passed == confirmed else f"{passed}/{confirmed}"
            parts.append(f"{count} behaviour{'s' if confirmed != 1 else ''} confirmed by review")
        if self.agreement:
            parts.append(self.agreement)
        return f"{status}: {', '.join(parts)}"
