"""One review of a folder of tools: what each tool asks a person, their answers into its spec, and the tool
chosen again.

A tool's report holds what to ask (`review`: questions where candidates disagree, else a behaviour table)
and every candidate the run checked (`attempts[].code`). The answers become examples of its spec; then the
candidates already checked are checked again on that spec first, so when one fits every answer the tool is
re-chosen with no model call, and only otherwise is it generated again (the answers shown as examples).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..generate import EarlierCandidate
from ..report import ToolReport
from ..spec import Example, ToolSpec
from .answers import Given, as_example

RUN_REPORT = "report.json"


@dataclass(frozen=True)
class Ask:
    """One thing to ask a person about a tool: a question (the candidates' answers, most given first, and how
    many gave each) or a behaviour row (the kept candidate's one answer, to confirm)."""

    kind: Literal["question", "behaviour"]
    call: str
    input: dict[str, Any]
    answers: tuple[str, ...]
    candidates: tuple[int, ...]
    example: int = -1  # the spec example the input was made from (its files and exchanges)


@dataclass(frozen=True)
class UnderReview:
    """A tool of the folder with what to ask about it, and the spec file its spec came from."""

    spec: ToolSpec
    spec_file: Path
    report: ToolReport
    asks: tuple[Ask, ...]
    stale: str = ""  # why its questions cannot be asked: its spec changed since the report was written
    unapplied: int = 0  # answers at the end of its spec the tool was not chosen again with (a review stopped)


def asks_of(report: ToolReport, most: int) -> tuple[Ask, ...]:
    """What the report says to ask, the most telling `most` first: questions, else the behaviour table."""
    review = report.review
    if review.questions:
        return tuple(
            Ask(
                "question",
                question.call,
                question.input,
                tuple(answer.answer for answer in question.answers),
                tuple(answer.candidates for answer in question.answers),
                question.example,
            )
            for question in review.questions[:most]
        )
    return tuple(
        Ask("behaviour", row.call, row.input, (row.answer,), (1,), row.example) for row in review.behaviours[:most]
    )


def earlier_candidates(report: ToolReport) -> list[EarlierCandidate]:
    """The code of every attempt the report's run checked, each once, the kept one first."""
    attempts = sorted(report.attempts, key=lambda attempt: attempt.number != report.chosen_attempt)
    seen: set[str] = set()
    found = []
    for attempt in attempts:
        if attempt.code and attempt.same_as is None and attempt.code not in seen:
            seen.add(attempt.code)
            found.append(EarlierCandidate(code=attempt.code, model=attempt.model))
    return found


def new_examples(spec: ToolSpec, answers: list[Given], where: str) -> list[Example]:
    """The answers as examples of `spec` (ReviewError when one breaks its types): "any is fine" and an input
    the spec already has an example for add nothing; a later answer for the same input replaces an earlier."""
    taken: dict[str, Example] = {}
    known = {json.dumps(example.input, sort_keys=True, default=repr) for example in spec.examples}
    for index, given in enumerate(answers):
        key = json.dumps(given.input, sort_keys=True, default=repr)
        if given.any_fine or key in known:
            continue
        taken[key] = as_example(spec, given, f"{where}, answer {index + 1}")
    return list(taken.values())


def with_examples(spec: ToolSpec, examples: list[Example]) -> ToolSpec:
    """The spec with a person's answers added, as the spec file will read once they are written to it."""
    return spec.model_copy(update={"examples": [*spec.examples, *examples]})


def spec_files_of(folder: Path) -> dict[str, Path]:
    """Which spec file each tool of `folder` came from, as its last `generate` run recorded."""
    try:
        run = json.loads((folder / RUN_REPORT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = run.get("spec_files") if isinstance(run, dict) else None
    return {str(name): Path(path) for name, path in files.items()} if isinstance(files, dict) else {}


def _answers_since(spec: ToolSpec, spec_hash: str) -> int:
    """How many of the spec's last examples are a person's answers added after the spec that hashed to
    `spec_hash` (0: it is not that spec plus answers)."""
    for count in range(1, len(spec.examples) + 1):
        if spec.examples[-count].confirmed is None:
            return 0
        if spec.model_copy(update={"examples": spec.examples[:-count]}).spec_hash() == spec_hash:
            return count
    return 0


def under_review(folder: Path, specs: dict[str, tuple[ToolSpec, Path]], most: int) -> list[UnderReview]:
    """The tools of `folder` whose spec is in `specs` (name -> spec as its file reads now, and the file), with
    what to ask. A tool whose spec changed since its report was written is `stale`: its questions may not
    hold for the spec as it is."""
    found = []
    for name, (spec, path) in sorted(specs.items()):
        report = ToolReport.read(folder / f"{name}.report.json")
        if report is None or not (folder / f"{name}.py").is_file():
            continue
        if report.spec_hash != spec.spec_hash():
            if unapplied := _answers_since(spec, report.spec_hash):
                found.append(UnderReview(spec, path, report, asks_of(report, most), unapplied=unapplied))
                continue
            stale = f"its spec in {path} changed since the tool was generated: generate it again, then review"
            found.append(UnderReview(spec=spec, spec_file=path, report=report, asks=(), stale=stale))
            continue
        found.append(UnderReview(spec=spec, spec_file=path, report=report, asks=asks_of(report, most)))
    return found
