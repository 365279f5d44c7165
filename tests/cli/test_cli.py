"""The command line as a user meets it: exit codes, messages, and nothing half-written."""

import json
import re
from pathlib import Path

import pytest

from tests.helpers import GOOD_SLUGIFY, cli, requires_sandbox, scripted_model


@pytest.fixture
def scripted(tmp_path: Path):
    def _scripted(*replies: str) -> str:
        return scripted_model(tmp_path / "replies.yaml", replies)

    return _scripted


@requires_sandbox
def test_generate_writes_module_and_report_and_exits_0_when_verified(spec_file, scripted, tmp_path) -> None:
    out = tmp_path / "tools"
    result = cli("generate", spec_file, "-o", out, "--model", scripted(GOOD_SLUGIFY))
    assert result.exit_code == 0, result.output
    report = json.loads((out / "slugify.report.json").read_text())
    assert report["status"] == "verified" and report["attempts"][0]["model"].startswith("scripted:")
    for key in ("attempts", "findings", "model", "tokens", "seconds"):
        assert key in report
    assert "def slugify(text: str) -> str:" in (out / "slugify.py").read_text()
    assert "verified\tslugify" in result.output


@requires_sandbox
def test_generate_exits_1_when_a_tool_is_not_verified(spec_file, scripted, tmp_path) -> None:
    result = cli(
        "generate", spec_file, "-o", tmp_path / "o", "--model", scripted("no code"), "--rounds", "1", "--samples", "1"
    )
    assert result.exit_code == 1
    assert json.loads((tmp_path / "o" / "slugify.report.json").read_text())["status"] == "stub"


@requires_sandbox
def test_json_output_is_machine_readable(spec_file, scripted, tmp_path) -> None:
    result = cli("generate", spec_file, "-o", tmp_path / "o", "--model", scripted(GOOD_SLUGIFY), "--json")
    run_report = json.loads(result.stdout)
    assert run_report["tools"][0]["status"] == "verified" and run_report["summary"]["verified"] == 1
    assert run_report == json.loads((tmp_path / "o" / "report.json").read_text()) | {"seconds": run_report["seconds"]}


BAD_INPUTS = {
    "empty.yaml": ("", "is empty"),
    "list.yaml": ("- a\n- b\n", "must be a mapping"),
    "badname.yaml": ("name: 9lives\ndescription: d\n", "name: tool name '9lives' is not a Python identifier"),
    "badtype.yaml": (
        "name: f\ndescription: d\ninput_params: [{name: a, type: Strng}]\n",
        "input_params[0].type: unknown type 'Strng'",
    ),
    "badexample.yaml": (
        "name: f\ndescription: d\ninput_params: [{name: a, type: int}]\nexamples: [{input: {b: 1}, output: 2}]\n",
        "examples[0].input: unknown parameters ['b']",
    ),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_specs_exit_2_with_the_problem_and_write_nothing(name, write, tmp_path) -> None:
    text, message = BAD_INPUTS[name]
    out = tmp_path / "out"
    result = cli("generate", write(name, text), "-o", out, "--model", "scripted:/nonexistent")
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split()), result.stderr
    assert not out.exists()


def test_one_bad_spec_among_good_ones_writes_nothing(spec_file, write, scripted, tmp_path) -> None:
    bad = write("bad.yaml", "name: f\n")
    out = tmp_path / "out"
    result = cli("generate", spec_file, bad, "-o", out, "--model", scripted(GOOD_SLUGIFY))
    assert result.exit_code == 2 and "description: is required" in result.stderr
    assert not out.exists()


def test_a_missing_model_file_exits_2(spec_file, tmp_path) -> None:
    result = cli("generate", spec_file, "-o", tmp_path / "out", "--model", "local:/no/such/model.gguf")
    assert result.exit_code == 2 and "model file not found: /no/such/model.gguf" in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_unknown_provider_exits_2_naming_the_known_ones(spec_file, tmp_path) -> None:
    result = cli("generate", spec_file, "-o", tmp_path / "out", "--model", "gpt4")
    assert result.exit_code == 2 and "provider:model" in result.stderr


def test_a_missing_spec_file_exits_2(tmp_path) -> None:
    result = cli("generate", tmp_path / "nope.yaml", "-o", tmp_path / "out")
    assert result.exit_code == 2 and "file not found" in result.stderr


@requires_sandbox
def test_validate_reports_findings_and_examples(spec_file, write) -> None:
    good = write("good.py", GOOD_SLUGIFY.strip("`").removeprefix("python\n"))
    bad = write("bad.py", "import os\ndef slugify(text: str) -> str:\n    return os.environ['HOME']\n")
    ok = cli("validate", good, "--spec", spec_file)
    last_line = ok.output.strip().splitlines()[-1]
    assert ok.exit_code == 0 and re.fullmatch(r"verified: 1/1 examples, \d+ probes clean", last_line)
    failed = cli("validate", bad, "--spec", spec_file)
    assert failed.exit_code == 1
    assert "[security/environment-access]" in failed.output and "[compliance/docstring]" in failed.output


def test_validate_with_a_bad_spec_exits_2_naming_every_problem(write) -> None:
    spec = write("s.yaml", "name: 1\n")
    result = cli("validate", write("x.py", "x = 1\n"), "--spec", spec)
    # Typer's own usage errors exit 2 as well: the message is what shows the spec was read and refused.
    assert result.exit_code == 2 and f"invalid tool specification {spec} (2 problems)" in result.stderr
    assert (
        "  - name: Input should be a valid string" in result.stderr and "  - description: is required" in result.stderr
    )


def test_types_in_error_messages_survive_the_terminal(write, tmp_path) -> None:
    result = cli(
        "generate",
        write("t.yaml", "name: f\ndescription: d\ninput_params: [{name: a, type: 'list[Foo]'}]\n"),
        "-o",
        tmp_path / "o",
    )
    assert result.exit_code == 2 and "unknown type 'Foo' in 'list[Foo]'" in result.stderr


def test_the_version_flag_prints_the_one_version() -> None:
    from toolfoundry import __version__

    result = cli("--version")
    assert result.exit_code == 0 and result.stdout.strip() == __version__
