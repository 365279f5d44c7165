"""Approval before serving what can do harm: a tool that writes files or reaches the network is served only
once a person approved that exact code and spec (`toolfoundry review --approve`, recorded beside the module);
an edit or a regenerated module needs approval again, with the diff shown; `--allow-unapproved` is the named,
warned opt-out; pure and read-only tools need none."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import cli
from tests.serve.tools import write_tool
from toolfoundry.cli import app
from toolfoundry.library import ToolLibrary, default_library_path
from toolfoundry.serve.approval import record_decision
from toolfoundry.spec import ToolSpecificationParser

SAVER = {
    "name": "saver",
    "description": "Save a note.",
    "output_type": "int",
    "input_params": [{"name": "text", "type": "str"}],
    "permissions": {"filesystem": "write"},
}
SAVER_CODE = """
def saver(text: str) -> int:
    with open("note.txt", "w", encoding="utf-8") as stream:
        return stream.write(text)
"""
ADD = {
    "name": "add",
    "description": "Add.",
    "output_type": "int",
    "input_params": [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}],
}


def review(folder: Path, answers: str, *options: str):
    return CliRunner().invoke(app, ["review", str(folder), "--approve", *options], input=answers)


def test_an_unapproved_write_tool_is_not_served_and_the_line_says_how_to_approve(tmp_path: Path) -> None:
    write_tool(tmp_path, SAVER, SAVER_CODE, approved=False)
    result = cli("serve", tmp_path, "--unsandboxed")
    assert result.exit_code == 2
    assert "not serving saver writes files, and this code and spec are not approved (never approved)" in result.output
    assert f"toolfoundry review --approve {tmp_path} --tool saver" in result.output
    assert "nothing to serve" in result.output


def test_review_shows_code_permissions_and_evidence_and_records_each_decision(tmp_path: Path) -> None:
    path = write_tool(tmp_path, SAVER, SAVER_CODE, approved=False)
    write_tool(tmp_path, ADD, "def add(a: int, b: int) -> int:\n    return a + b\n")
    refused = review(tmp_path, "n\n")
    assert refused.exit_code == 0 and "saver: it writes files" in refused.output
    assert 'open("note.txt", "w"' in refused.output and '"filesystem":"write"' in refused.output
    assert "no report beside the module" in refused.output and "saver: refused" in refused.output
    assert "add: pure computation or read-only: no approval needed" in refused.output
    assert "refused by" in cli("serve", tmp_path, "--unsandboxed", "--tool", "saver").output

    approved = review(tmp_path, "y\n")
    assert "saver: approved" in approved.output
    record = json.loads((tmp_path / "saver.approval.json").read_text())
    assert [entry["decision"] for entry in record["decisions"]] == ["refused", "approved"]
    assert record["decisions"][-1]["code"] == path.read_text()
    assert "nothing waits for approval" in review(tmp_path, "").output


def test_an_edited_module_needs_approval_again_and_review_shows_the_diff(tmp_path: Path) -> None:
    path = write_tool(tmp_path, SAVER, SAVER_CODE)
    path.write_text(path.read_text().replace('"note.txt"', '"../escape.txt"'))
    result = cli("serve", tmp_path, "--unsandboxed")
    assert result.exit_code == 2 and "its code or spec changed since it was approved" in result.output
    shown = review(tmp_path, "n\n").output
    assert '-    with open("note.txt"' in shown and '+    with open("../escape.txt"' in shown


def test_allow_unapproved_is_named_and_warned(tmp_path: Path) -> None:
    write_tool(tmp_path, {**SAVER, "permissions": {"network": ["api.example.org:443"]}}, SAVER_CODE, approved=False)
    result = cli("serve", tmp_path, "--unsandboxed", "--allow-unapproved")  # stdio: ends at its empty input
    assert "warning: serving saver reaches api.example.org:443, and this code and spec are not approved" in (
        result.output
    )


def test_approving_and_answering_questions_are_separate_reviews(tmp_path: Path) -> None:
    write_tool(tmp_path, ADD, "def add(a: int, b: int) -> int:\n    return a + b\n")
    result = cli("review", tmp_path, "--approve", "--oracle", "m:f")
    assert result.exit_code == 2 and "review of their own" in result.output
    result = cli("review", tmp_path)  # a folder made by hand: no run recorded which spec files to edit
    assert result.exit_code == 2 and "give --specs" in result.output


@pytest.mark.slow
def test_after_approval_the_official_client_can_call_it(tmp_path: Path) -> None:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    folder = tmp_path / "tools"
    folder.mkdir()
    write_tool(folder, SAVER, SAVER_CODE, approved=False)
    assert review(folder, "y\n").exit_code == 0

    async def work() -> list[str]:
        parameters = StdioServerParameters(
            command=sys.executable, args=["-m", "toolfoundry", "serve", str(folder)], env={**os.environ}
        )
        async with stdio_client(parameters) as streams, ClientSession(*streams) as session:
            await session.initialize()
            answer = await session.call_tool("saver", {"text": "hello"})
            assert not answer.is_error, answer
            return [tool.name for tool in (await session.list_tools()).tools]

    assert asyncio.run(asyncio.wait_for(work(), 60)) == ["saver"]


def test_hidden_characters_are_shown_as_escapes_and_warned(tmp_path: Path) -> None:
    sneaky = SAVER_CODE.replace("return stream.write(text)", "return stream.write(text)  # \x1b[1A\x1b[2K\u202e")
    write_tool(tmp_path, SAVER, sneaky, approved=False)
    shown = review(tmp_path, "n\n").output
    assert "\x1b" not in shown and "\\u001b[1A" in shown and "\\u202e" in shown
    assert "the code holds 3 invisible or control characters" in shown


def test_approvals_do_not_count_where_a_tool_may_write_the_tools_folder(tmp_path: Path) -> None:
    write_tool(tmp_path, SAVER, SAVER_CODE)
    result = cli("serve", tmp_path, "--unsandboxed", "--unsafe-writable-tools")
    assert result.exit_code == 2 and "approvals do not count with --unsafe-writable-tools" in result.output


def test_a_decision_is_kept_in_the_library_too_and_holds_wherever_that_code_goes(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    path = write_tool(first, SAVER, SAVER_CODE, approved=False)
    assert review(first, "y\n").exit_code == 0  # recorded beside the module and in the (test's own) library
    copied = second / path.name
    copied.write_text(path.read_text())
    assert not (second / "saver.approval.json").exists()
    served = cli("serve", second, "--unsandboxed")  # stdio: ends at its empty input
    assert "not serving saver" not in served.output, served.output

    # Not kept in the library (--no-library): a copy elsewhere is unapproved; so is an edited copy.
    third, fourth = tmp_path / "third", tmp_path / "fourth"
    third.mkdir(), fourth.mkdir()
    other = write_tool(third, {**SAVER, "description": "Save a note, elsewhere."}, SAVER_CODE, approved=False)
    assert review(third, "y\n", "--no-library").exit_code == 0
    (fourth / other.name).write_text(other.read_text())
    assert "not serving saver" in cli("serve", fourth, "--unsandboxed").output
    copied.write_text(copied.read_text().replace('"note.txt"', '"other.txt"'))
    assert "(never approved)" in cli("serve", second, "--unsandboxed").output


def test_the_latest_decision_wins_wherever_it_was_made(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    path = write_tool(first, SAVER, SAVER_CODE, approved=False)
    assert review(first, "y\n").exit_code == 0
    copy = second / path.name
    copy.write_text(path.read_text())
    assert "saver: approved (this code and spec)" in review(second, "").output  # the library's approval holds
    spec = ToolSpecificationParser().parse(SAVER)
    code = copy.read_text()
    record_decision(copy, code, spec, approve=False, library=ToolLibrary(default_library_path()))  # later
    served = cli("serve", first, "--unsandboxed")
    assert "refused by" in served.output and "(the library's record)" in served.output, served.output


def test_a_library_that_cannot_be_used_approves_nothing_and_ends_nothing(tmp_path: Path, monkeypatch) -> None:
    library = tmp_path / "broken.sqlite3"
    library.write_bytes(b"not a database at all" * 100)
    monkeypatch.setenv("TOOLFOUNDRY_LIBRARY", str(library))
    (tmp_path / "tools").mkdir()
    write_tool(tmp_path / "tools", SAVER, SAVER_CODE)  # approved beside the module
    served = cli("serve", tmp_path / "tools", "--unsandboxed")  # stdio: ends at its empty input
    assert "its approvals do not count" in served.output and "not serving saver" not in served.output
    assert "Traceback" not in served.output


def test_no_tool_may_write_where_the_library_keeps_approvals(tmp_path: Path, monkeypatch) -> None:
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    monkeypatch.setenv("TOOLFOUNDRY_LIBRARY", str(home / "data" / "library.sqlite3"))
    writer = {**SAVER, "permissions": {"filesystem": "write", "paths": [str(home)]}}
    (tmp_path / "tools").mkdir()
    write_tool(tmp_path / "tools", writer, SAVER_CODE)
    served = cli("serve", tmp_path / "tools", "--unsandboxed")
    assert served.exit_code == 2 and "the tool library's folder" in served.output, served.output
