"""CodeValidator: syntax, security, spec compliance and behaviour, each problem a quotable Finding."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from ..evidence import Evidence, EvidencePlan, EvidencePolicy, ProbeEvidence, plan_evidence
from ..spec import Example, ToolSpec
from .bandit_check import check_bandit
from .behaviour import BehaviourResult, ExampleOutcome, ExampleRunner, NotRun, SandboxRunner
from .compliance import check_compliance
from .findings import Finding
from .security import check_policy
from .syntax import check_syntax


class ValidationResult(BaseModel):
    """Everything the checks found about one candidate."""

    model_config = ConfigDict(frozen=True)

    findings: list[Finding] = Field(default_factory=list)
    behaviour: BehaviourResult = Field(default_factory=lambda: BehaviourResult(ran=False, reason="not checked"))
    example_count: int = 0
    held_back: tuple[int, ...] = ()  # indexes of the examples the model was never shown
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
    def usable(self) -> bool:
        """Worth shipping, if only as unverified: the code parses, is safe by policy and meets the signature
        (whatever its examples did)."""
        return all(self.passed(check) for check in ("extract", "syntax", "security", "compliance"))

    @property
    def verified(self) -> bool:
        """Every check passed: every one of the spec's examples (shown and held back) and every probe."""
        return (
            self.is_valid
            and self.behaviour.ran
            and self.example_count > 0
            and self.examples_passed == self.example_count
        )

    @property
    def unverified_reason(self) -> str:
        if self.verified:
            return ""
        if self.blocking_findings:
            rules = sorted({finding.rule for finding in self.blocking_findings})
            count = len(self.blocking_findings)
            return f"{count} blocking finding{'s' if count != 1 else ''}: {', '.join(rules)}"
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
        shown = [outcome for outcome in outcomes if outcome.index not in self.held_back]
        probes = self.behaviour.probes
        return Evidence(
            examples_shown=self.example_count - len(self.held_back),
            shown_passed=sum(outcome.passed for outcome in shown),
            held_back=list(self.held_back),
            held_back_passed=sum(outcome.passed for outcome in outcomes if outcome.index in self.held_back),
            show_all_examples=self.show_all_examples,
            examples_ran=self.behaviour.ran,
            probes=ProbeEvidence(**probes.model_dump(exclude={"digests"})),
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


class CodeValidator:
    """Runs every check on a candidate. Behaviour runs (in the bubblewrap sandbox by default) only when the
    static checks pass: no point running code that is known to be unsafe or does not define the function."""

    def __init__(
        self, runner: ExampleRunner | None = None, use_bandit: bool = True, evidence: EvidencePolicy | None = None
    ) -> None:
        self.runner = runner or SandboxRunner()
        self.use_bandit = use_bandit
        self.evidence = evidence or EvidencePolicy()

    def plan(self, spec: ToolSpec) -> EvidencePlan:
        """What the candidate will be judged on: the prompts show `plan.shown`, never the held-back examples."""
        return plan_evidence(spec, self.evidence)

    def validate(self, code: str | None, spec: ToolSpec, tests: Sequence[Example] = ()) -> ValidationResult:
        """Every check; `tests` (spec-derived, written by a model) run beside the examples, reported apart."""
        plan = self.plan(spec)
        result = self._validate(code, spec, plan, tests)
        return result.model_copy(
            update={
                "held_back": plan.held_back,
                "show_all_examples": plan.show_all_examples,
                "evidence_policy": self.evidence.describe(),
            }
        )

    def _validate(
        self, code: str | None, spec: ToolSpec, plan: EvidencePlan, tests: Sequence[Example]
    ) -> ValidationResult:
        count = len(spec.examples)
        if code is None or not code.strip():
            missing = Finding(
                rule="extract/no-code",
                message="the reply holds no Python code; reply with one ```python block that defines the function",
            )
            return ValidationResult.without_running([missing], count, "there was no code to run")
        tree, findings = check_syntax(code)
        if tree is None:
            return ValidationResult.without_running(findings, count, "the code does not parse")
        # The code parsed, but a tree can still be too deep for a check that walks it (a 900-term sum):
        # whatever a check raises on model-written code is a finding about that code, never a crash.
        for name, check in (
            ("security", lambda: check_policy(tree, spec)),
            ("bandit", lambda: check_bandit(code) if self.use_bandit else []),
            ("compliance", lambda: check_compliance(tree, spec)),
        ):
            try:
                findings += check()
            except Exception as error:
                message = f"the {name} check could not read this code ({type(error).__name__}); write it plainly"
                findings.append(Finding(rule="syntax/unparsable", message=message))
        if any(finding.severity == "error" for finding in findings):
            behaviour = BehaviourResult(ran=False, reason="static checks failed, so the code was not run")
        elif count == 0:
            behaviour = BehaviourResult(ran=False, reason="the spec has no examples")
        else:
            behaviour = self.runner.run_examples(code, spec, plan.probes, tests)
        return ValidationResult(findings=findings, behaviour=behaviour, example_count=count)


__all__ = [
    "BehaviourResult",
    "CodeValidator",
    "ExampleOutcome",
    "ExampleRunner",
    "Finding",
    "NotRun",
    "SandboxRunner",
    "ValidationResult",
]
