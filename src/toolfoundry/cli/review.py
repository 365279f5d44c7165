"""`toolfoundry review DIR`: a person answers what the checks cannot tell, or approves what may do harm.

Without --approve: each tool's questions (or behaviour table) are put to the person (at the terminal, from
`--answers FILE`, or from `--oracle module:function`); the answers become examples in the tool's spec file,
marked `confirmed: review`; then the tool is chosen again among the candidates already checked (no model
call when one fits) or generated again. With --approve: cli/approve.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ..errors import ConfigError, ReviewError, SpecError
from ..evidence import EvidencePolicy
from ..evidence.questions import MOST_QUESTIONS
from ..generate import EarlierCandidate, LLMCodeGenerator
from ..library import ToolLibrary, default_library_path
from ..report import ToolReport
from ..review.answers import Given, read_answers_file
from ..review.oracle import Oracle, ask_oracle, load_oracle
from ..review.rechoose import choose_again, how_chosen
from ..review.session import UnderReview, earlier_candidates, new_examples, spec_files_of, under_review
from ..review.spec_file import add_examples
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


def _sources(folder: Path, specs: list[Path] | None) -> dict[str, tuple[ToolSpec, Path]]:
    """Each tool's spec as its file reads now, and the file: `--specs`, else what the folder's run recorded."""
    if specs:
        return {spec.name: (spec, path) for spec, path in load_specs_from(specs)}
    files = spec_files_of(folder)
    if not files:
        raise fail(f"{folder}: its report.json names no spec files (made by an older toolfoundry?): give --specs")
    found: dict[str, tuple[ToolSpec, Path]] = {}
    parser = ToolSpecificationParser()
    for name, path in files.items():
        try:
            parsed = {spec.name: spec for spec in parser.parse_file(path)}
        except SpecError as error:
            raise fail(str(error)) from None
        if name in parsed:
            found[name] = (parsed[name], path)
    return found


def _answers_for(tool: UnderReview, given: dict[str, list[Given]] | None, oracle: Oracle | None) -> list[Given]:
    if given is not None:
        return given.get(tool.spec.name, [])
    if oracle is not None:
        return [ask_oracle(oracle, tool.spec, ask.input, ask.call) for ask in tool.asks]
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
    tools = under_review(folder, _sources(folder, specs), questions)
    names = {item.spec.name for item in tools}
    unknown = sorted({*(tool or []), *(given or {})} - names)
    if unknown:
        raise fail(f"{folder} holds no reviewable tool named {', '.join(unknown)} (its module, report and spec)")
    tools = [item for item in tools if not tool or item.spec.name in tool]
    changed, earlier, problems = _take_answers(tools, given, answerer)
    if not changed:
        raise typer.Exit(EXIT_BAD_INPUT if problems else EXIT_VERIFIED)
    unverified = _choose_again(folder, changed, earlier, model, use_library, cache)
    raise typer.Exit(EXIT_BAD_INPUT if problems else EXIT_UNVERIFIED if unverified else EXIT_VERIFIED)


def _take_answers(
    tools: list[UnderReview], given: dict[str, list[Given]] | None, answerer: Oracle | None
) -> tuple[list[tuple[ToolSpec, ToolReport]], dict[str, list[EarlierCandidate]], list[str]]:
    """Each tool's answers into its spec file; the specs that changed (with their reports), their earlier
    candidates, and what could not be taken (that tool left as it was)."""
    changed: list[tuple[ToolSpec, ToolReport]] = []
    earlier: dict[str, list[EarlierCandidate]] = {}
    problems: list[str] = []
    for item in tools:
        name = item.spec.name
        if item.stale:
            problems.append(f"{name}: {item.stale}")
            stderr.print(f"[yellow]{escape(name)}: skipped:[/] {escape(item.stale)}", highlight=False, soft_wrap=True)
            continue
        if not item.asks and not (given and given.get(name)):
            _say(f"{escape(name)}: nothing to ask (no candidates disagree and no behaviour to confirm)")
            continue
        try:
            examples = new_examples(item.spec, _answers_for(item, given, answerer), name)
            if examples:
                add_examples(item.spec_file, name, examples)
        except ReviewError as error:
            problems.append(str(error))
            stderr.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
            continue
        if not examples:
            _say(f"{escape(name)}: no answer adds an example; the tool is left as it is")
            continue
        spec = next(each for each in ToolSpecificationParser().parse_file(item.spec_file) if each.name == name)
        changed.append((spec, item.report))
        earlier[name] = earlier_candidates(item.report)
        _say(f"{escape(name)}: {len(examples)} answer(s) added to {escape(str(item.spec_file))} (confirmed: review)")
    return changed, earlier, problems


def _choose_again(
    folder: Path,
    changed: list[tuple[ToolSpec, ToolReport]],
    earlier: dict[str, list[EarlierCandidate]],
    model: str | None,
    use_library: bool,
    cache: bool,
) -> bool:
    """The changed tools made again, per model and evidence options they were made with; whether any is not
    verified."""
    groups: dict[tuple[str, str], list[ToolSpec]] = {}
    for spec, report in changed:
        groups.setdefault((model or report.model, report.evidence.policy), []).append(spec)
    unverified = False
    for (model_name, policy), specs in groups.items():
        try:
            generator = LLMCodeGenerator.create(
                model=model_name,
                runner=example_runner(False),
                evidence=EvidencePolicy.from_description(policy),
                library=ToolLibrary(default_library_path()) if use_library else None,
                service=ServiceSettings(cache=ResponseCache(default_cache_path()) if cache else None),
            )
        except ConfigError as error:
            raise fail(f"the answers are in the spec files; the tools could not be made again: {error}") from None
        for report in choose_again(generator, folder, specs, earlier):
            unverified |= report.status != "verified"
            _say(f"{escape(report.tool)}: {how_chosen(report)}: {escape(report.evidence_line)}")
    return unverified
