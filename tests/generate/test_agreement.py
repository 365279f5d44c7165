from toolfoundry.generate.agreement import agreement


def test_the_largest_group_of_identical_results_wins_on_the_probes_all_answered() -> None:
    results = [{0: "a", 1: "b"}, {0: "a", 1: "c", 2: "z"}, {0: "a", 1: "c"}, {0: "a", 1: "b", 5: "q"}]
    found = agreement(results)
    # probes 0 and 1 are the ones all answered; {b} and {c} tie at two, and the earliest candidate's group wins
    assert (found.group, found.candidates, found.probes) == ((0, 3), 4, 2)
    assert found.describe() == "2 of 4 candidates agree on 2 probes"


def test_a_lone_dissenter_loses() -> None:
    assert agreement([{0: "x"}, {0: "y"}, {0: "y"}]).group == (1, 2)


def test_no_candidates_agree_on_nothing() -> None:
    assert agreement([]).size == 0
