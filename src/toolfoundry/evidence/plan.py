"""The evidence a candidate is judged on, decided once per spec: which examples the model is shown, which
are held back, and which probes run. Nothing here runs code; the checks do (checks/behaviour.py)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..spec import ToolSpec
from .faults import fault_probes
from .holdout import held_back_indexes, shown_spec
from .probes import ProbePlan, probe_plan

DEFAULT_PROBES = 100


@dataclass(frozen=True)
class EvidencePolicy:
    """How much evidence "verified" asks for beyond the shown examples."""

    show_all_examples: bool = False  # for specs whose every example is essential to say what is wanted
    probes: int = DEFAULT_PROBES  # 0 turns probing off
    probe_seed: int = 0
    # Verified only once this many candidates pass everything and agree on every probe. 1: the first that
    # passes is kept (today's cost); more: sampling goes on until enough agree or the attempts run out.
    min_agreeing: int = 1
    # One more call per spec asks the model for test cases from the spec's words (generate/spec_tests.py).
    # Off by default: on the quality set it cost a quarter more tokens and verified nothing more rightly
    # (the default model's tests were wrong as often as its code: README, "What verified means").
    spec_tests: bool = False

    def describe(self) -> str:
        """What a report records, so that a resumed run does not keep a tool judged on less evidence."""
        return (
            f"probes={self.probes} seed={self.probe_seed} show_all_examples={self.show_all_examples}"
            f" min_agreeing={self.min_agreeing} spec_tests={self.spec_tests}"
        )

    @classmethod
    def from_description(cls, text: str) -> EvidencePolicy:
        """The policy describe() wrote (a review checks a tool again under the options it was made with); the
        defaults for what the text does not say."""
        said = dict(part.split("=", 1) for part in text.split() if "=" in part)
        policy = cls()
        try:
            return replace(
                policy,
                probes=int(said.get("probes", policy.probes)),
                probe_seed=int(said.get("seed", policy.probe_seed)),
                show_all_examples=said.get("show_all_examples", str(policy.show_all_examples)) == "True",
                min_agreeing=int(said.get("min_agreeing", policy.min_agreeing)),
                spec_tests=said.get("spec_tests", str(policy.spec_tests)) == "True",
            )
        except ValueError:
            return policy


@dataclass(frozen=True)
class EvidencePlan:
    spec: ToolSpec
    shown: ToolSpec  # the spec as prompts show it: without the held-back examples
    held_back: tuple[int, ...]
    probes: ProbePlan = field(default_factory=ProbePlan)
    show_all_examples: bool = False


def plan_evidence(spec: ToolSpec, policy: EvidencePolicy) -> EvidencePlan:
    held_back = () if policy.show_all_examples else held_back_indexes(spec)
    return EvidencePlan(
        spec=spec,
        shown=shown_spec(spec, held_back),
        held_back=held_back,
        probes=_with_faults(spec, probe_plan(spec, policy.probes, policy.probe_seed), policy.probes),
        show_all_examples=policy.show_all_examples,
    )


def _with_faults(spec: ToolSpec, plan: ProbePlan, count: int) -> ProbePlan:
    """The injected faults of a tool with recorded exchanges, then the probes (no faults when probes are off)."""
    faults = fault_probes(spec, 0) if count > 0 else []
    if not faults:
        return plan
    # Faults first: they are few, and the probes' time budget may be spent before the last drawn probe.
    drawn = [replace(probe, index=probe.index + len(faults)) for probe in plan.probes]
    return ProbePlan(probes=[*faults, *drawn], seed=plan.seed, notes=plan.notes)
