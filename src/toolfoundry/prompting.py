"""PromptBuilder: a spec and its context in, the messages for a model out.

One Jinja2 template per tool type (they share `_tool.j2` and differ in guidance) and one for repair.
Weak models do best when the signature is fixed for them, so a prompt also carries an assistant prefill:
the exact `def` line and an indent, for models that can continue a reply.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import jinja2
from pydantic import BaseModel, ConfigDict

from .models.base import Message
from .spec import ToolSpec, ToolType

if TYPE_CHECKING:
    from .checks import ValidationResult
    from .context import Context

# Bump when a template changes: it is part of cache keys and reports.
PROMPT_VERSION = "1"


# "full": context (best practices, similar verified tools) and rules, for capable models. "compact": the
# signature, description and examples alone, for small models, which a long prompt confuses more than it
# guides (measured on the quality set with SmolLM2-135M: benchmarks/quality.py).
class PromptStyle(StrEnum):
    FULL = "full"
    COMPACT = "compact"


PROMPT_STYLES = tuple(style.value for style in PromptStyle)

_TYPE_KEYWORDS: dict[ToolType, tuple[str, ...]] = {
    ToolType.API_CALLER: (
        "api",
        "http",
        "https",
        "url",
        "endpoint",
        "request",
        "fetch",
        "download",
        "rest",
        "webhook",
        "server",
        "json api",
        "status code",
    ),
    ToolType.FILE_MANIPULATION: (
        "file",
        "files",
        "path",
        "directory",
        "folder",
        "csv file",
        "read from",
        "write to",
        "disk",
        "filename",
        "line count",
    ),
    ToolType.DATA_PROCESSING: (
        "list of",
        "records",
        "rows",
        "average",
        "mean",
        "median",
        "sum",
        "aggregate",
        "group",
        "sort",
        "filter",
        "statistics",
        "dataset",
        "numbers",
        "matrix",
        "dict",
    ),
    ToolType.TEXT_PROCESSING: (
        "text",
        "string",
        "word",
        "words",
        "sentence",
        "slug",
        "regex",
        "characters",
        "lowercase",
        "uppercase",
        "email",
        "parse",
        "format",
        "markdown",
        "token",
    ),
}
_NETWORK_DEPENDENCIES = {"requests", "httpx", "aiohttp", "urllib3"}
_DATA_DEPENDENCIES = {"numpy", "pandas", "polars", "scipy"}


def detect_tool_type(spec: ToolSpec) -> ToolType:
    """The tool type that best fits a spec without one: dependencies first, then keyword evidence."""
    dependencies = {dependency.split(".")[0] for dependency in spec.dependencies}
    if spec.permissions.network or dependencies & _NETWORK_DEPENDENCIES:
        return ToolType.API_CALLER
    if spec.permissions.filesystem != "none":
        return ToolType.FILE_MANIPULATION
    if dependencies & _DATA_DEPENDENCIES:
        return ToolType.DATA_PROCESSING
    words = " ".join(
        [spec.name.replace("_", " "), spec.description, spec.output_format]
        + [f"{param.name.replace('_', ' ')} {param.description}" for param in spec.input_params]
    ).lower()
    scores = {
        tool_type: sum(len(re.findall(rf"\b{re.escape(keyword)}\b", words)) for keyword in keywords)
        for tool_type, keywords in _TYPE_KEYWORDS.items()
    }
    best = max(scores, key=lambda tool_type: scores[tool_type])
    return best if scores[best] > 0 else ToolType.DEFAULT


class Prompt(BaseModel):
    model_config = ConfigDict(frozen=True)

    messages: tuple[Message, ...]
    prefill: str  # the start of the reply for models that support it: fence, imports hint, def, docstring
    tool_type: ToolType
    kind: str  # "initial" or "repair"
    version: str = PROMPT_VERSION


def _python_literal(value: Any) -> str:
    return repr(value)


def docstring_for(spec: ToolSpec) -> str:
    """The docstring the generated function should carry: description, args, returns, doctest examples."""
    lines = [spec.description.strip().replace('"""', "'''")]
    if spec.input_params:
        lines += ["", "Args:"] + [f"    {param.name}: {param.description or param.type}" for param in spec.input_params]
    if spec.output_format:
        lines += ["", "Returns:", f"    {spec.output_format.strip()}"]
    examples = [example for example in spec.examples if not example.files][:3]
    if examples:
        lines += ["", "Examples:"]
        for example in examples:
            call = f"{spec.name}({', '.join(f'{key}={value!r}' for key, value in example.input.items())})"
            result = repr(example.output) if example.expects_output else f"raises {example.raises}"
            lines += [f"    >>> {call}", f"    {result}"]
    text = "\n".join(f"    {line}" if line else "" for line in lines).lstrip()
    return f'    """{text}\n    """'


class PromptBuilder:
    """Renders the template for a spec's tool type, or the repair template, into messages."""

    def __init__(self, templates: jinja2.Environment | None = None, style: str = "full") -> None:
        if style not in PROMPT_STYLES:
            raise ValueError(f"prompt style {style!r} is not one of {', '.join(PROMPT_STYLES)}")
        self.style = style
        self.environment = templates or jinja2.Environment(
            loader=jinja2.PackageLoader("toolfoundry", "prompts"),
            undefined=jinja2.StrictUndefined,  # a typo in a template fails loudly, not as an empty string
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.environment.filters["py"] = _python_literal
        self.environment.filters["json"] = lambda value: json.dumps(value, ensure_ascii=False)

    def determine_tool_type(self, spec: ToolSpec) -> ToolType:
        return spec.effective_tool_type

    def _variables(self, spec: ToolSpec, context: Context) -> dict[str, Any]:
        from .checks.security import allowed_filesystem, allows_network

        return {
            "spec": spec,
            "signature": spec.signature(),
            "context": context,
            "allowed_imports": sorted({dependency.split(".")[0] for dependency in spec.dependencies}),
            "network": allows_network(spec),
            "filesystem": allowed_filesystem(spec),
        }

    def prefill(self, spec: ToolSpec) -> str:
        # Measured on SmolLM2-135M: after a long docstring it closes the fence at once; after the bare
        # signature and an indent it writes a body far more often. The docstring is mended in afterwards.
        return f"```python\n{spec.signature()}\n    "

    @property
    def version(self) -> str:
        """What reports, resume checks and the library record: the template version and the style."""
        return PROMPT_VERSION if self.style == "full" else f"{PROMPT_VERSION}-{self.style}"

    def _prompt(self, template: str, variables: dict[str, Any], spec: ToolSpec, kind: str) -> Prompt:
        user = Message(role="user", content=self.environment.get_template(template).render(variables))
        messages = (user,)
        if self.style == "full":
            system = self.environment.get_template("system.j2").render(variables)
            messages = (Message(role="system", content=system), user)
        return Prompt(
            messages=messages,
            prefill=self.prefill(spec),
            tool_type=self.determine_tool_type(spec),
            kind=kind,
            version=self.version,
        )

    def build_prompt(self, spec: ToolSpec, context: Context) -> Prompt:
        variables = self._variables(spec, context)
        template = "compact.j2" if self.style == "compact" else f"{self.determine_tool_type(spec).value}.j2"
        return self._prompt(template, variables, spec, "initial")

    def build_repair_prompt(self, spec: ToolSpec, context: Context, code: str, result: ValidationResult) -> Prompt:
        variables = self._variables(spec, context) | {"code": code, "result": result}
        template = "compact_repair.j2" if self.style == "compact" else "repair.j2"
        return self._prompt(template, variables, spec, "repair")
