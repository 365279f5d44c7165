"""The quality set itself is sound: enough specs over every tool type, held-out cases apart from the
examples, and a reference implementation that passes both in the sandbox (so a low score is the
generator's, never the set's)."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers import requires_sandbox
from toolfoundry.checks import SandboxRunner
from toolfoundry.spec import ToolType

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"


def _module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


quality = _module("quality_benchmark", BENCHMARKS / "quality.py")
# One module of both files, as the sandbox runs one: the pure tools, then the API callers and file writers.
REFERENCE = "\n\n".join(
    (BENCHMARKS / "quality" / name).read_text().replace("from __future__ import annotations\n", "")
    for name in ("reference.py", "reference_effects.py")
)
PAIRS = quality.load_quality_set()


def test_at_least_30_specs_over_every_tool_type_each_with_held_out_cases() -> None:
    assert len(PAIRS) >= 30
    types = Counter(spec.effective_tool_type for spec, _ in PAIRS)
    assert set(types) == set(ToolType) and min(types.values()) >= 5, types
    for spec, heldout in PAIRS:
        assert spec.examples and len(heldout.examples) >= 2, spec.name
        shown = [example.model_dump() for example in spec.examples]
        assert not [case for case in heldout.examples if case.model_dump() in shown], f"{spec.name}: case shown"


def test_the_held_out_file_is_outside_what_the_generator_reads() -> None:
    assert not list(quality.SPECS.rglob("*heldout*")) and quality.HELDOUT.parent != quality.SPECS


@requires_sandbox
@pytest.mark.parametrize("pair", PAIRS, ids=[spec.name for spec, _ in PAIRS])
def test_the_reference_passes_its_examples_and_held_out_cases(pair) -> None:
    spec, heldout = pair
    runner = SandboxRunner()
    for cases in (spec, heldout):
        result = runner.run_examples(REFERENCE, cases)
        failed = [f"{o.call}: expected {o.expected}, got {o.got}" for o in result.outcomes if not o.passed]
        assert result.ran and not failed, failed
