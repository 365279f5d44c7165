import pytest

from toolfoundry.checks.behaviour import BehaviourResult, ExampleOutcome
from toolfoundry.checks.findings import Finding
from toolfoundry.checks.result import ValidationResult
from toolfoundry.errors import ConfigError
from toolfoundry.evidence.judging import ProbeFailure
from toolfoundry.generate import ContextBuilder, PromptBuilder
from toolfoundry.spec import ToolSpecificationParser, ToolType, detect_tool_type

parser = ToolSpecificationParser()


def spec_with(description: str, **extra):
    return parser.parse({"name": "tool", "description": description, **extra})


@pytest.mark.parametrize(
    ("description", "extra", "expected"),
    [
        ("Fetch the JSON from an HTTP API endpoint", {}, ToolType.API_CALLER),
        ("Call a service", {"dependencies": ["requests"]}, ToolType.API_CALLER),
        ("Read a CSV file from disk and count its lines", {}, ToolType.FILE_MANIPULATION),
        ("Compute the average of a list of numbers", {}, ToolType.DATA_PROCESSING),
        ("Convert a sentence to title case words", {}, ToolType.TEXT_PROCESSING),
        ("Tell whether a year is a leap year", {}, ToolType.DEFAULT),
        ("Whatever", {"permissions": {"filesystem": "read"}}, ToolType.FILE_MANIPULATION),
    ],
)
def test_tool_type_is_detected_from_description_dependencies_and_permissions(description, extra, expected) -> None:
    assert detect_tool_type(spec_with(description, **extra)) is expected


def test_a_declared_tool_type_wins_over_detection() -> None:
    spec = spec_with("Fetch from an HTTP API", tool_type="text_processing")
    assert spec.effective_tool_type is ToolType.TEXT_PROCESSING


GUIDANCE = {
    ToolType.DEFAULT: "shortest clear implementation",
    ToolType.TEXT_PROCESSING: "Treat text as Unicode",
    ToolType.DATA_PROCESSING: "Do not mutate the inputs",
    ToolType.FILE_MANIPULATION: "Use `pathlib.Path`",
    ToolType.API_CALLER: "explicit timeout",
}


@pytest.mark.parametrize("tool_type", list(ToolType))
def test_each_tool_type_has_its_own_template(tool_type: ToolType) -> None:
    spec = spec_with("Something", tool_type=tool_type.value)
    prompt = PromptBuilder().build_prompt(spec, ContextBuilder().build_context(spec))
    user = prompt.messages[-1].content
    assert GUIDANCE[tool_type] in user
    assert all(GUIDANCE[other] not in user for other in ToolType if other is not tool_type)


def test_prompt_states_signature_imports_and_examples() -> None:
    spec = parser.parse(
        {
            "name": "mean_of",
            "description": "Mean of numbers.",
            "input_params": [
                {"name": "values", "type": "list[float]"},
                {"name": "digits", "type": "int", "default": 2},
            ],
            "output_type": "float",
            "dependencies": ["numpy"],
            "examples": [
                {"input": {"values": [1, 2]}, "output": 1.5},
                {"input": {"values": []}, "raises": "ValueError"},
            ],
        }
    )
    prompt = PromptBuilder().build_prompt(spec, ContextBuilder().build_context(spec))
    user = prompt.messages[-1].content
    assert "def mean_of(values: list[float], digits: int = 2) -> float:" in user
    assert "the Python standard library and numpy" in user
    assert "`mean_of(values=[1, 2])` returns `1.5`" in user
    assert "`mean_of(values=[])` raises `ValueError`" in user
    assert prompt.prefill.startswith("```python\ndef mean_of(values: list[float], digits: int = 2) -> float:\n")
    assert prompt.kind == "initial"


EVAL_AND_A_FAILED_EXAMPLE = ValidationResult(
    findings=[Finding(rule="security/forbidden-call", line=3, message="`eval()` runs arbitrary code")],
    behaviour=BehaviourResult(
        ran=True,
        outcomes=[ExampleOutcome(index=0, call="slugify(text='Hi')", expected="'hi'", got="'Hi'", passed=False)],
    ),
    example_count=2,
)


def test_repair_prompt_quotes_code_findings_and_failed_examples(slug_spec) -> None:
    result = EVAL_AND_A_FAILED_EXAMPLE
    prompt = PromptBuilder().build_repair_prompt(
        slug_spec, ContextBuilder().build_context(slug_spec), "def slugify(text): return eval(text)", result
    )
    user = prompt.messages[-1].content
    assert prompt.kind == "repair"
    assert "def slugify(text): return eval(text)" in user
    assert "line 3: [security/forbidden-call] `eval()` runs arbitrary code" in user
    assert "example slugify(text='Hi'): expected 'hi', got 'Hi'" in user


def test_the_compact_prompt_holds_signature_description_and_examples_and_nothing_else(slug_spec) -> None:
    context = ContextBuilder().build_context(slug_spec)
    full = PromptBuilder().build_prompt(slug_spec, context)
    compact = PromptBuilder(style="compact").build_prompt(slug_spec, context)
    (user,) = compact.messages  # no system message either
    assert user.role == "user"
    assert slug_spec.signature() in user.content and slug_spec.description in user.content
    for example in slug_spec.examples:
        assert repr(example.output) in user.content
    assert "Similar verified tool" in full.messages[-1].content and "Rules" in full.messages[-1].content
    assert "Similar verified tool" not in user.content and "Rules" not in user.content
    assert len(user.content) < len(full.messages[-1].content) / 3
    assert compact.prefill == full.prefill  # the signature is still fixed for the model
    assert (full.version, compact.version) == ("6", "6-compact")


def test_the_compact_repair_prompt_quotes_the_attempt_and_what_failed(slug_spec) -> None:
    result = EVAL_AND_A_FAILED_EXAMPLE
    prompt = PromptBuilder(style="compact").build_repair_prompt(
        slug_spec, ContextBuilder().build_context(slug_spec), "def slugify(text): return eval(text)", result
    )
    (user,) = prompt.messages
    assert prompt.kind == "repair" and prompt.version == "6-compact"
    assert user.content.startswith("Write this Python function:")
    assert "def slugify(text): return eval(text)" in user.content
    assert "`eval()` runs arbitrary code" in user.content
    assert "slugify(text='Hi') should return 'hi', got 'Hi' (they differ only in letter case)" in user.content


def test_an_unknown_prompt_style_is_refused() -> None:
    with pytest.raises(ConfigError, match="prompt style 'tiny' is not one of full, compact"):
        PromptBuilder(style="tiny")


def test_the_compact_prompt_keeps_the_specs_constraints(slug_spec) -> None:
    spec = slug_spec.model_copy(update={"constraints": ["Keep digits", "At most 60 characters"]})
    (user,) = PromptBuilder(style="compact").build_prompt(spec, ContextBuilder().build_context(spec)).messages
    assert "- Keep digits\n- At most 60 characters" in user.content


def test_a_repair_prompt_quotes_what_an_example_raised_and_the_line_that_raised_it(slug_spec) -> None:
    raised = ExampleOutcome(
        index=0,
        call="slugify(text='Hi')",
        expected="'hi'",
        got="raised FileNotFoundError: [Errno 2] No such file or directory: ''",
        passed=False,
        traceback="  line 3, in slugify: os.makedirs(os.path.dirname(text))\nFileNotFoundError: [Errno 2] ...",
    )
    result = EVAL_AND_A_FAILED_EXAMPLE.model_copy(update={"behaviour": BehaviourResult(ran=True, outcomes=[raised])})
    wanted = (
        "got raised FileNotFoundError: [Errno 2] No such file or directory: '' "
        "(at line 3, in slugify: os.makedirs(os.path.dirname(text)))"
    )
    for style in ("full", "compact"):
        prompt = PromptBuilder(style=style).build_repair_prompt(
            slug_spec, ContextBuilder().build_context(slug_spec), "def slugify(text): ...", result
        )
        assert wanted in prompt.messages[-1].content, style


def test_a_repair_says_what_an_example_should_raise_and_names_a_fault_probes_fault(slug_spec) -> None:
    raised = ExampleOutcome(index=0, call="slugify(text='Hi')", expected="raises ValueError", got="'hi'", passed=False)
    faults = [
        ProbeFailure(call="slugify(text='Hi')", problem="returned None: the result is NoneType, not str", origin=origin)
        for origin in ("fault: 500", "fault: an empty body")
    ]
    result = ValidationResult(example_count=1, behaviour=BehaviourResult(ran=True, outcomes=[raised]))
    context = ContextBuilder().build_context(slug_spec)
    compact, full = (
        PromptBuilder(style=style).build_repair_prompt(slug_spec, context, "def slugify(text): ...", result, (), faults)
        for style in ("compact", "full")
    )
    assert "slugify(text='Hi') should raise ValueError, got 'hi'" in compact.messages[-1].content
    wanted = (
        "- slugify(text='Hi'), with an injected fault: HTTP 500 / an empty body: "
        "returned None: the result is NoneType, not str\n"
    )
    for prompt in (compact, full):
        assert wanted in prompt.messages[-1].content
        assert prompt.messages[-1].content.count("returned None") == 1
