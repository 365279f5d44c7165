"""Specs are hostile input too: generated documents and mutations of valid specs, through the parser and through
`toolfoundry generate`. Every one ends in exit 0, 1 or 2; exit 2 says where each problem is and writes nothing."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import cli, scripted_model
from toolfoundry.errors import SpecError
from toolfoundry.spec import ToolSpecificationParser

ROOT = Path(__file__).parent.parent.parent
VALID = [
    yaml.safe_load(path.read_text())
    for path in sorted((ROOT / "examples" / "specs").glob("*.yaml"))
    + sorted((ROOT / "benchmarks" / "specs").glob("*.yaml"))
][:20]
FIELDS = ["name", "description", "input_params", "output_type", "examples", "permissions", "constraints", "type"]
# A problem line of a SpecError: "  - <where>: <what>", where is a field path, a line and column, or (whole file).
PROBLEM = re.compile(r"^  - (?P<where>\S.*?): (?P<what>\S.*)$")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=20,
)


@st.composite
def mutated_specs(draw: st.DrawFn) -> Any:
    """A valid spec with one part broken: a key dropped, renamed or added, or a value anywhere replaced."""
    spec = json.loads(json.dumps(draw(st.sampled_from(VALID))))
    kind = draw(st.sampled_from(["drop", "rename", "add", "replace", "replace-deep"]))
    key = draw(st.sampled_from(sorted(spec)))
    if kind == "drop":
        del spec[key]
    elif kind == "rename":
        spec[draw(st.text(min_size=1, max_size=10))] = spec.pop(key)
    elif kind == "add":
        spec[draw(st.sampled_from(FIELDS) | st.text(max_size=10))] = draw(json_values)
    elif kind == "replace":
        spec[key] = draw(json_values)
    else:
        value = spec[key]
        while isinstance(value, list | dict) and value:
            inner = draw(st.sampled_from(range(len(value)) if isinstance(value, list) else sorted(value)))
            if not isinstance(value[inner], list | dict) or draw(st.booleans()):
                value[inner] = draw(json_values)
                break
            value = value[inner]
    return spec


documents = st.one_of(
    mutated_specs().map(lambda spec: yaml.safe_dump(spec, allow_unicode=True)),
    mutated_specs().map(json.dumps),
    json_values.map(json.dumps),
    json_values.map(lambda value: yaml.safe_dump(value, allow_unicode=True)),
    st.text(max_size=200),
    st.lists(mutated_specs(), min_size=1, max_size=3).map(yaml.safe_dump),
)


def assert_says_where(message: str) -> None:
    problems = [line for line in message.splitlines() if line.startswith("  - ")]
    assert problems, message
    for line in problems:
        assert PROBLEM.match(line), f"no field path in {line!r}"


@settings(max_examples=300, deadline=None)
@given(documents)
def test_the_parser_accepts_a_spec_or_says_where_every_problem_is(text: str) -> None:
    try:
        specs = ToolSpecificationParser().parse_many(text, "fuzz.yaml")
    except SpecError as error:
        assert_says_where(str(error))
    else:
        assert specs and all(spec.name.isidentifier() for spec in specs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_generate_ends_in_0_1_or_2_and_writes_nothing_on_2(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        spec_file = Path(folder) / "spec.yaml"
        spec_file.write_text(text, encoding="utf-8")
        out = Path(folder) / "out"
        # A model that writes no code: valid specs end as stubs (exit 1) without running anything.
        model = scripted_model(Path(folder) / "replies.yaml", ["no code here"])
        result = cli("generate", spec_file, "-o", out, "--model", model, "--rounds", 1, "--samples", 1, "--no-library")
        assert result.exit_code in {0, 1, 2}, result.output
        assert "Traceback" not in result.output
        if result.exit_code == 2:
            assert "error:" in result.stderr
            if "invalid tool specification" in result.stderr:
                assert_says_where(result.stderr)
            assert not out.exists() or not any(out.iterdir())
        else:
            assert (out / "report.json").is_file()


ALIAS_BOMB = "a: &a [" + ",".join(["x"] * 9) + "]\n"  # each level 9 uses of the one before: 9^9 values
for _previous, _name in zip("abcdefgh", "bcdefghi", strict=True):
    ALIAS_BOMB += f"{_name}: &{_name} [" + ",".join([f"*{_previous}"] * 9) + "]\n"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[" * 5000 + "]" * 5000, "nests deeper than 40 levels"),
        ("name: f\ndescription: d\nexamples:\n- input: " + "{a: " * 100 + "1" + "}" * 100, "nests deeper than"),
        (ALIAS_BOMB, "holds more than 200,000 values"),
        ("name: f\ndescription: d\ninput_params: [{name: a, type: '" + "list[" * 50 + "int" + "]" * 50 + "'}]", "over"),
        ('name: f\ndescription: d\ninput_params: [{name: a, type: "int\\0"}]', "input_params[0].type"),
        ("name: f\ndescription: d\n'a\\rb': 1", "['a\\\\rb']: is not a known field"),
    ],
    ids=["nested brackets", "nested example", "alias bomb", "nested type", "NUL in a type", "control key"],
)
def test_hostile_spec_files_are_refused_with_where_and_why(text: str, said: str) -> None:
    with pytest.raises(SpecError) as caught:
        ToolSpecificationParser().parse_many(text, "hostile.yaml")
    assert said in str(caught.value)
    assert_says_where(str(caught.value))


def test_escaped_surrogate_pairs_are_joined_and_a_lone_half_is_refused_where_it_is() -> None:
    # Found by the fuzzer: YAML keeps "\ud83d\ude00" as two halves, which no file, hash or report can hold.
    pair = 'name: smile\ndescription: "A face \\ud83d\\ude00"\n'
    assert ToolSpecificationParser().parse(pair).description == "A face \U0001f600"
    lone = 'name: f\ndescription: d\nexamples:\n  - input: {}\n    output: {"\\ud800": 1}\n'
    with pytest.raises(SpecError) as raised:
        ToolSpecificationParser().parse(lone)
    assert "examples[0].output: holds a lone surrogate '\\ud800'" in str(raised.value)
