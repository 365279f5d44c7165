"""Files after the call are evidence: an example's `files_after` is compared with the working folder (a short
diff when it differs), a tool that may not write must leave its folder as it found it, bytes work as well as
text, and the probes give each of their two calls a fresh copy of the folder."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import yaml

from tests.helpers import cli, requires_sandbox
from toolfoundry.checks.folder_after import folder_problem
from toolfoundry.errors import SpecError
from toolfoundry.spec import Example, ToolSpecificationParser

APPEND = {
    "name": "append_line",
    "description": "Append a line to a text file (creating it if needed) and return how many lines it then holds.",
    "permissions": {"filesystem": "write"},
    "input_params": [{"name": "path", "type": "str"}, {"name": "line", "type": "str"}],
    "output_type": "int",
    "examples": [
        {
            "input": {"path": "log.txt", "line": "c"},
            "output": 3,
            "files": {"log.txt": "a\nb\n"},
            "files_after": {"log.txt": "a\nb\nc\n"},
        },
        {"input": {"path": "new.txt", "line": "first"}, "output": 1, "files_after": {"new.txt": "first\n"}},
    ],
}
# Counts the lines and adds one without writing: its return values are right, its folder is not.
NEVER_WRITES = """
from pathlib import Path


def append_line(path: str, line: str) -> int:
    '''The number of lines after appending.'''
    file = Path(path)
    return (len(file.read_text(encoding="utf-8").splitlines()) if file.exists() else 0) + 1
"""
APPENDS = """
from pathlib import Path


def append_line(path: str, line: str) -> int:
    '''Append a line; the number of lines after.'''
    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write(line + "\\n")
    return len(Path(path).read_text(encoding="utf-8").splitlines())
"""


def listing(**files: bytes) -> dict:
    return {path: {"base64": base64.b64encode(data).decode()} for path, data in files.items()}


def test_a_file_that_differs_is_shown_as_a_diff() -> None:
    example = Example(input={}, output=3, files={"log.txt": "a\nb\n"}, files_after={"log.txt": "a\nb\nc\n"})
    problem = folder_problem(example, listing(**{"log.txt": b"a\nb\n"}), may_write=True)
    assert problem.startswith("log.txt differs:") and "-c" in problem.splitlines()


def test_a_diff_shows_a_missing_final_newline_and_a_carriage_return() -> None:
    # Shown bare, these were `-{}` against `+{}`: lines that look the same, and a repair prompt saying nothing.
    example = Example(input={}, output=3, files_after={"out.json": "{}\n", "rows.csv": "a,b\r\n"})
    problem = folder_problem(example, listing(**{"out.json": b"{}", "rows.csv": b"a,b\n"}), may_write=True)
    assert problem.splitlines() == [
        "out.json differs:",
        "-{}",
        "+{} (no newline at the end)",
        "rows.csv differs:",
        "-a,b\\r",
        "+a,b",
    ]


def test_missing_files_files_that_should_be_gone_and_bytes_are_judged() -> None:
    expected = {"out.db": {"base64": base64.b64encode(b"\x00\x01").decode()}, "old.log": None}
    example = Example(input={}, output=None, files_after=expected)
    assert folder_problem(example, listing(**{"old.log": b"x"}), may_write=True).splitlines() == [
        "out.db should exist after the call, but it does not",
        "old.log should not exist after the call, but it does",
    ]
    assert folder_problem(example, listing(**{"out.db": b"\x00\x01"}), may_write=True) == ""
    assert "expected 2 bytes, found 1 other bytes" in folder_problem(
        example, listing(**{"out.db": b"\xff"}), may_write=True
    )


def test_a_tool_that_may_not_write_must_leave_its_folder_as_it_found_it() -> None:
    example = Example(input={}, output=1, files={"notes.txt": "keep"})
    assert folder_problem(example, listing(**{"notes.txt": b"keep"}), may_write=False) == ""
    changed = folder_problem(example, listing(**{"notes.txt": b"keep", "cache.tmp": b"x"}), may_write=False)
    assert changed == (
        "it changed its folder, which it may not write (permissions.filesystem): "
        "cache.tmp should not exist after the call, but it does"
    )
    assert "notes.txt differs" in folder_problem(example, listing(**{"notes.txt": b"lost"}), may_write=False)


@pytest.mark.parametrize(
    ("example", "said"),
    [
        ({"input": {}, "output": 1, "files_after": {"../escape.txt": "x"}}, "examples[0].files_after"),
        ({"input": {}, "output": 1, "files_after": {"/etc/passwd": None}}, "must be relative"),
        ({"input": {}, "output": 1, "files": {"a.bin": {"base64": "not base64!"}}}, "its base64 does not decode"),
        ({"input": {}, "output": 1, "files": {"a.bin": {"hex": "00"}}}, "examples[0].files"),
    ],
)
def test_bad_files_are_spec_errors_with_their_field_path(example: dict, said: str) -> None:
    spec = {"name": "f", "description": "F.", "permissions": {"filesystem": "write"}, "examples": [example]}
    with pytest.raises(SpecError) as caught:
        ToolSpecificationParser().parse(spec)
    assert said in str(caught.value)


def test_files_after_needs_declared_file_access() -> None:
    spec = {"name": "f", "description": "F.", "examples": [{"input": {}, "output": 1, "files_after": {"a": None}}]}
    with pytest.raises(SpecError, match=r"examples\[0\]\.files_after: the example expects files"):
        ToolSpecificationParser().parse(spec)


def test_a_spec_without_files_after_keeps_its_hash() -> None:
    """Caches, the library and --resume know a spec by its hash: the new field counts only when given."""
    written = {
        "name": "f",
        "description": "F.",
        "permissions": {"filesystem": "read"},
        "examples": [{"input": {}, "output": 1, "files": {"a": "b"}}],
    }
    spec = ToolSpecificationParser().parse(written)
    assert spec.spec_hash() == "63e129f18c925093"  # as before files_after existed
    given = {**written, "examples": [{**written["examples"][0], "files_after": {"a": "b"}}]}
    assert ToolSpecificationParser().parse(given).spec_hash() != spec.spec_hash()


def validate(tmp_path: Path, spec: dict, code: str) -> tuple[int, str, dict]:
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    (tmp_path / f"{spec['name']}.py").write_text(code)
    arguments = (tmp_path / f"{spec['name']}.py", "--spec", tmp_path / "spec.yaml")
    text = cli("validate", *arguments)
    report = json.loads(cli("validate", *arguments, "--json").output)
    return text.exit_code, text.output, report


@requires_sandbox
def test_a_file_tool_that_never_writes_is_unverified_with_a_diff(tmp_path: Path) -> None:
    code, output, report = validate(tmp_path, APPEND, NEVER_WRITES)
    assert code == 1 and report["status"] == "unverified"
    assert "the folder after it: log.txt differs:" in output and "+c" not in output and "-c" in output
    assert "new.txt should exist after the call, but it does not" in output


@requires_sandbox
def test_a_file_tool_that_writes_is_verified_and_its_probes_start_from_equal_folders(tmp_path: Path) -> None:
    """Each probe calls the tool twice; both calls get a fresh copy of the folder, so appending twice is not
    taken for two different results."""
    code, output, report = validate(tmp_path, APPEND, APPENDS)
    assert code == 0 and report["status"] == "verified", output
    assert report["evidence"]["probes"]["ran"] > 0 and report["evidence"]["probes"]["failed"] == 0


@requires_sandbox
def test_a_read_tool_that_writes_into_its_folder_is_unverified(tmp_path: Path) -> None:
    spec = {
        "name": "first_line",
        "description": "The first line of a text file.",
        "permissions": {"filesystem": "read"},
        "input_params": [{"name": "path", "type": "str"}],
        "output_type": "str",
        "examples": [{"input": {"path": "a.txt"}, "output": "one", "files": {"a.txt": "one\ntwo\n"}}],
    }
    # It reads as it should, and leaves a cache file behind, which a read-only tool may not; written in a way
    # the static policy does not see, as code can always be.
    code = (
        "from pathlib import Path\n\n\ndef first_line(path: str) -> str:\n"
        '    """The first line."""\n'
        "    getattr(Path(path + '.cache'), 'write_' + 'text')('seen')\n"
        "    return Path(path).read_text(encoding='utf-8').splitlines()[0]\n"
    )
    exit_code, output, report = validate(tmp_path, spec, code)
    assert exit_code == 1 and report["status"] == "unverified"
    assert "it changed its folder, which it may not write" in output and "a.txt.cache" in output


@pytest.mark.parametrize("style", ["full", "compact"])
def test_the_prompts_say_what_the_folder_must_hold_and_the_repair_quotes_the_diff(style: str) -> None:
    from toolfoundry.checks import ValidationResult
    from toolfoundry.checks.behaviour import BehaviourResult, ExampleOutcome
    from toolfoundry.generate.context import ContextBuilder
    from toolfoundry.generate.prompting import PromptBuilder

    spec = ToolSpecificationParser().parse(APPEND)
    context = ContextBuilder().build_context(spec)
    first = PromptBuilder(style=style).build_prompt(spec, context).messages[-1].content
    assert "afterwards `log.txt` holds 'a\\nb\\nc\\n'" in first
    outcome = ExampleOutcome(
        index=0, call="append_line(path='log.txt', line='c')", expected="3", got="3", passed=False,
        files="log.txt differs:\n a\n b\n-c",
    )  # fmt: skip
    result = ValidationResult(findings=[], behaviour=BehaviourResult(ran=True, outcomes=[outcome]), example_count=2)
    repair = PromptBuilder(style=style).build_repair_prompt(spec, context, NEVER_WRITES, result)
    assert "got 3; and the folder after it is wrong: log.txt differs:\n a\n b\n-c" in repair.messages[-1].content


@pytest.mark.slow
def test_the_pytest_target_compares_the_files_after_too(tmp_path: Path) -> None:
    import subprocess
    import sys

    from toolfoundry.output.targets import render_target, tool_view

    spec = ToolSpecificationParser().parse(APPEND)
    ((filename, source),) = render_target("pytest", [{"view": tool_view(spec, "pytest")}]).items()
    outcomes = {}
    for name, code in (("writes", APPENDS), ("never_writes", NEVER_WRITES)):
        (tmp_path / name).mkdir()
        (tmp_path / name / filename).write_text(source)
        (tmp_path / name / "append_line.py").write_text(code)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", filename]
        outcomes[name] = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path / name)
    assert outcomes["writes"].returncode == 0 and "2 passed" in outcomes["writes"].stdout
    assert outcomes["never_writes"].returncode == 1 and "log.txt is not as expected" in outcomes["never_writes"].stdout


def test_a_forged_listing_fails_the_example_not_the_checks() -> None:
    example = Example(input={}, output=1, files_after={"a.txt": "x"})
    for listing in ({"a.txt": "not a dict"}, {"": "cut"}, ["a.txt"], {"a.txt": {"base64": 7}}):
        assert "came back in a form the checks cannot read" in folder_problem(example, listing, may_write=True)
    assert folder_problem(example, {"a.txt": {"base64": "%%%"}}, may_write=True)  # garbage is no match either
