from toolfoundry.checks.behaviour import NotRun
from toolfoundry.checks.validator import CodeValidator


def test_syntax_error_is_reported_with_line_and_stops_there(slug_spec) -> None:
    result = CodeValidator(runner=NotRun("n/a")).validate("def slugify(text: str) -> str:\n    return (\n", slug_spec)
    (finding,) = result.findings
    assert finding.rule == "syntax/error" and finding.line == 2
    assert not result.verified and not result.behaviour.ran


def test_no_code_is_a_finding_not_a_crash(slug_spec) -> None:
    result = CodeValidator(runner=NotRun("n/a")).validate(None, slug_spec)
    assert [finding.rule for finding in result.findings] == ["extract/no-code"]


def test_static_pass_without_a_runner_is_unverified_with_the_reason(slug_spec) -> None:
    code = 'import re\n\ndef slugify(text: str) -> str:\n    """S."""\n    return re.sub(" ", "-", text.lower())\n'
    result = CodeValidator(runner=NotRun("no sandbox here")).validate(code, slug_spec)
    assert result.is_valid and not result.verified
    assert result.unverified_reason == "no sandbox here"


class Recorder(NotRun):
    """A runner that takes whatever the validator passes (the ExampleRunner protocol) and notes each run."""

    def __init__(self) -> None:
        super().__init__("recorded, not run")
        self.ran: list[str] = []

    def run_examples(self, code, spec, probes=None, tests=()):
        self.ran.append(code)
        return super().run_examples(code, spec, probes, tests)


def test_unsafe_code_is_never_run(slug_spec) -> None:
    code = 'import os\n\ndef slugify(text: str) -> str:\n    """S."""\n    os.system("rm -rf /")\n    return text\n'
    recorder = Recorder()
    result = CodeValidator(runner=recorder).validate(code, slug_spec)
    assert recorder.ran == [] and not result.is_valid
    assert result.behaviour.reason == "static checks failed, so the code was not run"
    # The control: safe code does reach the runner, so the empty list above means something.
    safe = (
        'import re\n\n\ndef slugify(text: str) -> str:\n    """S."""\n    return re.sub(r"\\W+", "-", text.lower())\n'
    )
    CodeValidator(runner=recorder).validate(safe, slug_spec)
    assert recorder.ran == [safe]


def test_a_spec_without_examples_cannot_be_verified() -> None:
    from toolfoundry.spec import ToolSpecificationParser

    spec = ToolSpecificationParser().parse({"name": "f", "description": "d"})
    result = CodeValidator(runner=NotRun("x")).validate('def f():\n    """D."""\n    return 1\n', spec)
    assert result.is_valid and not result.verified
    assert "no examples" in result.unverified_reason
