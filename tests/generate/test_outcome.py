"""The repair loop's choices, without a sandbox or a model: which candidate is best, which is kept, and the
verdict (status and reason) a report states. Candidates are built from check results directly."""

from __future__ import annotations

from collections.abc import Sequence

import toolfoundry
from toolfoundry.checks.behaviour import BehaviourResult, ExampleOutcome
from toolfoundry.checks.findings import Finding
from toolfoundry.checks.result import ValidationResult
from toolfoundry.errors import BudgetExceeded
from toolfoundry.evidence import EvidencePolicy
from toolfoundry.evidence.judging import ProbeResult
from toolfoundry.generate import RepairLoop, RepairPolicy
from toolfoundry.generate.outcome import Candidate, RepairOutcome, Verdict
from toolfoundry.report import AttemptRecord

UNSAFE = Finding(rule="security/forbidden-call", message="os.system is not allowed")
BUDGET = BudgetExceeded("token budget of 900 would be passed: 700 spent, the next call may use up to 600")


def ran(index: int, passed: bool) -> ExampleOutcome:
    """An example or test `f(x=index)` expected to give 2: passed, or got 3."""
    return ExampleOutcome(index=index, call=f"f(x={index})", expected="2", got="2" if passed else "3", passed=passed)


def checked(
    examples: Sequence[bool] = (True, True),
    tests: Sequence[bool] = (),
    digests: dict[int, str] | None = None,
    findings: Sequence[Finding] = (),
    not_run: str = "",
) -> ValidationResult:
    """What the checks would say of a candidate: its examples passed or failed (or not run, and why), its
    spec-derived tests, its probe results' digests and its findings."""
    behaviour = BehaviourResult(
        ran=not not_run,
        reason=not_run,
        outcomes=[] if not_run else [ran(index, passed) for index, passed in enumerate(examples)],
        probes=ProbeResult(ran=len(digests or {}), digests=digests or {}),
        test_outcomes=[ran(index, passed) for index, passed in enumerate(tests)],
    )
    return ValidationResult(findings=list(findings), behaviour=behaviour, example_count=len(examples))


def record(outcome: RepairOutcome, result: ValidationResult | None) -> None:
    """One attempt as the loop records it; None: the reply held no code."""
    number = len(outcome.attempts) + 1
    attempt = AttemptRecord(number=number, model="m", kind="initial", strategy="free", temperature=0.0)
    candidate = Candidate(code=f"# candidate {number}", result=result, attempt=number, model="m") if result else None
    outcome.record_attempt(attempt, candidate)


def finished(*results: ValidationResult | None, min_agreeing: int = 1, budget: bool = False) -> RepairOutcome:
    outcome = RepairOutcome(EvidencePolicy(min_agreeing=min_agreeing))
    for result in results:
        record(outcome, result)
    if budget:
        outcome.record_budget_stop(BUDGET)
    outcome.finish()
    return outcome


def test_of_candidates_that_pass_everything_the_first_of_the_largest_agreeing_group_is_kept() -> None:
    outcome = finished(checked(digests={0: "a"}), checked(digests={0: "b"}), checked(digests={0: "b"}), min_agreeing=2)
    assert outcome.kept is outcome.best and outcome.best.attempt == 2
    assert outcome.agreement.describe() == "2 of 3 candidates agree on 1 probes"
    assert outcome.verdict() == Verdict("verified", "")
    assert outcome.evidence().agreement == "2 of 3 candidates agree on 1 probes"


def test_too_few_agreeing_candidates_is_unverified_and_says_how_many_were_found() -> None:
    outcome = finished(checked(digests={0: "a"}), checked(digests={0: "b"}), checked(digests={0: "b"}), min_agreeing=3)
    assert outcome.best.attempt == 2 and not outcome.verified
    assert outcome.verdict() == Verdict("unverified", "only 2 of the 3 agreeing candidates asked for were found")


def test_when_none_passes_the_checks_rank_them_and_the_earliest_wins_a_tie() -> None:
    outcome = finished(None, checked((False, False)), checked((True, False)), checked((True, False)))
    assert outcome.best.attempt == 3 and len(outcome.attempts) == 4 and len(outcome.candidates) == 3
    assert outcome.verdict() == Verdict("unverified", "1 of 2 examples failed")
    safe_but_wrong = finished(checked(findings=[UNSAFE]), checked((False, False)))
    assert safe_but_wrong.best.attempt == 2  # security comes before examples, which the unsafe one passed


def test_among_equals_the_candidate_failing_a_test_another_passes_loses() -> None:
    first, second = checked((True, False), tests=(False,)), checked((True, False), tests=(True,))
    assert finished(first, second).best.attempt == 2
    assert finished(second, first).best.attempt == 1


def test_a_candidate_failing_a_test_another_passes_is_unverified_and_the_reason_quotes_the_test() -> None:
    outcome = finished(checked(tests=(False, True)), checked((True, False), tests=(True, True)))
    assert outcome.best.attempt == 1  # examples outrank tests: the other failed one
    assert outcome.verdict() == Verdict(
        "unverified",
        "fails 1 test written from the spec's words that another candidate passes, e.g. f(x=0) should give 2, got 3",
    )
    standings = [(test.standing, test.passed_by, test.failed_by) for test in outcome.evidence().spec_tests]
    assert standings == [("trusted", 1, 1), ("trusted", 2, 0)]


def test_a_test_only_one_candidate_has_failed_blocks_until_the_end_then_counts_as_suspect() -> None:
    outcome = RepairOutcome()
    record(outcome, checked(tests=(False,)))
    assert not outcome.verified and outcome.needs_repair  # a repair prompt quotes the test
    outcome.finish()
    assert outcome.verified and not outcome.needs_repair
    assert outcome.verdict() == Verdict("verified", "")
    assert outcome.evidence().spec_tests[0].standing == "suspect"


def test_an_unusable_best_steers_the_loop_but_is_never_kept() -> None:
    outcome = finished(checked(findings=[UNSAFE]))
    assert outcome.best is not None and outcome.kept is None and outcome.needs_repair
    assert outcome.verdict() == Verdict("stub", "attempts exhausted: 1 blocking finding: security/forbidden-call")
    assert outcome.evidence().policy == EvidencePolicy().describe() and outcome.evidence().examples_shown == 0


def test_no_code_at_all_is_a_stub_that_says_so() -> None:
    assert finished(None, None).verdict() == Verdict("stub", "no model reply held usable code")
    assert finished().verdict() == Verdict("stub", "no model reply held usable code")


def test_a_budget_stop_is_named_once_in_any_reason_and_never_for_a_verified_tool() -> None:
    stopped = f"stopped early: {BUDGET}"
    assert finished(budget=True).verdict() == Verdict("stub", f"no model reply held usable code; {stopped}")
    unsafe = finished(checked(findings=[UNSAFE]), budget=True).verdict()
    assert unsafe == Verdict("stub", f"attempts exhausted: 1 blocking finding: security/forbidden-call; {stopped}")
    wrong = finished(checked((True, False)), budget=True).verdict()
    assert wrong == Verdict("unverified", f"1 of 2 examples failed; {stopped}")
    # The end settles a lone failed test as suspect: a tool verified after a budget stop has no reason.
    assert finished(checked(tests=(False,)), budget=True).verdict() == Verdict("verified", "")


def test_examples_that_cannot_run_leave_nothing_to_improve_and_the_reason_says_why() -> None:
    outcome = finished(checked(not_run="bubblewrap cannot run here"))
    assert outcome.cannot_improve  # the loop stops: no repair makes the examples run
    assert outcome.verdict() == Verdict("unverified", "bubblewrap cannot run here")


def test_the_call_for_tests_is_counted_with_the_code_calls_and_its_note_reaches_the_evidence() -> None:
    outcome = RepairOutcome()
    call = AttemptRecord(number=0, model="m", kind="tests", strategy="free", temperature=0.0, prompt_tokens=5)
    outcome.record_tests("the reply held no usable test", call=call)
    record(outcome, checked())
    outcome.finish()
    assert outcome.tests == [] and [attempt.kind for attempt in outcome.calls] == ["initial", "tests"]
    assert outcome.evidence().spec_tests_note == "the reply held no usable test"


def test_usable_asks_for_code_that_parses_is_safe_and_meets_the_signature_whatever_its_examples_did() -> None:
    assert checked((False, False)).usable and checked(not_run="no sandbox").usable
    warning = Finding(rule="security/forbidden-call", message="shown, not blocking", severity="warning")
    assert checked(findings=[warning]).usable
    for rule in ("extract/no-code", "syntax/invalid", "security/forbidden-call", "compliance/missing-function"):
        assert not checked(findings=[Finding(rule=rule, message="x")]).usable, rule
    assert checked(findings=[Finding(rule="bandit/B602", message="x")]).usable  # bandit blocks verified only
    assert not checked(findings=[Finding(rule="bandit/B602", message="x")]).verified


def test_the_seed_s_names_are_the_repair_loop_s_classes() -> None:
    assert toolfoundry.FallbackManager is RepairLoop and toolfoundry.FallbackPolicy is RepairPolicy
