"""The real offline models through `toolfoundry generate`: the default (Qwen2.5-Coder-1.5B, as a user gets it,
no --model) and SmolLM2; whatever they write, the report tells the truth (these tests assert no pass rate)."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import requires_sandbox
from toolfoundry.checks import CodeValidator
from toolfoundry.cli import app
from toolfoundry.models import DEFAULT_MODEL
from toolfoundry.spec import ToolSpecificationParser

pytestmark = [pytest.mark.slow, requires_sandbox]
SPECS = sorted((Path(__file__).parent.parent / "examples" / "specs").iterdir())


@pytest.fixture(scope="module", params=[DEFAULT_MODEL, "local:smollm2"], ids=["default model", "smollm2"])
def generated(request, tmp_path_factory) -> tuple[Path, int, str]:
    out = tmp_path_factory.mktemp("tools")
    chosen = [] if request.param == DEFAULT_MODEL else ["--model", request.param]
    arguments = [
        "generate",
        *map(str, SPECS),
        "-o",
        str(out),
        "--rounds",
        "2",
        "--samples",
        "2",
        "--json",
        "--no-library",
    ]
    arguments += chosen
    result = CliRunner().invoke(app, arguments)
    return out, result.exit_code, request.param


def test_the_run_writes_a_module_and_report_per_spec_and_exits_by_status(generated) -> None:
    out, exit_code, model = generated
    specs = [spec for path in SPECS for spec in ToolSpecificationParser().parse_file(path)]
    statuses = []
    for spec in specs:
        report = json.loads((out / f"{spec.name}.report.json").read_text())
        assert (out / f"{spec.name}.py").exists()
        statuses.append(report["status"])
        assert report["model"] == model
        assert report["attempts"] and all(attempt["model"] == model for attempt in report["attempts"])
        fresh = [attempt for attempt in report["attempts"] if not attempt["cached"]]  # cache hits cost nothing
        assert report["tokens"]["prompt"] == sum(attempt["prompt_tokens"] for attempt in fresh)
        assert all(attempt["prompt_tokens"] > 0 or attempt["error"] for attempt in report["attempts"])
    assert exit_code == (0 if all(status == "verified" for status in statuses) else 1)


@pytest.mark.parametrize("spec_path", SPECS, ids=lambda path: path.stem)
def test_each_report_matches_what_the_checks_say_of_the_written_code(generated, spec_path) -> None:
    out, _, _ = generated
    (spec,) = ToolSpecificationParser().parse_file(spec_path)
    report = json.loads((out / f"{spec.name}.report.json").read_text())
    module = (out / f"{spec.name}.py").read_text()
    rechecked = CodeValidator().validate(module, spec)
    if report["status"] == "verified":
        assert rechecked.verified, rechecked.unverified_reason
        assert report["reason"] == "" and all(example["passed"] for example in report["examples"])
    elif report["status"] == "unverified":
        assert report["reason"] and not rechecked.verified
        failed = [example for example in report["examples"] if not example["passed"]]
        blocking = [finding for finding in report["findings"] if finding["severity"] == "error"]
        assert failed or blocking or not report["examples_ran"]
        assert "Status: unverified" in module
    else:
        assert report["status"] == "stub" and report["reason"]
        namespace: dict = {}
        exec(compile(module, spec.name, "exec"), namespace)
        with pytest.raises(NotImplementedError):
            namespace[spec.name](**spec.examples[0].input)
    for attempt in report["attempts"]:
        if attempt["verified"]:
            assert attempt["examples_passed"] == len(spec.examples)
