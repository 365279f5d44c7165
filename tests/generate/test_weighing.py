"""Spec-derived tests weighed across candidates (CodeT)."""

from toolfoundry.generate.weighing import SpecTestTally


def test_a_test_most_candidates_fail_is_suspect_and_one_some_pass_is_trusted() -> None:
    class Outcome:
        def __init__(self, index: int, passed: bool) -> None:
            self.index, self.passed = index, passed

    tally = SpecTestTally()
    tally.record([Outcome(0, False), Outcome(1, False)])
    assert tally.standing(0, final=False) == "undecided" and tally.standing(0, final=True) == "suspect"
    tally.record([Outcome(0, True), Outcome(1, False)])
    assert tally.standing(0, final=False) == "trusted" and tally.standing(1, final=False) == "suspect"
    assert tally.blocking([Outcome(0, False), Outcome(1, False)], final=True) == [0]
