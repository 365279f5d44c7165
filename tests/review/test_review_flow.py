"""`toolfoundry review DIR`: a tool's questions put to a person (at the terminal, from --answers, from an
--oracle), the answers written into its spec file, and the tool chosen again: among the candidates already
checked when one fits (no model call), else generated again. Bad input leaves every file as it was."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tests.helpers import cli, requires_sandbox, scripted_model
from toolfoundry.cli import app
from toolfoundry.report import ToolReport
from toolfoundry.review.answers import Given, as_example
from toolfoundry.review.spec_file import add_examples
from toolfoundry.spec import ToolSpecificationParser

SPEC_TEXT = """\
# A slug tool, as a person keeps it.
name: make_slug
description: Turn a title into a URL slug of lowercase words joined by single hyphens.
input_params:
  - {name: title, type: str, description: the title}   # one parameter
output_type: str
examples:
  - input: {title: "Hello World"}
    output: hello-world   # the usual case
  - input: {title: ""}
    output: ""
"""


def reply(body: str) -> str:
    return f'```python\ndef make_slug(title: str) -> str:\n    """Slug."""\n    return {body}\n```'


# One way to be wrong ("a  b" -> "a--b") and two to be right ("a  b" -> "a-b").
WRONG = reply('title.lower().replace(" ", "-")')
RIGHT = reply('"-".join(title.lower().split())')
RIGHT_TOO = reply('" ".join(title.split()).lower().replace(" ", "-")')
ORACLE = "def make_slug(title):\n    return '-'.join(title.lower().split())\n"


def generated(tmp_path: Path, replies: list[str], *options: str) -> tuple[Path, Path]:
    """A spec file, and the folder `generate` made from it with scripted replies."""
    spec = tmp_path / "specs" / "slug.yaml"
    spec.parent.mkdir()
    spec.write_text(SPEC_TEXT)
    model = scripted_model(tmp_path / "replies.yaml", replies)
    out = tmp_path / "tools"
    result = cli("generate", spec, "-o", out, "--model", model, "--no-library", "--no-cache", *options)
    assert result.exit_code in {0, 1}, result.output
    (tmp_path / "oracle.py").write_text(ORACLE)
    return spec, out


def report_of(out: Path) -> ToolReport:
    report = ToolReport.read(out / "make_slug.report.json")
    assert report is not None
    return report


def disagreeing(tmp_path: Path) -> tuple[Path, Path]:
    """Asked for two agreeing candidates: the first is wrong, the next two right; one of those is kept."""
    spec, out = generated(tmp_path, [WRONG, RIGHT, RIGHT_TOO], "--agreeing", "2", "--rounds", "1", "--samples", "3")
    report = report_of(out)
    assert report.status == "verified" and '"-".join(title.lower().split())' in (out / "make_slug.py").read_text()
    assert report.review.questions and report.review.questions[0].split == 0.444  # 2 against 1
    return spec, out


@requires_sandbox
def test_an_oracles_answers_rechoose_among_the_candidates_checked_without_a_model_call(tmp_path: Path) -> None:
    spec, out = disagreeing(tmp_path)
    result = cli("review", out, "--oracle", f"{tmp_path / 'oracle.py'}:make_slug", "--questions", "2", "--no-library")
    assert result.exit_code == 0, result.output
    assert "2 answer(s) added" in result.output and "no model call" in result.output

    text = spec.read_text()
    assert text.startswith(SPEC_TEXT) and text.count("confirmed: review") == 2  # in place, comments kept
    report = report_of(out)
    assert report.status == "verified" and report.tokens.total == 0
    assert all(not attempt.called_model for attempt in report.attempts)
    wrong = next(attempt for attempt in report.attempts if 'replace(" ", "-")' in (attempt.code or ""))
    assert not wrong.verified  # the answers rule it out
    assert "2 behaviours confirmed by review" in report.evidence_line
    assert "confirmed by review" in (out / "make_slug.py").read_text()  # the module's docstring says so too
    run = json.loads((out / "report.json").read_text())
    assert run["summary"]["verified"] == 1 and run["spec_files"] == {"make_slug": str(spec.resolve())}
    page = (out / "report.html").read_text()
    assert "2 behaviours confirmed by review" in page and page.count("(confirmed by review:") == 2


@requires_sandbox
def test_answers_never_round_a_lone_candidate_up_to_the_agreement_asked_for(tmp_path: Path) -> None:
    _, out = disagreeing(tmp_path)
    (tmp_path / "wrong_oracle.py").write_text("def make_slug(title):\n    return title.lower().replace(' ', '-')\n")
    result = cli("review", out, "--oracle", f"{tmp_path / 'wrong_oracle.py'}:make_slug", "--no-library", "--no-cache")
    assert result.exit_code == 1, result.output
    report = report_of(out)  # only the wrong candidate fits this person's answers: one, where two were asked for
    assert report.status == "unverified" and "agreeing" in report.reason
    assert 'replace(" ", "-")' in (out / "make_slug.py").read_text()


@requires_sandbox
def test_confirming_the_behaviour_table_keeps_the_tool_with_no_model_call(tmp_path: Path) -> None:
    _, out = generated(tmp_path, [RIGHT], "--rounds", "1", "--samples", "1")
    assert not report_of(out).review.questions and report_of(out).review.behaviours
    report_file = out / "make_slug.report.json"  # one tool's report names the tool and its folder
    result = cli(
        "review", report_file, "--oracle", f"{tmp_path / 'oracle.py'}:make_slug", "--questions", "3", "--no-library"
    )
    assert result.exit_code == 0 and "no model call" in result.output, result.output
    report = report_of(out)
    assert report.status == "verified" and report.tokens.total == 0
    assert "3 behaviours confirmed by review" in report.evidence_line


@requires_sandbox
def test_the_terminal_flow_asks_one_question_at_a_time(tmp_path: Path) -> None:
    spec, out = disagreeing(tmp_path)
    question = report_of(out).review.questions[0]
    right = question.answers[0].answer  # most given first: the two right candidates' answer
    runner = CliRunner()
    result = runner.invoke(app, ["review", str(out), "--questions", "2", "--no-library"], input="1\na\n")
    assert result.exit_code == 0, result.output
    assert question.call in result.output and "2 candidates" in result.output and "1 candidate" in result.output
    examples = yaml.safe_load(spec.read_text())["examples"]
    assert len(examples) == 3  # the second question was answered "any of these is fine": nothing added for it
    assert examples[-1] == {"input": question.input, "output": ast.literal_eval(right), "confirmed": "review"}
    report = report_of(out)
    assert report.status == "verified" and report.review.behaviours  # the two left agree: a table to confirm

    # Skips add nothing and leave the tool as it is; input that ends mid-review takes nothing.
    before, module = spec.read_text(), (out / "make_slug.py").read_text()
    result = runner.invoke(app, ["review", str(out), "--questions", "2", "--no-library"], input="s\ns\n")
    assert result.exit_code == 0, result.output
    assert "2 behaviours to confirm" in result.output and "no answer adds an example" in result.output
    result = runner.invoke(app, ["review", str(out), "--questions", "2", "--no-library"], input="n\n")
    assert result.exit_code == 2 and "input ended" in result.output, result.output
    assert spec.read_text() == before and (out / "make_slug.py").read_text() == module


@requires_sandbox
def test_when_no_candidate_fits_the_tool_is_generated_again_with_the_answers(tmp_path: Path) -> None:
    _, out = generated(tmp_path, [WRONG, RIGHT], "--rounds", "1", "--samples", "1")
    first = report_of(out)
    assert first.status == "verified" and not first.review.questions  # one candidate: a behaviour table
    assert any(row.input == {"title": "  two  spaces  "} for row in first.review.behaviours)  # the "a  b" case
    answers = tmp_path / "answers.yaml"
    answers.write_text("make_slug:\n  - {input: {title: 'a  b'}, output: a-b}\n")
    result = cli("review", out, "--answers", answers, "--no-library", "--no-cache")
    assert result.exit_code == 0, result.output
    assert "generated again" in result.output
    report = report_of(out)
    assert report.status == "verified" and any(attempt.called_model for attempt in report.attempts)
    assert '"-".join(title.lower().split())' in (out / "make_slug.py").read_text()
    assert "1 behaviour confirmed by review" in report.evidence_line


@requires_sandbox
def test_bad_answers_leave_the_spec_file_and_the_tool_as_they_were(tmp_path: Path) -> None:
    spec, out = generated(tmp_path, [WRONG], "--rounds", "1", "--samples", "1")
    module, report = (out / "make_slug.py").read_text(), (out / "make_slug.report.json").read_text()
    answers = tmp_path / "answers.yaml"
    cases = {
        "make_slug:\n  - {input: {title: x}, output: 3}\n": "answer 1: the answer 3 is int",
        "make_slug:\n  - {input: {words: x}, output: x}\n": "has no parameter 'words'",
        "other_tool:\n  - {input: {title: x}, output: x}\n": "no reviewable tool named other_tool",
    }
    for text, problem in cases.items():
        answers.write_text(text)
        result = cli("review", out, "--answers", answers, "--no-library")
        assert result.exit_code == 2 and problem in result.output, result.output
    (tmp_path / "bad_oracle.py").write_text("def make_slug(title):\n    raise KeyError(title)\n")
    result = cli("review", out, "--oracle", f"{tmp_path / 'bad_oracle.py'}:make_slug", "--no-library")
    assert result.exit_code == 2 and "the oracle raised KeyError" in result.output, result.output
    result = cli("review", out, "--oracle", "x:y", "--answers", answers)
    assert result.exit_code == 2 and "not both" in result.output
    assert spec.read_text() == SPEC_TEXT
    assert (out / "make_slug.py").read_text() == module and (out / "make_slug.report.json").read_text() == report

    # A spec file that is not writable (a read-only mount, which stops root too).
    answers.write_text("make_slug:\n  - {input: {title: x}, output: x}\n")
    command = [sys.executable, "-m", "toolfoundry", "review", str(out), "--answers", str(answers), "--no-library"]
    folder = str(spec.parent)
    mounted = ["bwrap", "--dev-bind", "/", "/", "--ro-bind", folder, folder, "--", *command]
    ended = subprocess.run(mounted, capture_output=True, text=True, timeout=120)
    assert ended.returncode == 2 and "not writable" in ended.stderr, ended.stderr
    assert spec.read_text() == SPEC_TEXT and (out / "make_slug.py").read_text() == module

    # A spec changed since the tool was generated: its questions may not hold; nothing is asked.
    spec.write_text(SPEC_TEXT.replace("single hyphens", "one hyphen"))
    result = cli("review", out, "--answers", answers, "--no-library")
    assert result.exit_code == 2 and "changed since the tool was generated" in result.output


@requires_sandbox
def test_a_folder_from_before_spec_files_were_recorded_asks_for_them(tmp_path: Path) -> None:
    spec, out = generated(tmp_path, [WRONG], "--rounds", "1", "--samples", "1")
    run = json.loads((out / "report.json").read_text())
    del run["spec_files"]
    (out / "report.json").write_text(json.dumps(run))
    result = cli("review", out, "--answers", tmp_path / "none.yaml")
    assert result.exit_code == 2
    answers = tmp_path / "answers.yaml"
    answers.write_text("make_slug:\n  - {input: {title: 'a  b'}, output: a-b}\n")
    result = cli("review", out, "--answers", answers, "--no-library", "--no-cache")
    assert result.exit_code == 2 and "give --specs" in result.output
    shutil.copy(spec, tmp_path / "copy.yaml")
    result = cli("review", out, "--answers", answers, "--specs", spec, "--no-library", "--no-cache")
    assert result.exit_code in {0, 1} and "1 answer(s) added" in result.output, result.output
    assert pytest.approx(1) == spec.read_text().count("confirmed: review")


@requires_sandbox
def test_answers_written_before_a_review_stopped_are_taken_up_by_the_next(tmp_path: Path) -> None:
    spec, out = generated(tmp_path, [RIGHT], "--rounds", "1", "--samples", "1")
    parsed = ToolSpecificationParser().parse_file(spec)[0]
    # As a review stopped after it wrote the spec file and before the tool was chosen again leaves it.
    add_examples(spec, "make_slug", [as_example(parsed, Given(input={"title": "a  b"}, output="a-b"), "here")])
    nothing = tmp_path / "nothing.yaml"
    nothing.write_text("{}\n")
    result = cli("review", out, "--answers", nothing, "--no-library")
    assert result.exit_code == 0 and "from an earlier review" in result.output, result.output
    report = report_of(out)
    assert report.status == "verified" and "1 behaviour confirmed by review" in report.evidence_line
    assert report.spec_hash == ToolSpecificationParser().parse_file(spec)[0].spec_hash()


@requires_sandbox
def test_a_tool_whose_choosing_again_fails_keeps_its_report_and_candidates(tmp_path: Path, monkeypatch) -> None:
    _, out = generated(tmp_path, [RIGHT], "--rounds", "1", "--samples", "1")
    before = (out / "make_slug.report.json").read_text()

    async def broken(*args, **kwargs):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr("toolfoundry.generate.LLMCodeGenerator.generate_code", broken)
    answers = tmp_path / "answers.yaml"
    answers.write_text("make_slug:\n  - {input: {title: 'a  b'}, output: a-b}\n")
    result = cli("review", out, "--answers", answers, "--no-library")
    assert result.exit_code == 1 and "failed" in result.output, result.output
    assert (out / "make_slug.report.json").read_text() == before  # its candidates are still there
    monkeypatch.undo()
    again = cli("review", out, "--answers", tmp_path / "answers.yaml", "--no-library")
    assert again.exit_code == 0 and "from an earlier review" in again.output, again.output
