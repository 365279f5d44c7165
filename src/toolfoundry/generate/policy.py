"""How hard the repair loop tries (RepairPolicy), and what a caller running many specs lends one run (RunHooks)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from ..report import AttemptRecord

# Told of every attempt as it ends, with the tool's name: for progress displays.
AttemptObserver = Callable[[str, AttemptRecord], None]


@dataclass(frozen=True)
class RepairPolicy:
    """How hard to try. Calls per model: at most samples_per_round, then repair_samples per repair round (the
    stop rules end them sooner)."""

    rounds: int = 3  # the initial round plus repair rounds
    samples_per_round: int = 3
    temperatures: tuple[float, ...] = (0.2, 0.6, 0.9)
    max_tokens_per_call: int = 512
    seed: int = 0
    prefill: bool = True  # start every other sample with the exact signature, for models that can continue one
    patience: int = 2  # repairs with new code that do not beat the best before a model is given up (0: all)
    # A repair round draws the warm end of a round's samples: near-greedy repairs write the quoted attempt
    # again (README, "Effort"), so by default one draw, the round's last: the warmest, prefilled.
    repair_samples: int = 1

    def slots(self, repairing: bool) -> range:
        """The sample slots a round draws (a slot sets the reply's style, temperature and seed)."""
        everything = range(self.samples_per_round)
        return everything[-self.repair_samples :] if repairing else everything


@dataclass(frozen=True)
class RunHooks:
    """What a caller running many specs at once lends one generation: an observer of its attempts, and the
    call slots its model calls share with the others (None: no cap)."""

    on_attempt: AttemptObserver | None = None
    call_slots: asyncio.Semaphore | None = None
