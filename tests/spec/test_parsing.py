import json

import pytest

from toolfoundry.errors import SpecError
from toolfoundry.spec import ToolSpecificationParser, ToolType
from toolfoundry.spec.schema import json_schema_to_type

parser = ToolSpecificationParser()

NATIVE_YAML = """
name: word_count
description: Count words.
tool_type: text_processing
input_params:
  - {name: text, type: str, description: the text}
  - {name: minimum, type: "int | None", default: null}
output_format: number of words
output_type: int
constraints: [Words are split on whitespace.]
examples:
  - {input: {text: "a b"}, output: 2}
  - {input: {text: 3}, raises: TypeError}
dependencies: [numpy]
permissions: {network: ["127.0.0.1:8080"], filesystem: read}
"""


def test_native_yaml_is_read_in_full() -> None:
    spec = parser.parse(NATIVE_YAML)
    assert spec.name == "word_count"
    assert [param.name for param in spec.input_params] == ["text", "minimum"]
    assert spec.input_params[1].required is False and spec.input_params[1].default is None
    assert spec.output_type == "int"
    assert spec.examples[0].expects_output and spec.examples[0].output == 2
    assert spec.examples[1].raises == "TypeError" and not spec.examples[1].expects_output
    assert spec.tool_type is ToolType.TEXT_PROCESSING
    assert spec.dependencies == ["numpy"]
    assert spec.permissions.network == ["127.0.0.1:8080"] and spec.permissions.filesystem == "read"
    assert spec.signature() == "def word_count(text: str, minimum: int | None = None) -> int:"


def test_json_file_reads_like_yaml(write) -> None:
    path = write("spec.json", json.dumps({"name": "f", "description": "d", "input_params": []}))
    assert parser.parse_file(path)[0].name == "f"


def test_an_expected_output_of_null_is_kept_apart_from_no_output() -> None:
    spec = parser.parse({"name": "f", "description": "d", "examples": [{"input": {}, "output": None}]})
    assert spec.examples[0].expects_output and spec.examples[0].output is None


OPENAI_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "unit": {"type": "string", "enum": ["c", "f"], "default": "c"},
                "city": {"type": "string", "description": "city name"},
                "days": {"type": "integer"},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["city"],
        },
    },
}


def test_openai_function_tools_map_json_schema_to_python_types() -> None:
    spec = parser.parse(OPENAI_TOOL)
    params = {param.name: param for param in spec.input_params}
    assert spec.input_params[0].name == "city"  # required parameters come first
    assert params["city"].type == "str" and params["city"].required
    assert params["unit"].type == "Literal['c', 'f']" and params["unit"].default == "c"
    assert params["days"].type == "int | None" and params["days"].default is None
    assert params["tags"].type == "list[str] | None"


def test_flat_openai_tools_and_tool_lists_are_read() -> None:
    flat = {"type": "function", "name": "ping", "description": "Ping.", "parameters": {"type": "object"}}
    specs = parser.parse_many([flat, OPENAI_TOOL])
    assert [spec.name for spec in specs] == ["ping", "get_weather"]


def test_mcp_tool_definitions_with_output_schema() -> None:
    mcp = {
        "name": "add",
        "description": "Add numbers.",
        "inputSchema": {
            "type": "object",
            "properties": {"a": {"type": "number"}, "b": {"type": ["number", "null"]}},
            "required": ["a", "b"],
        },
        "outputSchema": {"type": "object", "additionalProperties": {"type": "number"}},
        "examples": [{"input": {"a": 1, "b": 2}, "output": {"sum": 3}}],
    }
    spec = parser.parse(mcp)
    assert [param.type for param in spec.input_params] == ["float", "float | None"]
    assert spec.output_type == "dict[str, float]"
    assert spec.examples[0].output == {"sum": 3}


@pytest.mark.parametrize(
    ("schema", "python"),
    [
        ({}, "Any"),
        ({"type": "boolean"}, "bool"),
        ({"type": "array"}, "list[Any]"),
        ({"type": "object"}, "dict[str, Any]"),
        ({"anyOf": [{"type": "integer"}, {"type": "null"}]}, "int | None"),
        ({"type": "array", "items": {"type": "array", "items": {"type": "number"}}}, "list[list[float]]"),
    ],
)
def test_json_schema_types(schema: dict, python: str) -> None:
    assert json_schema_to_type(schema) == python


def problems_of(raw, source: str = "<spec>") -> list[str]:
    with pytest.raises(SpecError) as caught:
        parser.parse_many(raw, source)
    return [str(problem) for problem in caught.value.problems]


def test_empty_file_is_refused_clearly(write) -> None:
    with pytest.raises(SpecError, match="is empty"):
        parser.parse_file(write("empty.yaml", "  \n"))


def test_yaml_that_is_not_a_mapping() -> None:
    assert problems_of("- just\n- a list of strings\n") == [
        "[0]: must be a mapping with name, description, ...; got str",
        "[1]: must be a mapping with name, description, ...; got str",
    ]


def test_invalid_yaml_says_where() -> None:
    (problem,) = problems_of("name: [unclosed\n")
    assert problem.startswith("line ") and "not valid YAML" in problem


def test_every_problem_is_listed_with_its_field_path() -> None:
    problems = problems_of(
        {
            "name": "2bad",
            "description": "",
            "input_params": [{"name": "x", "type": "Foo"}, {"name": "class", "type": "int"}],
            "examples": [{"input": {"x": 1}}],
            "colour": "red",
        }
    )
    text = "\n".join(problems)
    assert "name: Value error" not in text  # pydantic's prefix is stripped
    assert any(problem.startswith("name:") and "not a Python identifier" in problem for problem in problems)
    assert any(problem.startswith("description:") for problem in problems)
    assert any(problem.startswith("input_params[0].type:") and "unknown type 'Foo'" in problem for problem in problems)
    assert any(problem.startswith("input_params[1].name:") and "keyword" in problem for problem in problems)
    assert any(problem.startswith("examples[0]:") and "needs `output`" in problem for problem in problems)
    assert "colour: is not a known field" in problems


def test_example_keys_must_match_the_params() -> None:
    problems = problems_of(
        {
            "name": "f",
            "description": "d",
            "input_params": [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}],
            "examples": [{"input": {"a": 1, "c": 2}, "output": 3}],
        }
    )
    assert "examples[0].input: unknown parameters ['c']; the params are ['a', 'b']" in problems
    assert "examples[0].input: missing required parameters ['b']" in problems


def test_error_message_names_the_file(write) -> None:
    path = write("bad.yaml", "name: x\n")
    with pytest.raises(SpecError) as caught:
        parser.parse_file(path)
    message = str(caught.value)
    assert str(path) in message and "description: is required" in message


def test_a_default_of_null_needs_an_optional_type() -> None:
    (problem,) = problems_of(
        {"name": "f", "description": "d", "input_params": [{"name": "a", "default": None, "type": "int"}]}
    )
    assert "does not admit None" in problem


def test_example_files_must_stay_inside_the_working_directory() -> None:
    (problem,) = problems_of(
        {
            "name": "f",
            "description": "d",
            "input_params": [{"name": "p", "type": "str"}],
            "examples": [{"input": {"p": "x"}, "output": 1, "files": {"../../etc/x": "y"}}],
        }
    )
    assert "must be relative" in problem
