"""Each output target loaded by the real framework it is for, not checked by string matching."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tests.helpers import requires_sandbox, scripted_model
from toolfoundry.cli import app
from toolfoundry.library import builtin_library
from toolfoundry.spec import ToolSpecificationParser

pytestmark = requires_sandbox
runner = CliRunner()
LIBRARY = {tool.spec.name: tool for tool in builtin_library()}
NAMES = ["word_frequencies", "truncate_words"]  # an optional int, an optional str, list and str outputs


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    """Two verified tools written with every target."""
    folder = tmp_path_factory.mktemp("targets")
    specs = folder / "specs.yaml"
    specs.write_text(yaml.safe_dump([LIBRARY[name].spec.model_dump(mode="json") for name in NAMES]))
    # Replies by tool: the two specs run at once, so the order of their calls is not fixed.
    model = scripted_model(folder / "replies.yaml", {name: [f"```python\n{LIBRARY[name].code}```"] for name in NAMES})
    arguments = ["generate", str(specs), "-o", str(folder / "tools"), "--model", model, "--no-cache"]
    for target in ("mcp", "openai-schema", "anthropic-schema", "langchain", "smolagents", "pytest"):
        arguments += ["--target", target]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    return folder / "tools"


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_python_file_is_ruff_formatted_and_clean(out) -> None:
    files = sorted(str(path) for path in out.glob("*.py"))
    assert len(files) == 2 + 1 + 3 * 2  # modules, one MCP server, langchain + smolagents + pytest per tool
    wrappers = [file for file in files if not file.endswith(("word_frequencies.py", "truncate_words.py"))]
    ruff = [sys.executable, "-m", "ruff"]
    assert subprocess.run([*ruff, "format", "--isolated", "--line-length", "120", "--check", *files]).returncode == 0
    assert subprocess.run([*ruff, "check", "--isolated", "--line-length", "120", *wrappers]).returncode == 0


def test_the_mcp_server_lists_and_calls_every_tool_with_the_official_client(out) -> None:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    async def session_run():
        parameters = StdioServerParameters(command=sys.executable, args=[str(out / "mcp_server.py")])
        async with stdio_client(parameters) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            listed = await session.list_tools()
            called = await session.call_tool("word_frequencies", {"text": "b a b", "top": 1})
            defaulted = await session.call_tool("truncate_words", {"text": "one two three", "max_words": 2})
            return listed, called, defaulted

    listed, called, defaulted = asyncio.run(asyncio.wait_for(session_run(), 60))
    tools = {tool.name: tool for tool in listed.tools}
    assert set(tools) == set(NAMES)
    schema = tools["word_frequencies"].input_schema
    assert schema["required"] == ["text"]
    assert schema["properties"]["top"]["default"] == 3 and schema["properties"]["top"]["type"] == "integer"
    assert schema["properties"]["text"]["description"] == "the text to count words in"
    assert tools["word_frequencies"].output_schema is not None
    assert called.structured_content == {"result": [["b", 2]]} and not called.is_error
    assert defaulted.structured_content == {"result": "one two..."}


def _check_strict(schema: dict, where: str) -> None:
    """OpenAI's documented strict-mode rules, applied to every object in the schema."""
    assert "default" not in schema, where
    if schema.get("type") == "object" or "properties" in schema:
        assert schema.get("additionalProperties") is False, where
        assert sorted(schema.get("required", [])) == sorted(schema.get("properties", {})), where
        for name, child in schema.get("properties", {}).items():
            _check_strict(child, f"{where}.{name}")
    if "items" in schema:
        _check_strict(schema["items"], f"{where}[]")
    for option in schema.get("anyOf", []):
        _check_strict(option, where)


@pytest.mark.parametrize("name", NAMES)
def test_openai_schema_is_strict_and_round_trips_to_an_equal_spec(out, name) -> None:
    tool = json.loads((out / f"{name}.openai.json").read_text())
    assert tool["type"] == "function" and tool["function"]["strict"] is True
    _check_strict(tool["function"]["parameters"], "parameters")
    optional = [param.name for param in LIBRARY[name].spec.input_params if not param.required]
    for param in optional:
        assert "null" in tool["function"]["parameters"]["properties"][param]["type"]
    parsed = ToolSpecificationParser().parse(tool)
    original = LIBRARY[name].spec
    assert (parsed.name, parsed.description, parsed.input_params) == (
        original.name,
        original.description,
        original.input_params,
    )


@pytest.mark.parametrize("name", NAMES)
def test_anthropic_schema_round_trips_too(out, name) -> None:
    tool = json.loads((out / f"{name}.anthropic.json").read_text())
    assert set(tool) == {"name", "description", "input_schema"}
    parsed = ToolSpecificationParser().parse(tool)
    assert parsed.input_params == LIBRARY[name].spec.input_params


def test_langchain_structured_tool_invokes(out) -> None:
    tool = load(out / "word_frequencies_langchain.py").word_frequencies_tool
    assert tool.name == "word_frequencies"
    assert tool.args["top"]["default"] == 3 and "text" in tool.args
    assert tool.invoke({"text": "x y x"}) == [("x", 2), ("y", 1)]


def test_smolagents_tool_validates_and_runs(out) -> None:
    module = load(out / "truncate_words_smolagents.py")
    tool = module.TruncateWordsTool()  # smolagents checks inputs against forward() here
    assert tool.inputs["ellipsis"]["nullable"] is True and tool.output_type == "string"
    assert tool(text="a b c", max_words=1) == "a..."


def test_the_pytest_file_passes_against_the_module_and_catches_a_broken_one(out, tmp_path) -> None:
    passed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(out / "test_word_frequencies.py")],
        capture_output=True,
        text=True,
        cwd=out,
    )
    assert passed.returncode == 0 and "3 passed" in passed.stdout
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "word_frequencies.py").write_text("def word_frequencies(text, top=3):\n    return []\n")
    (broken / "test_word_frequencies.py").write_text((out / "test_word_frequencies.py").read_text())
    failed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(broken / "test_word_frequencies.py")],
        capture_output=True,
        text=True,
        cwd=broken,
    )
    assert failed.returncode == 1 and "2 failed" in failed.stdout


def test_an_unknown_target_lists_the_known_ones(write, tmp_path) -> None:
    spec = write("s.yaml", yaml.safe_dump(LIBRARY["slugify"].spec.model_dump(mode="json")))
    result = runner.invoke(app, ["generate", str(spec), "-o", str(tmp_path / "o"), "--target", "crewai"])
    assert result.exit_code == 2 and "unknown target 'crewai'; known targets: module, mcp" in result.stderr
    assert not (tmp_path / "o").exists()


def test_a_type_a_target_cannot_express_names_the_param_and_target(write, tmp_path) -> None:
    spec = write(
        "s.yaml",
        "name: apply\ndescription: Apply a function.\n"
        "input_params: [{name: fn, type: 'Callable[[int], int]'}, {name: x, type: int}]\n",
    )
    result = runner.invoke(app, ["generate", str(spec), "-o", str(tmp_path / "o"), "--target", "mcp"])
    assert result.exit_code == 2
    assert "target 'mcp' cannot express parameter `fn: Callable[[int], int]`" in " ".join(result.stderr.split())
    assert not (tmp_path / "o").exists()
