"""ValidationResult: the checks' word on one candidate: what they found, whether it is verified or only usable,
and why not; the report's evidence and the score that orders candidates are read from it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ..evidence import Evidence
from .behaviour import BehaviourResult, ExampleOutcome
from .findings import Finding


class ValidationResult(BaseModel):
    """Everything the checks found about one candidate."""

    model_config = ConfigDict(frozen=True)

    findings: list[Finding] = Field(default_factory=list)
    behaviour: BehaviourResult = Field(default_factory=lambda: BehaviourResult(ran=False, reason="not checked"))
    example_count: int = 0
    held_back: tuple[int, ...] = ()  # indexes of the examples the model was never shown
    confirmed: tuple[int, ...] = ()  # indexes of the examples that are a person's answers (`confirmed: review`)
    show_all_examples: bool = False  # the option that shows every example was used
    evidence_policy: str = ""  # EvidencePolicy.describe() of the validator that judged it

    @classmethod
    def without_running(cls, findings: list[Finding], example_count: int, why: str) -> ValidationResult:
        """The result for code that never reached the checks that run it: the findings, and why it did not run."""
        return cls(findings=findings, example_count=example_count, behaviour=BehaviourResult(ran=False, reason=why))

    @property
    def blocking_findings(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.severity == "error"]

    @property
    def failed_examples(self) -> list[ExampleOutcome]:
        return [outcome for outcome in self.behaviour.outcomes if not outcome.passed]

    @property
    def shown_failures(self) -> list[ExampleOutcome]:
        """Failed examples the model was shown: the only ones whose values a repair prompt may quote."""
        return [outcome for outcome in self.failed_examples if outcome.index not in self.held_back]

    @property
    def held_back_failures(self) -> int:
        return sum(outcome.index in self.held_back for outcome in self.failed_examples)

    @property
    def examples_passed(self) -> int:
        return sum(outcome.passed for outcome in self.behaviour.outcomes)

    @property
    def probe_failures(self) -> int:
        return self.behaviour.probes.failed

    def passed(self, check: str) -> bool:
        return not any(finding.check == check for finding in self.blocking_findings)

    @property
    def is_valid(self) -> bool:
        """No known problem: no blocking finding, failed example or failed probe (examples may not have run)."""
        return not self.blocking_findings and not self.failed_examples and not self.probe_failures

    @property
    def only_probes_fail(self) -> bool:
        """Every example (shown and held back) ran and passed and nothing was found: what is left are probe
        failures, on inputs the spec's examples do not decide."""
        return self.probe_failures > 0 and not self.blocking_findings and self.every_example_passed

    @property
    def usable(self) -> bool:
        """Worth shipping, if only as unverified: the code parses, is safe by policy and meets the signature
        (whatever its examples did)."""
        return all(self.passed(check) for check in ("extract", "syntax", "security", "compliance"))

    @property
    def every_example_passed(self) -> bool:
        """The examples ran, there are some, and each one (shown and held back) passed."""
        return self.behaviour.ran and self.example_count > 0 and self.examples_passed == self.example_count

    @property
    def verified(self) -> bool:
        """Every check passed: every one of the spec's examples (shown and held back) and every probe."""
        return self.is_valid and self.every_example_passed

    @property
    def unverified_reason(self) -> str:
        if self.verified:
            return ""
        if self.blocking_findings:
            rules = sorted({finding.rule for finding in self.blocking_findings})
            count = len(self.blocking_findings)
            return f"{count} blocking finding{'s' if count != 1 else ''}: {', '.join(rules)}"
        if self.behaviour.cannot_run:
            return self.behaviour.cannot_run
        if self.failed_examples:
            held_back = f", {self.held_back_failures} of them held back" if self.held_back_failures else ""
            return f"{len(self.failed_examples)} of {self.example_count} examples failed{held_back}"
        if self.probe_failures:
            first = self.behaviour.probes.failures[0]
            count = self.probe_failures
            return f"{count} probe{'s' if count != 1 else ''} failed, e.g. {first.call} {first.problem}"
        if self.example_count == 0:
            return "the spec has no examples, so behaviour was not checked"
        if not self.behaviour.ran:
            return self.behaviour.reason or "examples were not run"
        return f"only {self.examples_passed} of {self.example_count} examples ran and passed"

    def evidence(self) -> Evidence:
        """The report's account of what this candidate was judged on."""
        outcomes = self.behaviour.outcomes
        apart = set(self.held_back) | set(self.confirmed)  # the spec's own shown examples are the rest
        shown = [outcome for outcome in outcomes if outcome.index not in apart]
        return Evidence(
            examples_shown=self.example_count - len(apart),
            shown_passed=sum(outcome.passed for outcome in shown),
            held_back=list(self.held_back),
            held_back_passed=sum(outcome.passed for outcome in outcomes if outcome.index in self.held_back),
            confirmed=list(self.confirmed),
            confirmed_passed=sum(outcome.passed for outcome in outcomes if outcome.index in self.confirmed),
            show_all_examples=self.show_all_examples,
            examples_ran=self.behaviour.ran,
            probes=self.behaviour.probes,  # its digests, for agreement, stay out of the report
            policy=self.evidence_policy,
        )

    def score(self) -> tuple[int, ...]:
        """Orders candidates: fewer kinds of failure first, then examples passed, then fewer findings."""
        return (
            self.passed("syntax"),
            self.passed("security"),
            self.passed("compliance"),
            self.examples_passed,
            -self.probe_failures,
            -len(self.blocking_findings),
        )
