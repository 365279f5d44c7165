"""Questions for a person, where the machine cannot tell: inputs on which candidates disagree (TiCoder).

The probes judge whether a result is allowed, never whether it is right; the model's own tests are as wrong
as its code; and samples of one small model make the same mistake together. The person who wrote the spec can
tell at a glance. So every input on which the candidates gave different answers is a question, ranked by how
evenly it splits them (TiCoder's discrimination, Lahiri et al. 2022: a question half the candidates answer
each way tells the most), with each distinct answer and how many candidates gave it. When none disagree,
the kept candidate's answers on the most telling probes (edge values first) make a behaviour table for a
person to confirm. An injected fault is no question: what a service's failure should give is the spec's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .faults import FAULT
from .judging import ProbeResult

MOST_QUESTIONS = 5
MOST_BEHAVIOURS = 8


class Answer(BaseModel):
    model_config = ConfigDict(frozen=True)

    answer: str  # the value's repr, or `raises ValueError`
    candidates: int  # how many candidates gave it


class Question(BaseModel):
    """An input the candidates disagree on: what a person's answer would settle."""

    model_config = ConfigDict(frozen=True)

    call: str
    input: dict[str, Any]
    answers: list[Answer]  # most given first
    split: float  # 0..1: how evenly the answers divide the candidates (1 - sum of squared shares)
    example: int = -1  # the spec example the input was made from: its files and exchanges come with an answer


class Behaviour(BaseModel):
    """What the kept candidate gives for one telling input, for a person to confirm."""

    model_config = ConfigDict(frozen=True)

    call: str
    input: dict[str, Any]
    answer: str
    example: int = -1  # as Question.example


class Review(BaseModel):
    """What a person is asked about one tool: questions where candidates disagree, else a behaviour table."""

    model_config = ConfigDict(frozen=True)

    candidates: int = 0  # how many candidates the questions come from
    questions: list[Question] = Field(default_factory=list)
    behaviours: list[Behaviour] = Field(default_factory=list)


def _asked(probes: ProbeResult) -> dict[int, Any]:
    return {index: answer for index, answer in probes.answers.items() if not answer.origin.startswith(FAULT)}


def questions(results: Sequence[ProbeResult], most: int = MOST_QUESTIONS) -> list[Question]:
    """The inputs every candidate answered and not all the same way, the most even splits first (ties: more
    distinct answers, then edge values, then the probe's order)."""
    if len(results) < 2:
        return []
    answered = [_asked(result) for result in results]
    common = sorted(set.intersection(*(set(each) for each in answered)))
    # Grouped by the sandbox's digest of each result, as agreement is: a repr is cut short and orders a dict's
    # keys as they were made, so equal results could read differently and different ones alike.
    keys = [
        {index: result.digests.get(index, each[index].answer) for index in each}
        for result, each in zip(results, answered, strict=True)
    ]
    found: list[tuple[tuple[float, int, bool, int], Question]] = []
    for index in common:
        counts: dict[str, int] = {}
        shown: dict[str, str] = {}
        for each, key in zip(answered, keys, strict=True):
            counts[key[index]] = counts.get(key[index], 0) + 1
            shown.setdefault(key[index], each[index].answer)
        if len(counts) < 2:
            continue
        total = len(answered)
        split = round(1 - sum((count / total) ** 2 for count in counts.values()), 3)
        ordered = sorted(counts.items(), key=lambda item: -item[1])
        answers = [Answer(answer=shown[key], candidates=count) for key, count in ordered]
        first = answered[0][index]
        question = Question(call=first.call, input=first.input, answers=answers, split=split, example=first.example)
        found.append(((-split, -len(counts), first.origin != "edge", index), question))
    return [question for _, question in sorted(found, key=lambda item: item[0])[:most]]


def behaviour_table(result: ProbeResult, most: int = MOST_BEHAVIOURS) -> list[Behaviour]:
    """The kept candidate's answers on the probes, edge values first, one row per distinct call."""
    rows: dict[str, Behaviour] = {}
    for _, answer in sorted(_asked(result).items(), key=lambda item: (item[1].origin != "edge", item[0])):
        if answer.call not in rows and len(rows) < most:
            rows[answer.call] = Behaviour(
                call=answer.call, input=answer.input, answer=answer.answer, example=answer.example
            )
    return list(rows.values())


def review_of(kept: ProbeResult, others: Sequence[ProbeResult]) -> Review:
    """The questions among the kept candidate and `others`; the behaviour table when there are none."""
    asked = questions([kept, *others])
    return Review(candidates=1 + len(others), questions=asked, behaviours=[] if asked else behaviour_table(kept))
