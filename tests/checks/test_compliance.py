import ast

from toolfoundry.checks.compliance import check_compliance
from toolfoundry.spec import ToolSpecificationParser

SPEC = ToolSpecificationParser().parse(
    {
        "name": "clip",
        "description": "Clip a number.",
        "input_params": [
            {"name": "value", "type": "float"},
            {"name": "low", "type": "float", "default": 0.0},
            {"name": "high", "type": "Optional[float]", "default": None},
        ],
        "output_type": "float",
    }
)
GOOD = '''def clip(value: float, low: float = 0.0, high: float | None = None) -> float:
    """Clip."""
    return max(low, value if high is None else min(value, high))
'''


def rules(code: str) -> list[str]:
    return [finding.rule for finding in check_compliance(ast.parse(code), SPEC)]


def test_exact_signature_passes_whatever_the_spelling_of_types() -> None:
    assert rules(GOOD) == []
    assert rules(GOOD.replace("float | None", "Optional[float]")) == []


def test_missing_function_names_what_is_there() -> None:
    (finding,) = check_compliance(ast.parse("def clamp(v):\n    return v\n"), SPEC)
    assert finding.rule == "compliance/missing-function" and "['clamp']" in finding.message
    assert "def clip(value: float, low: float = 0.0, high: float | None = None) -> float:" in finding.message


def test_wrong_parameters_defaults_hints_return_and_docstring() -> None:
    assert "compliance/parameters" in rules("def clip(x, low=0.0, high=None):\n    return x\n")
    assert "compliance/default" in rules(GOOD.replace("low: float = 0.0", "low: float = 1.0"))
    assert "compliance/default" in rules(GOOD.replace("value: float,", "value: float = 1.0,"))
    assert "compliance/type-hint" in rules(GOOD.replace("value: float", "value: int"))
    assert "compliance/type-hint" in rules(GOOD.replace("value: float", "value"))
    assert "compliance/return-type" in rules(GOOD.replace(") -> float:", "):"))
    assert "compliance/docstring" in rules(GOOD.replace('    """Clip."""\n', ""))
    assert "compliance/parameters" in rules(GOOD.replace("high: float | None = None", "high: float | None = None, *a"))


def test_stub_bodies_are_not_implementations() -> None:
    assert "compliance/empty-body" in rules(GOOD.replace("return max", "pass\n    # return max"))
    stub = GOOD.split("    return")[0] + "    raise NotImplementedError\n"
    assert "compliance/empty-body" in rules(stub)
