"""What goes into a reply, in process (the SDK's in-memory client, the opt-out's calls): a result JSON cannot
carry is that call's error, a whole float reaches an int parameter as an int, HTTP knows which Host headers
name it. The same over real transports is in test_hostile_clients.py."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.serve.tools import write_tool
from toolfoundry.serve import InProcessCalls, build_server, load_tool
from toolfoundry.serve.calls import argument_problem
from toolfoundry.serve.server import transport_security

KINDS = {
    "name": "kinds",
    "description": "The type name of each argument, containers' items included.",
    "output_type": "dict[str, str]",
    "input_params": [
        {"name": "n", "type": "int"},
        {"name": "ns", "type": "list[int]", "default": []},
        {"name": "table", "type": "dict[str, int]", "default": {}},
        {"name": "maybe", "type": "int | None", "default": None},
        {"name": "pair", "type": "tuple[int, str]", "default": [0, ""]},
        {"name": "ratio", "type": "float", "default": 0.5},
        {"name": "either", "type": "int | float", "default": 0},
        {"name": "choice", "type": "Literal[1, 2]", "default": 1},
    ],
}
KINDS_CODE = (
    "def kinds(n: int, ns: list[int] = [], table: dict[str, int] = {}, maybe: int | None = None,\n"
    "          pair: tuple[int, str] = (0, ''), ratio: float = 0.5, either: int | float = 0, choice: int = 1):\n"
    "    def name(value):\n        return type(value).__name__\n"
    "    return {'n': name(n), 'ns': ','.join(map(name, ns)), 'table': ','.join(map(name, table.values())),\n"
    "            'maybe': name(maybe), 'pair': name(pair[0]), 'ratio': name(ratio), 'either': name(either),\n"
    "            'choice': name(choice)}\n"
)


def _calls(tmp_path: Path, spec: dict[str, Any], code: str, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """The calls through the SDK's in-process client to a server whose calls run in this process."""
    from mcp import Client

    server = build_server([load_tool(write_tool(tmp_path, spec, code))], InProcessCalls(), 2)

    async def work() -> list[Any]:
        async with Client(server) as client:
            return [await client.call_tool(name, arguments) for name, arguments in calls]

    return asyncio.run(asyncio.wait_for(work(), 30))


def test_a_result_with_a_lone_surrogate_is_refused_naming_where_it_is(tmp_path) -> None:
    spec = {
        "name": "names",
        "description": "File names, as os.listdir gives those that are not UTF-8.",
        "output_type": "list[str]",
        "input_params": [{"name": "bad", "type": "bool"}],
    }
    code = "def names(bad: bool) -> list[str]:\n    return ['a.txt', 'caf\\udce9.txt'] if bad else ['a.txt']\n"
    refused, fine = _calls(tmp_path, spec, code, [("names", {"bad": True}), ("names", {"bad": False})])
    assert refused.is_error and refused.structured_content is None
    text = refused.content[0].text
    assert "names returned text that is not valid Unicode at the result[1]" in text and "refused" in text
    assert not fine.is_error and fine.structured_content == {"result": ["a.txt"]}


def test_a_declared_exceptions_message_with_a_lone_surrogate_is_escaped(tmp_path) -> None:
    spec = {
        "name": "opener",
        "description": "Open a file; raise ValueError naming it when it is missing.",
        "output_type": "str",
    }
    code = "def opener() -> str:\n    raise ValueError('no such file: caf\\udce9.txt')\n"
    (result,) = _calls(tmp_path, spec, code, [("opener", {})])
    assert result.is_error and result.content[0].text == "ValueError: no such file: caf\\udce9.txt"
    result.model_dump_json()  # what the transports write: it must encode


def test_a_whole_float_reaches_an_int_parameter_as_an_int_and_a_float_parameter_as_it_came(tmp_path) -> None:
    arguments = {
        "n": 1.0,
        "ns": [2.0, 3],
        "table": {"a": 4.0},
        "maybe": 5.0,
        "pair": [6.0, "x"],
        "ratio": 7.0,
        "either": 8.0,
        "choice": 2.0,
    }
    (result,) = _calls(tmp_path, KINDS, KINDS_CODE, [("kinds", arguments)])
    assert not result.is_error, result.content[0].text
    assert result.structured_content["result"] == {
        "n": "int",
        "ns": "int,int",
        "table": "int",
        "maybe": "int",
        "pair": "int",
        "ratio": "float",  # the type says float: it stays one
        "either": "float",  # int | float takes a float as it is
        "choice": "int",
    }


def test_the_in_process_opt_out_converts_too_and_a_fraction_is_still_refused(tmp_path) -> None:
    tool = load_tool(write_tool(tmp_path, KINDS, KINDS_CODE))
    outcome = InProcessCalls().call(tool, {"n": 3.0, "ns": [1.0]})
    assert outcome.error is None and (outcome.value["n"], outcome.value["ns"]) == ("int", "int")
    assert argument_problem(tool, {"n": 1.5}) == "invalid arguments for kinds: n: 1.5 is not of type 'integer'"
    assert InProcessCalls().call(tool, {"n": 1.5}).error == argument_problem(tool, {"n": 1.5})


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.2", ["127.0.0.2:8123", "127.0.0.1:8123", "localhost:8123", "[::1]:8123"]),
        ("::1", ["[::1]:8123", "127.0.0.1:8123", "localhost:8123"]),
        ("localhost", ["localhost:8123", "127.0.0.1:8123", "[::1]:8123"]),
    ],
)
def test_http_answers_the_bound_address_and_localhosts_names_at_its_port_only(host, expected) -> None:
    settings = transport_security(host, 8123, ["tools.localhost:9000"])
    assert settings.enable_dns_rebinding_protection
    assert sorted(settings.allowed_hosts) == sorted([*expected, "tools.localhost:9000"])
    assert f"http://{expected[0]}" in settings.allowed_origins and "https://tools.localhost:9000" in (
        settings.allowed_origins
    )
    assert not any(value.endswith(":*") for value in settings.allowed_hosts + settings.allowed_origins)


def test_an_allowed_host_that_is_no_host_header_is_refused_before_anything_starts(tmp_path) -> None:
    from typer.testing import CliRunner

    from toolfoundry.cli import app

    write_tool(tmp_path, KINDS, KINDS_CODE)
    result = CliRunner().invoke(app, ["serve", str(tmp_path), "--http", "--allowed-host", "http://tools.localhost/"])
    assert result.exit_code == 2 and "--allowed-host takes a Host header's value" in result.stderr
