"""Agreement between candidates: when several pass everything, the one most others agree with is kept.

Execution-based consensus (CodeT, MBR-exec): candidates that give identical results on the same probes are
likely to be right together, and a lone dissenter is likely wrong. Results are compared by the hash the
sandbox took of each probe's result (a declared exception counts as a result: its class name).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Agreement:
    group: tuple[int, ...]  # positions of the candidates in the largest group of identical results, in order
    candidates: int
    probes: int  # the probes every candidate answered, on which they were compared

    @property
    def size(self) -> int:
        return len(self.group)

    def describe(self) -> str:
        return f"{self.size} of {self.candidates} candidates agree on {self.probes} probes"


def agreement(results: Sequence[Mapping[int, str]]) -> Agreement:
    """Group candidates (each a map from probe index to result hash) by their results on the probes all of
    them answered; the largest group wins, the earliest candidate breaking ties between groups of one size."""
    if not results:
        return Agreement(group=(), candidates=0, probes=0)
    common = sorted(set.intersection(*(set(result) for result in results)))
    groups: dict[tuple[str, ...], list[int]] = {}
    for position, result in enumerate(results):
        groups.setdefault(tuple(result[index] for index in common), []).append(position)
    largest = max(groups.values(), key=lambda group: (len(group), -group[0]))
    return Agreement(group=tuple(largest), candidates=len(results), probes=len(common))
