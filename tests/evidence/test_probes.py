"""Probe plans: built from the param types, reproducible, and honest about what they could not probe."""

import json
import subprocess
import sys

from toolfoundry.evidence.probes import probe_plan
from toolfoundry.evidence.types import type_tree
from toolfoundry.spec import ToolSpecificationParser

parser = ToolSpecificationParser()
CLAMP = parser.parse(
    {
        "name": "clamp",
        "description": "Clamp x into [low, high].",
        "input_params": [{"name": "x", "type": "int"}, {"name": "low", "type": "int"}, {"name": "high", "type": "int"}],
        "output_type": "int",
        "examples": [{"input": {"x": 15, "low": 0, "high": 10}, "output": 10}],
    }
)


def inputs(plan) -> list[dict]:
    return [probe.input for probe in plan.probes]


def test_edge_values_go_into_one_param_of_an_example_at_a_time() -> None:
    plan = probe_plan(CLAMP, 100, 0)
    assert 50 <= len(plan.probes) <= 100 and plan.notes == []
    assert {"x": -1, "low": 0, "high": 10} in inputs(plan) and {"x": 15, "low": 0, "high": 0} in inputs(plan)
    assert {"x": 10_000, "low": 0, "high": 10} in inputs(plan)
    assert {"x": 15, "low": 0, "high": 10} not in inputs(plan)  # an example is not a probe
    assert len({json.dumps(item, sort_keys=True) for item in inputs(plan)}) == len(plan.probes)
    assert {probe.origin for probe in plan.probes} == {"edge", "drawn"}


def test_text_edges_cover_empty_whitespace_and_non_ascii() -> None:
    spec = parser.parse(
        {
            "name": "slug",
            "description": "Slug.",
            "input_params": [{"name": "text", "type": "str"}],
            "output_type": "str",
            "examples": [{"input": {"text": "Hi"}, "output": "hi"}],
        }
    )
    texts = {probe.input["text"] for probe in probe_plan(spec, 60, 0).probes}
    assert {"", " ", "\t", "Héllo Wörld ß", "日本語のテキスト"} <= texts


def test_the_same_seed_draws_the_same_probes_in_another_process() -> None:
    code = (
        "import json; from tests.evidence.test_probes import CLAMP; from toolfoundry.evidence.probes import probe_plan;"
        "print(json.dumps([p.input for p in probe_plan(CLAMP, 100, 7).probes]))"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(other.stdout) == inputs(probe_plan(CLAMP, 100, 7))
    assert inputs(probe_plan(CLAMP, 100, 8)) != inputs(probe_plan(CLAMP, 100, 7))


def test_drawn_values_fit_the_declared_types() -> None:
    spec = parser.parse(
        {
            "name": "f",
            "description": "F.",
            "input_params": [
                {"name": "pairs", "type": "list[tuple[int, str]]"},
                {"name": "mode", "type": "Literal['a', 'b']"},
                {"name": "scale", "type": "float | None"},
                {"name": "tags", "type": "dict[str, bool]"},
            ],
            "examples": [{"input": {"pairs": [], "mode": "a", "scale": None, "tags": {}}, "output": 0}],
        }
    )
    for probe in probe_plan(spec, 80, 0).probes:
        item = probe.input
        assert all(isinstance(n, int) and isinstance(s, str) for n, s in item["pairs"])
        assert item["mode"] in {"a", "b"} and (item["scale"] is None or isinstance(item["scale"], float | int))
        assert all(isinstance(key, str) and isinstance(value, bool) for key, value in item["tags"].items())


def test_types_without_a_strategy_keep_their_example_values_and_the_plan_says_so() -> None:
    spec = parser.parse(
        {
            "name": "apply",
            "description": "Apply.",
            "input_params": [
                {"name": "callback", "type": "Callable"},
                {"name": "value", "type": "Any"},
                {"name": "n", "type": "int"},
            ],
            "examples": [{"input": {"callback": None, "value": 3, "n": 1}, "output": 3}],
        }
    )
    plan = probe_plan(spec, 40, 0)
    assert len(plan.notes) == 1 and "`callback` (Callable has no strategy)" in plan.notes[0]
    assert all(probe.input["callback"] is None for probe in plan.probes)
    assert {probe.input["value"] for probe in plan.probes} == {3}  # Any: drawn from the examples' values


def test_paths_and_urls_of_a_tool_that_may_reach_them_are_not_probed() -> None:
    spec = parser.parse(
        {
            "name": "count_lines",
            "description": "Count lines in a file.",
            "input_params": [{"name": "path", "type": "str"}, {"name": "skip_blank", "type": "bool"}],
            "output_type": "int",
            "permissions": {"filesystem": "read"},
            "examples": [{"input": {"path": "a.txt", "skip_blank": True}, "output": 1, "files": {"a.txt": "x\n"}}],
        }
    )
    plan = probe_plan(spec, 40, 0)
    assert {probe.input["path"] for probe in plan.probes} == {"a.txt"}
    assert all(probe.files == {"a.txt": "x\n"} for probe in plan.probes)  # each keeps its example's files
    assert "`path` (names a file or URL)" in plan.notes[0]


def test_no_examples_or_no_probes_asked_for_give_an_empty_plan_that_says_why() -> None:
    bare = CLAMP.model_copy(update={"examples": []})
    assert probe_plan(bare, 100, 0).probes == [] and "no examples" in probe_plan(bare, 100, 0).notes[0]
    assert probe_plan(CLAMP, 0, 0).probes == [] and "turned off" in probe_plan(CLAMP, 0, 0).notes[0]


def test_type_trees_spell_what_the_harness_checks() -> None:
    assert type_tree("Optional[List[int]]") == ["union", [["list", ["int"]], ["none"]]]
    assert type_tree("tuple[int, ...]") == ["tuple*", ["int"]]
    assert type_tree(None) == ["any"]
