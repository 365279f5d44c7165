"""The terminal side of `toolfoundry review DIR`: one question at a time, with rich prompts.

For a question: pick one of the candidates' answers, type the right value (or `raises ValueError`), say any
of them is fine, or skip. For a behaviour row: say it is right, type what is, or skip. What candidates gave
is model output, so it is shown escaped, control and bidi characters as visible escapes.
"""

from __future__ import annotations

from rich.markup import escape
from rich.prompt import Prompt

from ..errors import ReviewError
from ..review.answers import Given, candidate_answer, read_typed
from ..review.session import Ask, UnderReview
from .approve import visible
from .common import stdout

TYPE_HINT = "a Python literal such as 'a-b', 3, [1, 2] or None, or `raises ValueError`"


def _say(text: str) -> None:
    stdout.print(text, highlight=False, soft_wrap=True)


def _shown(text: str) -> str:
    return escape(visible(text)[0])


def _typed(tool: UnderReview, ask: Ask) -> Given:
    while True:
        text = Prompt.ask(f"  the right answer ({TYPE_HINT})", console=stdout)
        try:
            given = read_typed(text, tool.spec, ask.input, ask.example)
        except ReviewError as error:
            _say(f"  [red]{escape(str(error))}[/]")
            continue
        _say(f"  taken: {_shown((given.raises and f'raises {given.raises}') or repr(given.output))}")
        return given


def _picked(ask: Ask, index: int) -> Given | None:
    given = candidate_answer(ask.answers[index], ask.input, ask.example)
    if given is None:
        _say("  [yellow]that answer may be cut short, or is no literal, in the report: type it instead[/]")
    return given


def _question(tool: UnderReview, ask: Ask) -> Given | None:
    for number, (answer, count) in enumerate(zip(ask.answers, ask.candidates, strict=True), start=1):
        _say(f"  {number}) {_shown(answer)}   [dim]{count} candidate{'s' if count != 1 else ''}[/]")
    _say("  t) type the right answer   a) any of these is fine   s) skip")
    choices = [str(number) for number in range(1, len(ask.answers) + 1)] + ["t", "a", "s"]
    while True:
        choice = Prompt.ask("  which is right?", choices=choices, console=stdout, show_choices=False)
        if choice == "s":
            return None
        if choice == "a":
            return Given(input=ask.input, any_fine=True, example=ask.example)
        if choice == "t":
            return _typed(tool, ask)
        picked = _picked(ask, int(choice) - 1)
        if picked is not None:
            return picked


def _behaviour(tool: UnderReview, ask: Ask) -> Given | None:
    _say(f"  gives {_shown(ask.answers[0])}")
    choice = Prompt.ask(
        "  is that right? y) yes  n) no, type what is  s) skip", choices=["y", "n", "s"], console=stdout
    )
    if choice == "s":
        return None
    if choice == "y" and (picked := _picked(ask, 0)) is not None:
        return picked
    return _typed(tool, ask)


def ask_person(tool: UnderReview) -> list[Given]:
    """Every ask of one tool put to the person at the terminal; what they answered (skips left out)."""
    plural = "s" if len(tool.asks) != 1 else ""
    kind = f"question{plural}" if tool.asks[0].kind == "question" else f"behaviour{plural} to confirm"
    stdout.rule(f"{escape(tool.spec.name)}: {len(tool.asks)} {kind}")
    _say(_shown(tool.spec.description))
    answers = []
    for ask in tool.asks:
        _say(f"\n{_shown(ask.call)}")
        try:
            given = _question(tool, ask) if ask.kind == "question" else _behaviour(tool, ask)
        except EOFError:  # the answers are taken for a tool only once all its questions are through
            raise ReviewError(
                f"{tool.spec.name}: the input ended before every question was answered: nothing taken"
            ) from None
        if given is not None:
            answers.append(given)
    return answers
