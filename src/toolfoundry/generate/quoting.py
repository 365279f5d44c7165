"""Which probe failures a repair prompt quotes, and in what words: new ones, none that only raises again what a
failed example raised, shortest call first; a fault probe names its fault, and the faults of one call are one
line.

A fault probe calls the tool with an example's own input, so without its fault named its line read the same
as the next one (three lines of `github_latest_release(owner='astral-sh', repo='ruff') returned None`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..checks.behaviour import ExampleOutcome
from ..evidence.faults import fault_kind
from ..evidence.judging import ProbeFailure


def probes_to_quote(
    failures: Iterable[ProbeFailure], asked: set[str], failed_examples: Sequence[ExampleOutcome]
) -> list[ProbeFailure]:
    """The probe failures a repair may quote, shortest call first (a short input shows a fault most plainly):
    not one quoted before, nor one that only raises again what a shown failed example raised (its line says
    that already)."""
    # A probe's undeclared exception reads `raised KeyError: 'x', an exception the spec does not declare (...)`.
    raised = tuple(f"{outcome.got}," for outcome in failed_examples if outcome.got.startswith("raised "))
    fresh = [
        failure
        for failure in failures
        if failure.call not in asked and not (raised and failure.problem.startswith(raised))
    ]
    return sorted(fresh, key=lambda failure: len(failure.call))


def probe_lines(failures: Iterable[ProbeFailure]) -> list[str]:
    """A line per call and problem in the order given, except that the faults injected into one call are one
    line, each problem once with the faults that led to it: `f(x=1), with an injected fault: HTTP 500 / an empty
    body: returned None ...; HTTP 503: raised ...`."""
    plain: dict[tuple[str, str], None] = {}
    faulted: dict[str, dict[str, list[str]]] = {}
    for failure in failures:
        if kind := fault_kind(failure.origin):
            faulted.setdefault(failure.call, {}).setdefault(failure.problem, []).append(_fault_words(kind))
        else:
            plain[failure.call, failure.problem] = None
    lines = [f"{call} {problem}" for call, problem in plain]
    for call, problems in faulted.items():
        each = "; ".join(f"{' / '.join(kinds)}: {problem}" for problem, kinds in problems.items())
        lines.append(f"{call}, with an injected fault: {each}")
    return lines


def _fault_words(kind: str) -> str:
    """`500` as `HTTP 500`; `an empty body` as it is."""
    return f"HTTP {kind}" if kind[:3].isdigit() else kind
