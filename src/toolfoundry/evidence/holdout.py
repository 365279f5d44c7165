"""Held-back examples: about one in three of a spec's examples is never shown to the model.

A model can fit the examples it was shown without doing the job; an example it never saw is evidence it
cannot fit. The choice is a function of the spec alone (a hash of each example), so runs are reproducible
and a repaired candidate is judged on the same held-back examples as the first.
"""

from __future__ import annotations

import hashlib
import json

from ..spec import ToolSpec

# Below this many examples every one is shown: a spec with two examples needs both to say what it wants.
MIN_EXAMPLES_TO_HOLD_BACK = 3


def held_back_indexes(spec: ToolSpec) -> tuple[int, ...]:
    """The indexes of the examples to hold back: a third of them (at least one) once there are three, taken
    only from those that expect a value, never from a person's answers. An example that expects an exception
    often says what the words do not (which inputs are refused): on the quality set, holding back
    `status_category`'s one error example made the model accept codes it must refuse, and no repair could
    learn why."""
    # A person's answers (`confirmed: review`) are always shown and do not move the choice among the rest:
    # answering a question must not change which of the spec's own examples the model never sees.
    own = [index for index, example in enumerate(spec.examples) if example.confirmed is None]
    count = len(own)
    values = [index for index in own if spec.examples[index].expects_output]
    if count < MIN_EXAMPLES_TO_HOLD_BACK or len(values) < 2:
        return ()

    def rank(index: int) -> str:
        example = spec.examples[index].model_dump(mode="json")
        text = json.dumps([spec.name, example], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    keep = min(max(1, round(count / 3)), len(values) - 1)  # at least one value example stays shown
    return tuple(sorted(sorted(values, key=rank)[:keep]))


def shown_spec(spec: ToolSpec, held_back: tuple[int, ...]) -> ToolSpec:
    """The spec as the model sees it: the same contract without the held-back examples."""
    if not held_back:
        return spec
    shown = [example for index, example in enumerate(spec.examples) if index not in held_back]
    return spec.model_copy(update={"examples": shown})
