"""Held-back examples: which are held back, and that no prompt ever shows one."""

import pytest

from toolfoundry.evidence import EvidencePolicy, plan_evidence
from toolfoundry.evidence.holdout import held_back_indexes
from toolfoundry.generate import ContextBuilder, PromptBuilder
from toolfoundry.spec import ToolSpecificationParser

parser = ToolSpecificationParser()


def doubling_spec(count: int, name: str = "double") -> object:
    return parser.parse(
        {
            "name": name,
            "description": "Twice n.",
            "input_params": [{"name": "n", "type": "int"}],
            "output_type": "int",
            "examples": [{"input": {"n": 91357 + index}, "output": 2 * (91357 + index)} for index in range(count)],
        }
    )


@pytest.mark.parametrize(("count", "held"), [(0, 0), (1, 0), (2, 0), (3, 1), (4, 1), (5, 2), (6, 2), (9, 3)])
def test_a_third_of_the_examples_are_held_back_from_three_up(count, held) -> None:
    indexes = held_back_indexes(doubling_spec(count))
    assert len(indexes) == held and len(set(indexes)) == held and all(0 <= i < count for i in indexes)


def test_the_choice_depends_on_the_spec_alone_and_differs_between_specs() -> None:
    assert held_back_indexes(doubling_spec(6)) == held_back_indexes(doubling_spec(6))
    choices = {held_back_indexes(doubling_spec(6, name=f"double_{index}")) for index in range(12)}
    assert len(choices) > 1  # not always the first or last example


def test_prompts_show_every_example_but_the_held_back_ones() -> None:
    spec = doubling_spec(6)
    plan = plan_evidence(spec, EvidencePolicy())
    hidden = [spec.examples[index] for index in plan.held_back]
    shown = [example for index, example in enumerate(spec.examples) if index not in plan.held_back]
    for style in ("full", "compact"):
        prompt = PromptBuilder(style=style).build_prompt(plan.shown, ContextBuilder().build_context(plan.shown))
        text = "\n".join(message.content for message in prompt.messages)
        assert all(str(example.output) in text for example in shown)
        assert not any(str(example.input["n"]) in text or str(example.output) in text for example in hidden)


def test_show_all_examples_holds_nothing_back() -> None:
    spec = doubling_spec(6)
    plan = plan_evidence(spec, EvidencePolicy(show_all_examples=True))
    assert plan.held_back == () and plan.shown == spec and plan.show_all_examples


def test_an_example_that_expects_an_exception_is_never_held_back() -> None:
    spec = parser.parse(
        {
            "name": "status_category",
            "description": "Name the class of an HTTP status code.",
            "input_params": [{"name": "code", "type": "int"}],
            "output_type": "str",
            "examples": [
                {"input": {"code": 200}, "output": "success"},
                {"input": {"code": 404}, "output": "client error"},
                {"input": {"code": 99}, "raises": "ValueError"},
            ],
        }
    )
    assert held_back_indexes(spec) in {(0,), (1,)}
    one_value = spec.model_copy(update={"examples": [spec.examples[0], spec.examples[2], spec.examples[2]]})
    assert held_back_indexes(one_value) == ()  # the one value example stays shown
