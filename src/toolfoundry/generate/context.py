"""ContextBuilder: what the model should know besides the spec, prioritised and trimmed to a token budget.

Sections that state the spec (purpose, inputs, output, constraints) are always kept. Best practices for the
tool type and similar verified tools (retrieved with BM25 from the built-in library) fill the rest of the
budget in priority order. Tokens are counted with the model's own tokenizer where it has one.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from ..library import VerifiedTool, builtin_library
from ..models.base import estimate_tokens
from ..spec import ToolSpec, ToolType
from .retrieval import ExampleRetriever

BEST_PRACTICES: dict[ToolType, list[str]] = {
    ToolType.DEFAULT: [
        "Validate arguments first and raise ValueError naming the bad argument.",
        "Return plain built-in types (str, int, float, bool, list, dict).",
    ],
    ToolType.TEXT_PROCESSING: [
        "Compile regular expressions once at module level.",
        "Normalise case and whitespace the same way for every input.",
        "The empty string is a valid input unless the spec says otherwise.",
    ],
    ToolType.DATA_PROCESSING: [
        "Never mutate the caller's lists or dicts.",
        "Empty input usually gives empty output; say in the error which item is bad.",
        "Keep the input order unless the spec asks for sorting.",
    ],
    ToolType.FILE_MANIPULATION: [
        "Open files with `with` and an explicit encoding; paths come from arguments only.",
        "Raise FileNotFoundError for a missing input file rather than returning a default.",
        "Write to the path given, nowhere else; create no temporary files outside it.",
    ],
    ToolType.API_CALLER: [
        "Validate the URL scheme (http/https) before any request.",
        "Always pass a timeout; turn HTTP errors into exceptions that name the status code.",
        "Decode JSON explicitly and fail clearly on a malformed body.",
    ],
}


class ContextSection(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str
    body: str
    priority: int  # 0 = the spec itself, never dropped; higher numbers are dropped first
    tokens: int = 0


class Context(BaseModel):
    model_config = ConfigDict(frozen=True)

    sections: list[ContextSection]
    dropped: list[str] = Field(default_factory=list)  # titles of sections that did not fit the budget
    tokens: int = 0
    budget: int = 0

    @property
    def example_names(self) -> list[str]:
        return [
            section.title.removeprefix("Similar verified tool: ")
            for section in self.sections
            if section.title.startswith("Similar verified tool")
        ]


def _describe_params(spec: ToolSpec) -> str:
    if not spec.input_params:
        return "(no parameters)"
    lines = []
    for param in spec.input_params:
        default = "" if param.required else f", default {param.default!r}"
        lines.append(f"- `{param.name}` ({param.type}{default}): {param.description or 'no description'}")
    return "\n".join(lines)


class ContextBuilder:
    """Builds a Context for a spec within `budget_tokens`, counted by `count_tokens`."""

    def __init__(
        self,
        library: tuple[VerifiedTool, ...] | None = None,
        count_tokens: Callable[[str], int] = estimate_tokens,
        budget_tokens: int = 1200,
        max_examples: int = 2,
    ) -> None:
        self.retriever = ExampleRetriever(builtin_library() if library is None else library)
        self.count_tokens = count_tokens
        self.budget_tokens = budget_tokens
        self.max_examples = max_examples

    def build_context(self, spec: ToolSpec) -> Context:
        sections = [
            ContextSection(title="Purpose", body=spec.description.strip(), priority=0),
            ContextSection(title="Inputs", body=_describe_params(spec), priority=0),
        ]
        output = spec.output_format.strip() or "(not described)"
        if spec.output_type:
            output += f"\nReturn type: `{spec.output_type}`"
        sections.append(ContextSection(title="Output", body=output, priority=0))
        if spec.constraints:
            sections.append(
                ContextSection(
                    title="Constraints",
                    priority=0,
                    body="\n".join(f"- {constraint}" for constraint in spec.constraints),
                )
            )
        tool_type = spec.effective_tool_type
        practices = "\n".join(f"- {line}" for line in BEST_PRACTICES[tool_type])
        sections.append(ContextSection(title=f"Best practices for {tool_type.value} tools", body=practices, priority=1))
        for rank, tool in enumerate(self.retriever.similar(spec, self.max_examples)):
            body = f"Spec: {tool.spec.description}\n```python\n{tool.code.strip()}\n```"
            sections.append(
                ContextSection(title=f"Similar verified tool: {tool.spec.name}", body=body, priority=2 + rank)
            )
        return self._fit(sections)

    def _fit(self, sections: list[ContextSection]) -> Context:
        measured = [
            section.model_copy(update={"tokens": self.count_tokens(f"## {section.title}\n{section.body}")})
            for section in sections
        ]
        used = sum(section.tokens for section in measured if section.priority == 0)
        kept_titles: set[str] = set()
        dropped: list[str] = []
        for section in sorted((section for section in measured if section.priority > 0), key=lambda s: s.priority):
            if used + section.tokens <= self.budget_tokens:
                used += section.tokens
                kept_titles.add(section.title)
            else:
                dropped.append(section.title)
        kept = [section for section in measured if section.priority == 0 or section.title in kept_titles]
        return Context(sections=kept, dropped=dropped, tokens=used, budget=self.budget_tokens)
