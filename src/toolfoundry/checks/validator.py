"""CodeValidator: every check on a candidate in order (syntax, security, compliance, then behaviour), each
problem a quotable Finding, the whole a ValidationResult."""

from __future__ import annotations

from collections.abc import Sequence

from ..evidence import EvidencePlan, EvidencePolicy, plan_evidence
from ..spec import Example, ToolSpec
from .bandit_check import check_bandit
from .behaviour import BehaviourResult, ExampleRunner, SandboxRunner
from .compliance import check_compliance
from .findings import Finding
from .result import ValidationResult
from .security import check_policy
from .syntax import check_syntax


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
                "confirmed": tuple(index for index, example in enumerate(spec.examples) if example.confirmed),
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
