"""Questions for a person from candidates that disagree (TiCoder), ranked by how evenly they split them, and a
behaviour table when none disagree; end to end, they land in the report and its HTML page."""

from __future__ import annotations

from toolfoundry.evidence.judging import ProbeAnswer, ProbeResult
from toolfoundry.evidence.questions import behaviour_table, questions, review_of


def result(answers: dict[int, str], origin: str = "drawn") -> ProbeResult:
    return ProbeResult(
        answers={
            index: ProbeAnswer(call=f"f(x={index})", input={"x": index}, answer=text, origin=origin)
            for index, text in answers.items()
        }
    )


def test_inputs_the_candidates_disagree_on_are_questions_the_most_even_split_first() -> None:
    candidates = [
        result({0: "1", 1: "'a'", 2: "5", 3: "raises ValueError"}),
        result({0: "1", 1: "'b'", 2: "5", 3: "0"}),
        result({0: "1", 1: "'a'", 2: "5", 3: "0"}),
        result({0: "1", 1: "'b'", 2: "6", 3: "1"}),
    ]
    asked = questions(candidates)
    assert [question.call for question in asked] == ["f(x=3)", "f(x=1)", "f(x=2)"]  # three ways, two, 3 to 1
    assert [(answer.answer, answer.candidates) for answer in asked[1].answers] == [("'a'", 2), ("'b'", 2)]
    assert asked[1].split == 0.5 and asked[1].input == {"x": 1}


def test_no_questions_from_one_candidate_or_from_injected_faults() -> None:
    assert questions([result({0: "1"})]) == []
    faulted = [result({0: "1"}, origin="fault: 500"), result({0: "raises OSError"}, origin="fault: 500")]
    assert questions(faulted) == []


def test_when_none_disagree_the_behaviour_table_shows_edge_values_first() -> None:
    kept = ProbeResult(
        answers={
            0: ProbeAnswer(call="f(x=0)", input={"x": 0}, answer="0", origin="drawn"),
            1: ProbeAnswer(call="f(x='')", input={"x": ""}, answer="''", origin="edge"),
        }
    )
    review = review_of(kept, [kept])
    assert review.questions == [] and [row.call for row in review.behaviours] == ["f(x='')", "f(x=0)"]
    assert len(behaviour_table(result(dict.fromkeys(range(20), "1")))) == 8
