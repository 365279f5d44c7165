"""`toolfoundry review DIR`: a person answers what the checks cannot tell, or approves what may do harm.

Without --approve: each tool's questions (or behaviour table) are put to the person (at the terminal, from
`--answers FILE`, or from `--oracle module:function`); the answers become examples in the tool's spec file,
marked `confirmed: review`; then the tool is chosen again among the candidates already checked (no model
call when one fits) or generated again. With --approve: cli/approve.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ..errors import ConfigError, LibraryError, ReviewError, SpecError
from ..evidence import EvidencePolicy
from ..evidence.questions import MOST_QUESTIONS
from ..generate import EarlierCandidate, LLMCodeGenerator
from ..library import ToolLibrary, default_library_path
from ..report import ToolReport
from ..review.answers import Given, read_answers_file
from ..review.oracle import Oracle, ask_oracle, load_oracle
from ..review.rechoose import choose_again, how_chosen
from ..review.session import UnderReview, earlier_candidates, new_examples, spec_files_of, under_review
from ..review.spec_file import SpecFileEdits
from ..sandbox import sandbox_problem
from ..service import ResponseCache, ServiceSettings
from ..settings import default_cache_path
from ..spec import ToolSpec, ToolSpecificationParser
from .approve import approve_tools
from .common import (
    EXIT_BAD_INPUT,
    EXIT_UNVERIFIED,
    EXIT_VERIFIED,
    example_runner,
    fail,
    load_specs_from,
    stderr,
    stdout,
)
from .questions import ask_person


def _say(text: str) -> None:
    stdout.print(text, highlight=False, soft_wrap=True)


def _sources(folder: Path, specs: list[Path] | None, only: list[str] | None) -> dict[str, tuple[ToolSpec, Path]]:
    """Each tool's spec as its file reads now, and the file: `--specs`, else what the folder's run recorded
    (with `--tool`, only those tools' files are read)."""
    if specs:
        return {spec.name: (spec, path) for spec, path in load_specs_from(specs)}
    files = spec_files_of(folder)
    if not files:
        raise fail(f"{folder}: its report.json names no spec files (made by an older toolfoundry?): give --specs")
    found: dict[str, tuple[ToolSpec, Path]] = {}
    parser = ToolSpecificationParser()
    for name, path in files.items():
        if only and name not in only:
            continue
        try:
            parsed = {spec.name: spec for spec in parser.parse_file(path)}
        except SpecError as error:
            raise fail(str(error)) from None
        if name in parsed:
            found[name] = (parsed[name], path)
    return found


def _answers_for(tool: UnderReview, given: dict[str, list[Given]] | None, oracle: Oracle | None) -> list[Given]:
    """The person's answers for one tool: from the answers file (an answer to an asked input takes the folder and
    exchanges it was asked in), the oracle, or the terminal."""
    if given is not None:
        asked = {json.dumps(ask.input, sort_keys=True, default=repr): ask.example for ask in tool.asks}
        return [
            replace(each, example=asked.get(json.dumps(each.input, sort_keys=True, default=repr), -1))
            for each in given.get(tool.spec.name, [])
        ]
    if oracle is not None:
        return [ask_oracle(oracle, tool.spec, ask.input, ask.call, ask.example) for ask in tool.asks]
    return ask_person(tool)


def review(
    folder: Annotated[
        Path, typer.Argument(help="folder of generated tools (what `generate -o` wrote), or one NAME.report.json")
    ],
    approve: Annotated[
        bool, typer.Option("--approve", help="approve or refuse each tool that writes files or reaches the network")
    ] = False,
    tool: Annotated[list[str] | None, typer.Option("--tool", help="only this tool (repeatable)")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="with --approve: approve every tool shown without asking")] = False,
    answers: Annotated[
        Path | None, typer.Option(help="YAML/JSON: tool -> [{input: ..., output: ... | raises: ... | any: true}]")
    ] = None,
    oracle: Annotated[
        str | None, typer.Option(help="module:function (or file.py:function) whose results are the right answers")
    ] = None,
    specs: Annotated[
        list[Path] | None, typer.Option("--specs", help="the spec files (default: those the folder's run recorded)")
    ] = None,
    questions: Annotated[int, typer.Option(min=1, help="questions asked per tool at most")] = MOST_QUESTIONS,
    model: Annotated[
        str | None, typer.Option(help="model for a tool generated again (default: the one its report names)")
    ] = None,
    use_library: Annotated[
        bool, typer.Option("--library/--no-library", help="add verified tools, and decisions, to the library")
    ] = True,
    cache: Annotated[bool, typer.Option("--cache/--no-cache", help="reuse replies to identical requests")] = True,
) -> None:
    """Answer what the checks cannot tell (the answers become examples in the spec files), or --approve."""
    if folder.is_file() and folder.name.endswith(".report.json"):  # one tool: its folder, only it
        folder, tool = folder.parent, [*(tool or []), folder.name.removesuffix(".report.json")]
    if approve:
        if answers or oracle:
            raise fail("--approve decides what may be served; answer questions in a review of their own")
        approve_tools(folder, tool, yes, ToolLibrary(default_library_path()) if use_library else None)
        return
    if answers and oracle:
        raise fail("give --answers or --oracle, not both")
    try:
        given = read_answers_file(answers) if answers else None
        answerer = load_oracle(oracle) if oracle else None
    except ReviewError as error:
        raise fail(str(error)) from None
    tools = under_review(folder, _sources(folder, specs, tool), questions)
    names = {item.spec.name for item in tools}
    unknown = sorted({*(tool or []), *(given or {})} - names)
    if unknown:
        raise fail(f"{folder} holds no reviewable tool named {', '.join(unknown)} (its module, report and spec)")
    if problem := sandbox_problem():  # before anything is asked or written
        raise fail(f"review checks the candidates again in the sandbox, and {problem}")
    tools = [item for item in tools if not tool or item.spec.name in tool]
    edits = SpecFileEdits()
    try:
        changed, problems = _take_answers(tools, given, answerer, edits)
        if not changed:
            raise typer.Exit(EXIT_BAD_INPUT if problems else EXIT_VERIFIED)
        generators = _generators(changed, model, use_library, cache)  # a model that cannot load: nothing written
        edits.commit()  # the spec files first: a tool stopped while chosen again is chosen in the next review
    finally:
        edits.abandon()
    unverified = _choose_again(folder, changed, generators, model)
    raise typer.Exit(EXIT_BAD_INPUT if problems else EXIT_UNVERIFIED if unverified else EXIT_VERIFIED)


@dataclass(frozen=True)
class _Changed:
    spec: ToolSpec  # as the spec file reads with the answers
    report: ToolReport  # the tool's report before: its model, evidence options and candidates
    earlier: list[EarlierCandidate]


def _take_answers(
    tools: list[UnderReview], given: dict[str, list[Given]] | None, answerer: Oracle | None, edits: SpecFileEdits
) -> tuple[list[_Changed], list[str]]:
    """Each tool's answers prepared for its spec file; the tools to choose again, and what could not be taken
    (that tool left as it was)."""
    changed: list[_Changed] = []
    problems: list[str] = []
    for item in tools:
        name = item.spec.name
        if item.stale:
            problems.append(f"{name}: {item.stale}")
            stderr.print(f"[yellow]{escape(name)}: skipped:[/] {escape(item.stale)}", highlight=False, soft_wrap=True)
            continue
        if not item.asks and not (given and given.get(name)) and not item.unapplied:
            _say(f"{escape(name)}: nothing to ask (no candidates disagree and no behaviour to confirm)")
            continue
        try:
            examples = new_examples(item.spec, _answers_for(item, given, answerer), name) if item.asks or given else []
            spec = edits.add(item.spec_file, name, examples) if examples else item.spec
        except ReviewError as error:
            problems.append(str(error))
            stderr.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
            continue
        if examples:
            _say(
                f"{escape(name)}: {len(examples)} answer(s) added to {escape(str(item.spec_file))} (confirmed: review)"
            )
        elif item.unapplied:
            _say(
                f"{escape(name)}: {item.unapplied} answer(s) in its spec file from an earlier review: choosing it again"
            )
        else:
            _say(f"{escape(name)}: no answer adds an example; the tool is left as it is")
            continue
        changed.append(_Changed(spec, item.report, earlier_candidates(item.report)))
    return changed, problems


def _generators(
    changed: list[_Changed], model: str | None, use_library: bool, cache: bool
) -> dict[tuple[str, str], LLMCodeGenerator]:
    """One generator per model and evidence options the changed tools were made with (a model that cannot be
    loaded, or a library that cannot be used, is bad input here, before any spec file is written)."""
    generators: dict[tuple[str, str], LLMCodeGenerator] = {}
    try:
        library = ToolLibrary(default_library_path()) if use_library else None
        for item in changed:
            key = (model or item.report.model, item.report.evidence.policy)
            if key not in generators:
                generators[key] = LLMCodeGenerator.create(
                    model=key[0],
                    runner=example_runner(False),
                    evidence=EvidencePolicy.from_description(key[1]),
                    library=library,
                    service=ServiceSettings(cache=ResponseCache(default_cache_path()) if cache else None),
                )
    except (ConfigError, LibraryError) as error:
        raise fail(f"the tools could not be made again, so no answer was written: {error}") from None
    return generators


def _choose_again(
    folder: Path, changed: list[_Changed], generators: dict[tuple[str, str], LLMCodeGenerator], model: str | None
) -> bool:
    """The changed tools made again, per generator; whether any is not verified."""
    unverified = False
    for key, generator in generators.items():
        group = [item for item in changed if (model or item.report.model, item.report.evidence.policy) == key]
        earlier = {item.spec.name: item.earlier for item in group}
        for report in choose_again(generator, folder, [item.spec for item in group], earlier):
            unverified |= report.status != "verified"
            _say(f"{escape(report.tool)}: {how_chosen(report)}: {escape(report.evidence_line)}")
    return unverified
