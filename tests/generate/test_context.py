from collections import Counter

from toolfoundry.generate import ContextBuilder
from toolfoundry.library import builtin_library
from toolfoundry.spec import ToolSpecificationParser, ToolType

parser = ToolSpecificationParser()


def test_builtin_library_has_at_least_twelve_tools_over_every_type() -> None:
    library = builtin_library()
    assert len(library) >= 12
    per_type = Counter(tool.spec.effective_tool_type for tool in library)
    assert set(per_type) == set(ToolType)
    assert min(per_type.values()) >= 2


def test_similar_tools_are_retrieved_by_meaning_of_words() -> None:
    spec = parser.parse(
        {
            "name": "csv_line_total",
            "description": "Count the lines of a text file on disk",
            "input_params": [{"name": "path", "type": "str"}],
        }
    )
    context = ContextBuilder().build_context(spec)
    assert context.example_names[0] == "count_lines"


def test_context_holds_purpose_inputs_output_constraints_and_practices() -> None:
    spec = parser.parse(
        {
            "name": "f",
            "description": "Reverse words.",
            "input_params": [{"name": "s", "type": "str", "description": "a sentence"}],
            "output_format": "the words reversed",
            "output_type": "str",
            "constraints": ["No imports."],
        }
    )
    titles = [section.title for section in ContextBuilder().build_context(spec).sections]
    assert titles[:4] == ["Purpose", "Inputs", "Output", "Constraints"]
    assert any(title.startswith("Best practices for") for title in titles)


def test_budget_drops_examples_first_and_never_the_spec() -> None:
    long_description = "Convert text to a slug. " * 40
    spec = parser.parse(
        {"name": "slug", "description": long_description, "input_params": [{"name": "text", "type": "str"}]}
    )
    roomy = ContextBuilder(budget_tokens=5000).build_context(spec)
    tight = ContextBuilder(budget_tokens=10).build_context(spec)
    assert roomy.example_names and not roomy.dropped
    assert tight.example_names == []
    assert any(title.startswith("Similar verified tool") for title in tight.dropped)
    assert [section.title for section in tight.sections][:3] == ["Purpose", "Inputs", "Output"]
    assert tight.sections[0].body == long_description.strip()


def test_tokens_are_counted_with_the_given_tokenizer() -> None:
    calls: list[str] = []

    def count(text: str) -> int:
        calls.append(text)
        return len(text.split())

    spec = parser.parse({"name": "f", "description": "Reverse words in text."})
    context = ContextBuilder(count_tokens=count, budget_tokens=10_000).build_context(spec)
    assert calls and context.tokens == sum(len(text.split()) for text in calls)
