"""A person's answers: to a question (which answer is right), to a behaviour row (is this right), or given
ahead in a file (`--answers`). Each becomes an example marked `confirmed: review`, once it fits the spec.

What a person types is read as a Python literal (`'a-b'`, `[1, 2]`, `None`) or `raises ValueError`; for a
tool whose output is `str`, text that is no literal (or no string literal) is taken as the text itself, so
`a-b` means 'a-b'. Nothing typed is ever evaluated: ast.literal_eval reads literals only.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import ReviewError
from ..evidence.types import type_tree
from ..sandbox.values import json_view, normalise, type_problem
from ..spec import Example, ToolSpec
from ..spec.example import exception_name_problem

RAISES = "raises "


@dataclass(frozen=True)
class Given:
    """One answer: for this input the tool gives `output`, or raises `raises`; `any_fine`: whatever the
    candidates gave is fine (nothing is added to the spec)."""

    input: dict[str, Any]
    output: Any = None
    raises: str | None = None
    any_fine: bool = False
    example: int = -1  # the spec example the asked input was made from: its files and exchanges come along


REPR_KEPT = 200  # a report keeps this many characters of a result's repr (evidence/judging.py)


def candidate_answer(answer: str, call_input: dict[str, Any], example: int = -1) -> Given | None:
    """A candidate's answer as a report shows it (a value's repr, or `raises X`) taken as the person's, or None
    when it cannot be: cut short at REPR_KEPT characters, or no literal (a person must type it then)."""
    if answer.startswith(RAISES):  # a returned string's repr starts with a quote: this is an exception
        return Given(input=call_input, raises=answer.removeprefix(RAISES).strip(), example=example)
    if len(answer) >= REPR_KEPT:
        return None  # perhaps cut: a number cut short still reads as a (wrong) number
    try:
        return Given(input=call_input, output=ast.literal_eval(answer), example=example)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _opaque(value: Any) -> bool:
    """Whether normalise() had to stand in for part of the value (an object, bytes, NaN): no spec file holds it."""
    if isinstance(value, dict):
        return set(value) in ({"__repr__"}, {"__float__"}) or any(_opaque(item) for item in value.values())
    return isinstance(value, list) and any(_opaque(item) for item in value)


def read_typed(text: str, spec: ToolSpec, call_input: dict[str, Any], example: int = -1) -> Given:
    """What a person typed for one input, as an answer; ReviewError says why it cannot be one."""
    text = text.strip()
    if text.startswith(RAISES):
        return Given(input=call_input, raises=text.removeprefix(RAISES).strip(), example=example)
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        if spec.output_type != "str":
            raise ReviewError(
                f"{text[:80]!r} is no Python literal: type a value such as 'a-b', 3, [1, 2] or None, "
                "or `raises ValueError`"
            ) from None
        value = text
    if spec.output_type == "str" and not isinstance(value, str):
        value = text  # `1` for a str tool means the text "1"
    return Given(input=call_input, output=value, example=example)


def as_example(spec: ToolSpec, given: Given, where: str) -> Example:
    """The answer as an example of `spec`, marked `confirmed: review`; ReviewError (naming `where`) when its
    input or value breaks the declared types or it names no exception class."""
    for name, value in given.input.items():
        param = next((param for param in spec.input_params if param.name == name), None)
        if param is None:
            raise ReviewError(f"{where}: {spec.name} has no parameter {name!r}")
        if problem := type_problem(value, json_view(type_tree(param.type)), f"input {name!r}"):
            raise ReviewError(f"{where}: {problem} (declared {param.type})")
    if given.raises is not None:
        if problem := exception_name_problem(given.raises):
            raise ReviewError(f"{where}: {problem}")
        fields: dict[str, Any] = {"raises": given.raises}
    else:
        # As the checks compare it (the sandbox's own normalise): a tuple is a list, a set a sorted list.
        output = normalise(given.output)
        if _opaque(output):  # bytes, a complex number, NaN, an object: nothing a spec file can keep
            raise ReviewError(f"{where}: the answer {given.output!r:.120} cannot be kept in a spec file")
        tree = json_view(type_tree(spec.output_type))
        if problem := type_problem(output, tree, f"the answer {given.output!r}"[:200]):
            raise ReviewError(f"{where}: {problem}: {spec.name} declares output_type {spec.output_type}")
        fields = {"output": output}
    if 0 <= given.example < len(spec.examples):  # the folder and the service the input was asked in
        base = spec.examples[given.example]
        fields["files"] = dict(base.files)
        if base.http:  # what the person answered is the value; which of the calls it makes is not theirs
            fields["http"] = [{**exchange, "optional": True} for exchange in base.http]
    try:
        return Example(input=given.input, confirmed="review", **fields)
    except ValidationError as error:
        raise ReviewError(f"{where}: {error.errors()[0]['msg']}") from None


def read_answers_file(path: Path) -> dict[str, list[Given]]:
    """`--answers FILE`: per tool, a list of `{input: {...}, output: ...}`, `{input: ..., raises: Name}` or
    `{input: ..., any: true}` (YAML or JSON). ReviewError names the entry that is not one."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ReviewError(f"--answers {path}: cannot be read: {error}") from None
    except yaml.YAMLError as error:
        raise ReviewError(f"--answers {path}: not valid YAML or JSON: {error}") from None
    if not isinstance(loaded, dict):
        raise ReviewError(f"--answers {path}: must map each tool's name to a list of answers")
    answers: dict[str, list[Given]] = {}
    for tool, entries in loaded.items():
        if not isinstance(entries, list):
            raise ReviewError(f"--answers {path}: {tool}: must be a list of answers")
        answers[str(tool)] = [
            _entry(entry, f"--answers {path}: {tool}[{index}]") for index, entry in enumerate(entries)
        ]
    return answers


def _entry(entry: Any, where: str) -> Given:
    if not isinstance(entry, dict) or not isinstance(entry.get("input"), dict):
        raise ReviewError(f"{where}: needs `input:` (a mapping of the parameters)")
    said = {key for key in ("output", "raises", "any") if key in entry}
    unknown = set(entry) - {"input", "output", "raises", "any"}
    if unknown or len(said) != 1:
        raise ReviewError(f"{where}: give `input` and one of `output`, `raises` or `any: true`")
    if "any" in entry:
        if entry["any"] is not True:
            raise ReviewError(f"{where}: `any` is only ever `true`")
        return Given(input=entry["input"], any_fine=True)
    if "raises" in entry:
        if not isinstance(entry["raises"], str):
            raise ReviewError(f"{where}: `raises` names an exception class, such as ValueError")
        return Given(input=entry["input"], raises=entry["raises"])
    return Given(input=entry["input"], output=entry["output"])
