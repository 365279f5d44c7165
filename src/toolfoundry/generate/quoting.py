"""What a repair prompt quotes of the attempt it repairs: the code without its function's docstring (with the line
numbers of findings and tracebacks moved to match), and which probe failures are worth a line.

The docstring is the task again, stated just above the code (the mend writes the spec's description there), and a
model shown it copies it into its reply: it cost its tokens twice per repair, and said nothing new.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..checks.behaviour import ExampleOutcome
from ..checks.findings import Finding
from ..evidence.judging import ProbeFailure

_LINE = re.compile(r"^line (\d+)")  # how ExampleOutcome.where begins: `line 6, in save_json: ...`


@dataclass(frozen=True)
class QuotedAttempt:
    """An attempt's code as a repair prompt shows it; `line` maps a line of the attempt to the shown one."""

    code: str
    removed_from: int = 0  # the first line left out (1-based; 0: none was)
    removed: int = 0  # how many lines were left out

    def line(self, number: int) -> int:
        return number - self.removed if self.removed and number >= self.removed_from + self.removed else number

    def finding(self, finding: Finding) -> str:
        return str(finding.model_copy(update={"line": self.line(finding.line)}) if finding.line else finding)

    def where(self, outcome: ExampleOutcome) -> str:
        """The line that raised, numbered as shown."""
        return _LINE.sub(lambda match: f"line {self.line(int(match.group(1)))}", outcome.where, count=1)


def quote_attempt(code: str, function_name: str) -> QuotedAttempt:
    """`code` without the docstring of the function `function_name`, where the docstring has lines of its own
    and is not all the body; the code as it is otherwise (code that does not parse included)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return QuotedAttempt(code)
    function = next(
        (
            node
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function_name
        ),
        None,
    )
    if function is None or ast.get_docstring(function) is None or len(function.body) < 2:
        return QuotedAttempt(code)
    docstring, after = function.body[0], function.body[1]
    first, last = docstring.lineno, docstring.end_lineno or docstring.lineno
    lines = code.splitlines(keepends=True)
    if first == function.lineno or after.lineno <= last:
        return QuotedAttempt(code)  # `def f(): """doc"""; ...` or `"""doc"""; x = 1`: no lines of its own
    return QuotedAttempt("".join(lines[: first - 1] + lines[last:]), removed_from=first, removed=last - first + 1)


def probes_to_quote(
    failures: Iterable[ProbeFailure], asked: set[str], failed_examples: Sequence[ExampleOutcome]
) -> list[ProbeFailure]:
    """The probe failures a repair may quote, shortest call first (a short input shows a fault most plainly):
    not one quoted before, nor one that only raises again what a failed example raised (its line says that)."""
    # A probe's undeclared exception reads `raised KeyError: 'x', an exception the spec does not declare (...)`.
    raised = tuple(f"{outcome.got}," for outcome in failed_examples if outcome.got.startswith("raised "))
    fresh = [
        failure
        for failure in failures
        if failure.call not in asked and not (raised and failure.problem.startswith(raised))
    ]
    return sorted(fresh, key=lambda failure: len(failure.call))
