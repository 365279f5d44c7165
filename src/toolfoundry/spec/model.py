"""ToolSpec: what a tool must be. Immutable, validated, with every problem reported by field path.

Two things are decided here and nowhere else: the tool's type (declared, or detected from its words; it picks
prompts and practices) and its permissions (declared only: a keyword score never grants a privilege).
"""

from __future__ import annotations

import hashlib
import json
import keyword
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ..errors import SpecProblem, TypeExpressionError
from .example import MODULE_NAME, Example, exception_name_problem
from .permissions import Permissions
from .tool_type import ToolType, detect_tool_type
from .typeexpr import canonical_type, is_optional

_FROZEN = ConfigDict(frozen=True, extra="forbid")
# An exception named in a spec's words ("raise ValueError when ..."): the spec declares it as surely as a
# `raises:` entry, so a tool that raises it is doing what it was told.
_NAMED_EXCEPTION = re.compile(r"\b([A-Z][A-Za-z0-9]*(?:Error|Exception|Exit|Interrupt))\b")


def _check_identifier(value: str, what: str) -> str:
    if not value.isidentifier():
        raise ValueError(f"{what} {value!r} is not a Python identifier (letters, digits, _; not starting with a digit)")
    if keyword.iskeyword(value):
        raise ValueError(f"{what} {value!r} is a Python keyword")
    return value


def _identifier(what: str) -> AfterValidator:
    return AfterValidator(lambda value: _check_identifier(value, what))


def _checked_type(expression: str) -> str:
    """The canonical spelling, or a ValueError pydantic reports at the field's path."""
    try:
        return canonical_type(expression)
    except TypeExpressionError as error:
        raise ValueError(str(error)) from None


# A type expression as written in a spec, checked and stored in its canonical spelling.
TypeExpression = Annotated[str, AfterValidator(_checked_type)]


def _checked_exception(value: str) -> str:
    if problem := exception_name_problem(value):
        raise ValueError(problem)
    return value


# An exception class name, checked item by item so a problem names its index (`raises[1]`).
ExceptionName = Annotated[str, AfterValidator(_checked_exception)]


class Param(BaseModel):
    """One input parameter. A param with a default is optional; `required` says which."""

    model_config = _FROZEN

    name: Annotated[str, _identifier("parameter name")]
    type: TypeExpression = "Any"
    description: str = ""
    required: bool = True
    default: Any = None

    @model_validator(mode="before")
    @classmethod
    def _default_makes_optional(cls, data: Any) -> Any:
        # A `default:` key, even `default: null`, is what makes a parameter optional.
        if isinstance(data, dict) and "default" in data and "required" not in data:
            data = {**data, "required": False}
        return data

    @model_validator(mode="after")
    def _default_fits(self) -> Param:
        if not self.required and self.default is None and not is_optional(self.type):
            raise ValueError(f"default is null but type {self.type!r} does not admit None; write `{self.type} | None`")
        return self


class ToolSpec(BaseModel):
    """A tool specification: the contract the generated function must meet."""

    model_config = _FROZEN

    name: Annotated[str, _identifier("tool name")]
    description: str = Field(min_length=1)
    input_params: list[Param] = Field(default_factory=list)
    output_format: str = ""
    output_type: TypeExpression | None = None
    constraints: list[str] = Field(default_factory=list)
    examples: list[Example] = Field(default_factory=list)
    tool_type: ToolType | None = None
    dependencies: list[str] = Field(default_factory=list)
    permissions: Permissions = Field(default_factory=Permissions)
    raises: list[ExceptionName] = Field(
        default_factory=list, description="exception classes the tool may raise by design"
    )
    title: str | None = Field(default=None, description="a human-readable name; from `name` when not given")
    idempotent: bool | None = Field(default=None, description="calling twice with the same input does no more")

    @field_validator("dependencies")
    @classmethod
    def _dependencies_are_modules(cls, values: list[str]) -> list[str]:
        for value in values:
            if not MODULE_NAME.match(value):
                raise ValueError(f"{value!r} is not an importable module name")
        return values

    @model_validator(mode="after")
    def _params_and_examples_agree(self, info: ValidationInfo) -> ToolSpec:
        # The parser asks to defer these so it can list them beside other problems instead of stopping here.
        if not (info.context or {}).get("defer_cross_checks"):
            problems = cross_field_problems(self)
            if problems:
                raise ValueError("; ".join(str(problem) for problem in problems))
        return self

    @property
    def effective_tool_type(self) -> ToolType:
        """The declared tool type, or the one detected from the description, params and dependencies."""
        return self.tool_type or detect_tool_type(self)

    @property
    def effective_filesystem(self) -> Literal["none", "read", "write"]:
        """What the code may do with files: as declared, never guessed from the description."""
        return self.permissions.filesystem

    @property
    def effective_network(self) -> bool:
        """Whether the code may use the network: only when it declares host:port pairs."""
        return bool(self.permissions.network)

    @property
    def reaches_outside(self) -> bool:
        """Whether the tool is meant to touch files or the network (declared permissions; examples that place
        files must declare them). The evidence uses this: a path-splitting tool computes, and is probed."""
        return self.permissions.filesystem != "none" or bool(self.permissions.network)

    @property
    def undeclared_access(self) -> str | None:
        """A note when the spec reads like a file or API tool but declares no such access (nothing is granted
        for it: the note says how to declare what the tool needs), else None."""
        kind = self.effective_tool_type
        if kind is ToolType.FILE_MANIPULATION and self.permissions.filesystem == "none":
            return f"{self.name} reads like a file tool but declares no file access, so its code may not open files"
        if kind is ToolType.API_CALLER and not self.permissions.network:
            return f"{self.name} reads like an API caller but declares no hosts, so its code may not use the network"
        return None

    @property
    def display_title(self) -> str:
        """The title an agent's user sees: the spec's, or the name in words (`word_count` -> "Word count")."""
        return self.title or self.name.replace("_", " ").strip().capitalize()

    @property
    def declared_exceptions(self) -> frozenset[str]:
        """Exceptions the tool may raise by design (class names, last part only): its `raises:` list, what an
        example expects, and any exception its description, output format or constraints name."""
        named = [self.description, self.output_format, *self.constraints]
        from_text = {match for text in named for match in _NAMED_EXCEPTION.findall(text)}
        from_examples = {example.raises for example in self.examples if example.raises}
        return frozenset(name.rsplit(".", 1)[-1] for name in {*self.raises, *from_examples, *from_text})

    def signature(self) -> str:
        """The exact `def` line the generated function must have."""
        parts = []
        for param in self.input_params:
            text = f"{param.name}: {param.type}"
            parts.append(text if param.required else f"{text} = {param.default!r}")
        returns = f" -> {self.output_type}" if self.output_type else ""
        return f"def {self.name}({', '.join(parts)}){returns}:"

    def spec_hash(self) -> str:
        """A stable hash of the whole spec, for reports, caches and libraries."""
        data = self.model_dump(mode="json")
        # Fields added later count only when given, so a spec written before them keeps its hash: its cached
        # replies, library entry and finished tools (--resume) are still recognised.
        for key in ("title", "idempotent"):
            if data[key] is None:
                del data[key]
        if not data["permissions"]["paths"]:
            del data["permissions"]["paths"]
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _undeclared_hosts(spec: ToolSpec, example: Example) -> list[str]:
    """Recorded exchanges with hosts the spec does not declare: replay would answer what serving refuses."""
    declared = set(spec.permissions.network)
    problems = []
    for number, interaction in enumerate(example.http or []):
        where = urlsplit(interaction["request"]["uri"])
        port = where.port or (443 if where.scheme == "https" else 80)
        if f"{where.hostname}:{port}" not in declared and f"*:{port}" not in declared:
            problems.append(
                f"exchange {number} reaches {where.hostname}:{port}, which permissions.network does not declare"
            )
    return problems


def cross_field_problems(spec: ToolSpec) -> list[SpecProblem]:
    """Problems that involve more than one field: duplicate params, order of defaults, example keys."""
    problems: list[SpecProblem] = []
    names = [param.name for param in spec.input_params]
    for index, param in enumerate(spec.input_params):
        if names.index(param.name) != index:
            problems.append(SpecProblem(f"input_params[{index}].name", f"duplicate parameter name {param.name!r}"))
    seen_optional = False
    for index, param in enumerate(spec.input_params):
        if param.required and seen_optional:
            problems.append(
                SpecProblem(f"input_params[{index}]", f"required parameter {param.name!r} follows an optional one")
            )
        seen_optional = seen_optional or not param.required
    required = {param.name for param in spec.input_params if param.required}
    for index, example in enumerate(spec.examples):
        unknown = sorted(set(example.input) - set(names))
        missing = sorted(required - set(example.input))
        if unknown:
            problems.append(
                SpecProblem(f"examples[{index}].input", f"unknown parameters {unknown}; the params are {names}")
            )
        if missing:
            problems.append(SpecProblem(f"examples[{index}].input", f"missing required parameters {missing}"))
        problems += [SpecProblem(f"examples[{index}].http", text) for text in _undeclared_hosts(spec, example)]
        for field, given in (("files", example.files), ("files_after", example.files_after)):
            if given and spec.permissions.filesystem == "none":
                problems.append(
                    SpecProblem(
                        f"examples[{index}].{field}",
                        f"the example {'places' if field == 'files' else 'expects'} files but the spec allows none: "
                        "declare `permissions: {filesystem: read}` (or `write`)",
                    )
                )
    return problems
