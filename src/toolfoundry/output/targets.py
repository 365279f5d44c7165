"""Output targets: what a generated tool becomes so that an agent can call it.

Every target is one Jinja2 template in `templates/` rendered from one view of the spec (`ToolView`), then
formatted with `ruff format` and checked with `ruff check` (Python targets). Adding a target is a template and
an entry in TARGETS. Wrappers import the tool's module, which is always written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..errors import Inexpressible, TargetError
from ..spec import Param, ToolSpec
from ..spec.schema import nullable, type_to_schema
from ..spec.typeexpr import names_used
from .ruff import ruff_clean
from .templates import environment


@dataclass(frozen=True)
class Target:
    template: str
    filename: str  # a format string over the tool's name, or a fixed name for run-wide targets
    per_run: bool = False  # one file for every tool of the run (an MCP server of them all)
    json_only: bool = False  # needs every parameter to have a JSON form


TARGETS: dict[str, Target] = {
    "module": Target("module.py.j2", "{name}.py"),
    "mcp": Target("mcp_server.py.j2", "mcp_server.py", per_run=True, json_only=True),
    "openai-schema": Target("openai_tool.json.j2", "{name}.openai.json", json_only=True),
    "anthropic-schema": Target("anthropic_tool.json.j2", "{name}.anthropic.json", json_only=True),
    "langchain": Target("langchain_tool.py.j2", "{name}_langchain.py", json_only=True),
    "smolagents": Target("smolagents_tool.py.j2", "{name}_smolagents.py", json_only=True),
    "pytest": Target("test_tool.py.j2", "test_{name}.py"),
}
# smolagents' own type names for JSON Schema types.
_SMOLAGENTS_TYPES = {
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "array": "array",
    "object": "object",
    "null": "null",
}


@dataclass(frozen=True)
class ParamView:
    name: str
    type: str
    description: str
    required: bool
    default: Any
    schema: dict[str, Any]  # JSON Schema with the default, for MCP, Anthropic, LangChain
    strict_schema: dict[str, Any] | None  # OpenAI strict mode: nullable and described when optional


@dataclass(frozen=True)
class ToolView:
    """One model of a spec for every template."""

    spec: ToolSpec
    name: str
    class_name: str
    description: str
    params: list[ParamView]
    output_schema: dict[str, Any] | None
    typing_imports: list[str]

    def input_schema(self, strict: bool = False) -> dict[str, Any]:
        if strict:
            properties = {param.name: param.strict_schema for param in self.params}
            required = [param.name for param in self.params]
            return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}
        properties = {param.name: param.schema for param in self.params}
        return {
            "type": "object",
            "properties": properties,
            "required": [param.name for param in self.params if param.required],
        }

    @property
    def strict(self) -> bool:
        return all(param.strict_schema is not None for param in self.params)

    def smolagents_type(self, schema: dict[str, Any]) -> str:
        kind = schema.get("type")
        kinds = [kind] if isinstance(kind, str) else [k for k in (kind or []) if k != "null"]
        return _SMOLAGENTS_TYPES.get(kinds[0], "any") if len(kinds) == 1 else "any"


def _param_view(param: Param, target: str) -> ParamView:
    try:
        schema = type_to_schema(param.type)
    except Inexpressible as error:
        raise TargetError(f"target {target!r} cannot express parameter `{param.name}: {param.type}`: {error}") from None
    if param.description:
        schema = {"description": param.description, **schema}
    if not param.required:
        schema = {**schema, "default": param.default}
    try:
        strict = type_to_schema(param.type, strict=True)
        description = param.description
        if not param.required:
            strict = nullable(strict)
            description += f" (optional: null means the default, {json.dumps(param.default)})"
        strict = {"description": description, **strict} if description else strict
    except Inexpressible:
        strict = None
    return ParamView(param.name, param.type, param.description, param.required, param.default, schema, strict)


def tool_view(spec: ToolSpec, target: str = "module") -> ToolView:
    output_schema = None
    if spec.output_type and spec.output_type not in {"Any", "object"}:
        try:
            output_schema = type_to_schema(spec.output_type)
        except Inexpressible:
            output_schema = None
    needed: set[str] = set()
    for expression in [param.type for param in spec.input_params] + [spec.output_type or "None"]:
        needed |= names_used(expression)
    return ToolView(
        spec=spec,
        name=spec.name,
        class_name="".join(part.capitalize() for part in spec.name.split("_") if part) + "Tool",
        description=spec.description.strip(),
        params=[_param_view(param, target) for param in spec.input_params],
        output_schema=output_schema,
        typing_imports=sorted(needed & {"Any", "Literal", "Callable"}),
    )


def check_targets(names: list[str], specs: list[ToolSpec]) -> list[str]:
    """The targets, checked against every spec before any model call; raises TargetError naming the problem."""
    unknown = [name for name in names if name not in TARGETS]
    if unknown:
        raise TargetError(f"unknown target {', '.join(map(repr, unknown))}; known targets: {', '.join(TARGETS)}")
    chosen = ["module", *[name for name in dict.fromkeys(names) if name != "module"]]
    for name in chosen:
        if TARGETS[name].json_only:
            for spec in specs:
                tool_view(spec, name)
    return chosen


def render_target(name: str, tools: list[dict[str, Any]]) -> dict[str, str]:
    """Files for one target: `tools` are dicts with `view` (a ToolView) and the module's other values."""
    target = TARGETS[name]
    template = environment().get_template(target.template)
    batches = [tools] if target.per_run else [[tool] for tool in tools]
    files: dict[str, str] = {}
    for batch in batches:
        filename = target.filename.format(name=batch[0]["view"].name)
        source = template.render(tools=batch, tool=batch[0], view=batch[0]["view"])
        # Templates render without their final newline (prompts want none); a file ends with one.
        files[filename] = ruff_clean(source, filename) if filename.endswith(".py") else source.rstrip("\n") + "\n"
    return files


def render_targets(names: list[str], specs: list[ToolSpec]) -> dict[str, str]:
    """Every file of every target but `module` (the injector writes that), for the specs of one run."""
    files: dict[str, str] = {}
    for name in names:
        if name != "module":
            files |= render_target(name, [{"view": tool_view(spec, name)} for spec in specs])
    return files
