"""Probes: inputs the model never saw, built from the params' types, to run a candidate on beyond the examples.

Two kinds, all JSON values (the way an agent calls a tool): edge values put into one param of an example
at a time (0, -1, an empty string, whitespace, non-ASCII text, an empty list, a large integer, None), and
inputs drawn by hypothesis from strategies built from the type trees. Each probe keeps the other params
and the files of the example it started from, so a probe changes one thing a spec allows to vary. A param
whose type has no strategy (Callable, bytes, `Any` that no example shows) keeps its example values, and the
plan says so. Params that name files or URLs of a tool allowed to reach them are never probed.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException
from hypothesis.internal.conjecture.providers import AVAILABLE_PROVIDERS, HypothesisProvider

from ..spec import Param, ToolSpec
from .types import TypeTree, describe, type_tree

# Small on purpose: a probe checks that a tool copes with an input, not how fast it is on a huge one.
_INTEGERS = st.integers(min_value=-1000, max_value=1000)
_FLOATS = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
_TEXT = st.text(max_size=24)
_SCALARS = st.one_of(st.none(), st.booleans(), _INTEGERS, _TEXT)
_EDGES: dict[str, list[Any]] = {
    "int": [0, 1, -1, 2, 7, 100, -100, 10_000],
    "float": [0.0, 1.0, -1.0, 0.5, -2.5, 1e6],
    "str": ["", " ", "a", "  two  spaces  ", "Héllo Wörld ß", "日本語のテキスト", "line one\nline two", "\t"],
    "bool": [True, False],
    "none": [None],
}
# Names of params that a file or network tool is given to reach something real; never probed.
_PATH_OR_URL = re.compile(r"(path|file|dir|folder|url|uri|endpoint|host|address)", re.IGNORECASE)
# Hypothesis keeps global state while it runs; one draw at a time, and each spec's probes are drawn once.
_DRAW_LOCK = threading.Lock()
_PLANS: dict[tuple[str, int, int], ProbePlan] = {}


class SeededProvider(HypothesisProvider):
    """Hypothesis's own provider, minus one thing: it mixes in constants harvested from whatever local modules
    happen to be loaded, so the same seed drew different probes in `generate` and `validate`. Without them
    the draws depend on the seed alone (tests/evidence/test_probes.py checks it across processes)."""

    def _maybe_draw_constant(self, *args: Any, **kwargs: Any) -> None:
        return None


# How hypothesis finds a backend named in settings: "module.Class" (its alternative-backends interface).
AVAILABLE_PROVIDERS.setdefault("toolfoundry", f"{__name__}.SeededProvider")


@dataclass(frozen=True)
class Probe:
    index: int
    input: dict[str, Any]
    files: dict[str, Any]
    origin: str  # "edge" or "drawn"
    http: list[dict[str, Any]] | None = None  # the example's recorded exchanges, which answer it too
    base: int = -1  # the spec example it was made from (its files and exchanges set the scene): -1 for none


@dataclass(frozen=True)
class ProbePlan:
    probes: list[Probe] = field(default_factory=list)
    seed: int = 0
    notes: list[str] = field(default_factory=list)  # params probed only with example values, and why


def probe_plan(spec: ToolSpec, count: int, probe_seed: int) -> ProbePlan:
    """Up to `count` probes for the spec, the same for the same spec and seed."""
    key = (spec.spec_hash(), count, probe_seed)
    with _DRAW_LOCK:
        if key not in _PLANS:
            _PLANS[key] = _plan(spec, count, probe_seed)
        return _PLANS[key]


def _reaches_outside(spec: ToolSpec, param: Param) -> bool:
    return spec.reaches_outside and bool(_PATH_OR_URL.search(param.name))


def _example_values(spec: ToolSpec, name: str) -> list[Any]:
    return [example.input[name] for example in spec.examples if name in example.input]


def _plan(spec: ToolSpec, count: int, probe_seed: int) -> ProbePlan:
    if count <= 0 or not spec.examples:
        note = "no probes: the spec has no examples to start from" if count > 0 else "probes were turned off"
        return ProbePlan(seed=probe_seed, notes=[note])
    strategies: dict[str, st.SearchStrategy[Any]] = {}
    edges: dict[str, list[Any]] = {}
    notes = []
    for param in spec.input_params:
        tree = type_tree(param.type)
        seen = _example_values(spec, param.name)
        strategy = None if _reaches_outside(spec, param) else _strategy(tree, seen)
        if strategy is None:
            why = "names a file or URL" if _reaches_outside(spec, param) else f"{describe(tree)} has no strategy"
            notes.append(f"`{param.name}` ({why}) was probed only with values taken from the examples")
            continue
        strategies[param.name] = strategy
        edges[param.name] = _edges(tree)
    seen_inputs = {input_key(example.input) for example in spec.examples}
    probes: list[Probe] = []

    def add(base: int, changes: dict[str, Any], origin: str) -> None:
        example = spec.examples[base]
        candidate = {**example.input, **changes}
        if len(probes) < count and input_key(candidate) not in seen_inputs:
            seen_inputs.add(input_key(candidate))
            probes.append(Probe(len(probes), candidate, dict(example.files), origin, example.http, base))

    for position, (name, values) in enumerate(edges.items()):
        for offset, value in enumerate(values):
            add((position + offset) % len(spec.examples), {name: value}, "edge")
    if strategies and len(probes) < count:
        drawn = st.tuples(st.integers(0, len(spec.examples) - 1), st.fixed_dictionaries(strategies))
        for base, changes in _draw(drawn, count - len(probes), probe_seed):
            add(base, changes, "drawn")
    return ProbePlan(probes=probes, seed=probe_seed, notes=notes)


def input_key(value: dict[str, Any]) -> str:
    """One spelling of a call's inputs, to tell repeats apart (probes, spec-derived tests)."""
    return json.dumps(value, sort_keys=True, default=repr)


def _draw(strategy: st.SearchStrategy[Any], count: int, probe_seed: int) -> list[Any]:
    """`count` values from a strategy, reproducibly: hypothesis run as a generator, seeded, no database."""
    values: list[Any] = []

    @seed(probe_seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        backend="toolfoundry",
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        values.append(value)

    with contextlib.suppress(HypothesisException):  # a strategy that ran out of values: keep what was drawn
        collect()
    return values


def _strategy(tree: TypeTree, seen: list[Any]) -> st.SearchStrategy[Any] | None:
    """The strategy for a type tree, or None when there is none. `Any` draws from the values the examples
    show at that place (whole values at the top, their items inside a container)."""
    kind = tree[0]
    if kind in {"callable", "bytes"}:
        return None
    if kind == "any":
        return st.sampled_from(seen) if seen else None
    if kind == "literal":
        return st.sampled_from(tree[1]) if tree[1] else None
    if kind == "union":
        members = [_strategy(member, seen) for member in tree[1]]
        return None if None in members else st.one_of(*members)  # type: ignore[arg-type]
    simple = {"int": _INTEGERS, "float": _FLOATS, "str": _TEXT, "bool": st.booleans(), "none": st.none()}
    if kind in simple:
        return simple[kind]
    items = [item for value in seen if isinstance(value, list | dict) for item in _items(value)]
    if kind == "dict":
        if tree[1][0] not in {"str", "any"}:
            return None  # JSON keys are strings: an int-keyed dict cannot be sent as it is meant
        values = _strategy(tree[2], items) if tree[2][0] != "any" else _item_strategy(items)
        return None if values is None else st.dictionaries(_TEXT, values, max_size=6)
    if kind == "tuple":
        members = [_strategy(member, items) for member in tree[1]]
        return None if None in members else st.tuples(*members).map(list)  # type: ignore[arg-type]
    element = _strategy(tree[1], items) if tree[1][0] != "any" else _item_strategy(items)
    if element is None:
        return None
    return st.lists(element, max_size=8, unique_by=(lambda v: input_key({"v": v})) if kind == "set" else None)


def _items(value: list[Any] | dict[str, Any]) -> list[Any]:
    return list(value.values()) if isinstance(value, dict) else list(value)


def _item_strategy(items: list[Any]) -> st.SearchStrategy[Any]:
    """Items of an `Any` container: those the examples show, or plain JSON scalars when they show none."""
    return st.sampled_from(items) if items else _SCALARS


def _edges(tree: TypeTree) -> list[Any]:
    kind = tree[0]
    if kind in _EDGES:
        return _EDGES[kind]
    if kind == "literal":
        return list(tree[1])
    if kind == "union":
        return [edge for member in tree[1] for edge in _edges(member)]
    if kind in {"list", "set", "tuple*"}:
        inner = _edges(tree[1])
        return [[], *([[inner[0]], inner[:3]] if inner else [])]
    if kind == "dict":
        return [{}]
    return []
