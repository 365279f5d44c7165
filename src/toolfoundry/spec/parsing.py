"""ToolSpecificationParser: spec files and dicts in, validated ToolSpecs out.

Formats read: toolfoundry's own YAML/JSON, the OpenAI function-calling tool format (nested
`{"type": "function", "function": {...}}` and the flat Responses-API form), MCP tool definitions
(`inputSchema`, `outputSchema`) and Anthropic tools (`input_schema`). A file may hold one spec or a list of
them. Every problem in a spec is collected with its field path, so a user fixes them all in one go.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import SpecError, SpecProblem
from .cassettes import read_cassettes
from .model import ToolSpec, cross_field_problems
from .schema import json_schema_to_type

# Keys toolfoundry adds to OpenAI/MCP definitions; they sit beside the foreign keys.
# How an optional parameter's default is carried in strict-mode schemas (which forbid `default`).
STRICT_DEFAULT = re.compile(r" \(optional: null means the default, (.*)\)$")
_NATIVE_EXTRAS = (
    "output_format",
    "output_type",
    "constraints",
    "examples",
    "tool_type",
    "dependencies",
    "permissions",
    "raises",
    "title",
    "idempotent",
)


def _params_from_json_schema(schema: Any, where: str, problems: list[SpecProblem]) -> list[dict[str, Any]]:
    if schema is None:
        return []
    if not isinstance(schema, dict):
        problems.append(SpecProblem(where, "must be a JSON Schema object"))
        return []
    if schema.get("type", "object") != "object":
        problems.append(SpecProblem(f"{where}.type", f"must be 'object', got {schema.get('type')!r}"))
        return []
    properties = schema.get("properties") or {}
    if not isinstance(properties, dict):
        problems.append(SpecProblem(f"{where}.properties", "must be a mapping of parameter name to schema"))
        return []
    required = set(schema.get("required") or [])
    for name in sorted(required - set(properties)):
        problems.append(SpecProblem(f"{where}.required", f"{name!r} is required but has no property"))
    params: list[dict[str, Any]] = []
    # Required params first: Python puts parameters with defaults last.
    ordered = sorted(properties.items(), key=lambda item: item[0] not in required)
    for name, prop in ordered:
        prop = prop if isinstance(prop, dict) else {}
        param: dict[str, Any] = {
            "name": name,
            "type": json_schema_to_type(prop),
            "description": prop.get("description", ""),
        }
        marker = STRICT_DEFAULT.search(param["description"])
        if name in required and marker:
            # Strict mode cannot say "optional": toolfoundry writes such params as nullable and required,
            # with the default in the description. Read them back as they were.
            param["description"] = param["description"][: marker.start()]
            param["default"] = json.loads(marker.group(1))
            if param["default"] is not None:
                param["type"] = param["type"].removesuffix(" | None")
            params.append(param)
            continue
        if name not in required:
            param["default"] = prop.get("default")
            if "default" not in prop and not param["type"].endswith("| None") and param["type"] != "Any":
                param["type"] = f"{param['type']} | None"
        params.append(param)
    return params


def _detect_format(data: dict[str, Any]) -> str:
    if data.get("type") == "function" and isinstance(data.get("function"), dict):
        return "openai"
    if data.get("type") == "function" and "parameters" in data:
        return "openai-flat"
    if "inputSchema" in data:
        return "mcp"
    if "input_schema" in data:
        return "anthropic"
    return "native"


def _normalise(data: dict[str, Any], problems: list[SpecProblem]) -> dict[str, Any]:
    """Turn any supported format into the native dict shape."""
    form = _detect_format(data)
    if form == "native":
        return data
    if form == "openai":
        body = {**data["function"], **{key: data[key] for key in _NATIVE_EXTRAS if key in data}}
        schema_key, prefix = "parameters", "function.parameters"
    elif form == "openai-flat":
        body, schema_key, prefix = data, "parameters", "parameters"
    elif form == "anthropic":
        body, schema_key, prefix = data, "input_schema", "input_schema"
    else:
        body, schema_key, prefix = data, "inputSchema", "inputSchema"
    native = {key: body[key] for key in ("name", "description", *_NATIVE_EXTRAS) if key in body}
    native["input_params"] = _params_from_json_schema(body.get(schema_key), prefix, problems)
    if form == "mcp" and isinstance(body.get("outputSchema"), dict) and "output_type" not in native:
        native["output_type"] = json_schema_to_type(body["outputSchema"])
        native.setdefault("output_format", body["outputSchema"].get("description", ""))
    return native


def _problems_from_validation(error: ValidationError) -> list[SpecProblem]:
    problems = []
    for detail in error.errors():
        path = ""
        for part in detail["loc"]:
            if isinstance(part, int):
                path += f"[{part}]"
            elif not str(part).isidentifier():
                path += f"[{str(part)!r}]"  # a key no dotted path can show: `examples[0].input['a b']`
            else:
                path += f".{part}" if path else str(part)
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "missing":
            message = "is required"
        elif detail["type"] == "extra_forbidden":
            message = "is not a known field"
        problems.append(SpecProblem(path, message))
    return problems


# A spec file is hostile input: bounded before the rest of the pipeline walks it (validation, hashing and JSON
# walk every value, so deep nesting or a YAML alias bomb would cost them far more than it cost the loader).
MAX_SPEC_CHARS = 2_000_000
MAX_SPEC_DEPTH = 40
MAX_SPEC_VALUES = 200_000


def _size_problem(document: Any) -> str | None:
    """Whether a loaded document nests too deeply or holds too many values (aliases counted each time they are
    used, as validation will meet them), found without recursion and without walking past the limits."""
    stack, values = [(document, 1)], 0
    while stack:
        value, depth = stack.pop()
        values += 1
        if depth > MAX_SPEC_DEPTH:
            return f"nests deeper than {MAX_SPEC_DEPTH} levels"
        if values > MAX_SPEC_VALUES:
            return f"holds more than {MAX_SPEC_VALUES:,} values (YAML aliases count each time they are used)"
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        stack.extend((child, depth + 1) for child in children)
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(value: str) -> str:
    """A string as JSON reads it: an escaped surrogate pair (YAML keeps `"\\ud83d\\ude00"` as two halves) becomes
    its one character; a lone half stays, for the caller to refuse (no file can hold it)."""
    if not _SURROGATE.search(value):
        return value
    return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _whole_text(document: Any, path: str = "") -> tuple[Any, SpecProblem | None]:
    """The document with surrogate pairs joined, or a problem naming a lone surrogate and where it is. Call
    after _size_problem: it walks the document recursively, which the size limits keep shallow."""
    if isinstance(document, str):
        joined = _text(document)
        lone = _SURROGATE.search(joined)
        problem = f"holds a lone surrogate {lone.group()!a}, which is not text: {joined[:40]!a}" if lone else ""
        return joined, SpecProblem(path, problem) if problem else None
    if isinstance(document, list):
        items = [_whole_text(item, f"{path}[{index}]") for index, item in enumerate(document)]
        return [item for item, _ in items], next((problem for _, problem in items if problem), None)
    if isinstance(document, dict):
        pairs = [
            (_whole_text(key, path), _whole_text(value, f"{path}.{key}" if path else str(key)))
            for key, value in document.items()
        ]
        problem = next(
            (p for (_, key_problem), (_, value_problem) in pairs for p in (key_problem, value_problem) if p), None
        )
        return {key: value for (key, _), (value, _) in pairs}, problem
    return document, None


class ToolSpecificationParser:
    """Reads tool specifications from files, strings or dicts, in any supported format."""

    def parse(self, raw: dict[str, Any] | str, source: str = "<spec>") -> ToolSpec:
        """Parse one spec from a dict or from YAML/JSON text."""
        specs = self.parse_many(raw, source)
        if len(specs) != 1:
            raise SpecError(source, [SpecProblem("", f"expected one tool specification, found {len(specs)}")])
        return specs[0]

    def parse_many(self, raw: Any, source: str = "<spec>") -> list[ToolSpec]:
        """Parse a spec or a list of specs; raises SpecError listing every problem in all of them."""
        if isinstance(raw, str):
            raw = self._load_text(raw, source)
        raw, problem = _whole_text(raw)
        if problem is not None:
            raise SpecError(source, [problem])
        entries = raw if isinstance(raw, list) else [raw]
        if isinstance(raw, dict) and isinstance(raw.get("tools"), list):  # MCP tools/list result
            entries = raw["tools"]
        if not entries:
            raise SpecError(source, [SpecProblem("", "holds no tool specification")])
        specs: list[ToolSpec] = []
        problems: list[SpecProblem] = []
        for index, entry in enumerate(entries):
            prefix = f"[{index}]" if len(entries) > 1 else ""
            spec, entry_problems = self._parse_entry(entry)
            problems += [
                SpecProblem(f"{prefix}{'.' if prefix and p.path else ''}{p.path}", p.message) for p in entry_problems
            ]
            if spec is not None:
                specs.append(spec)
        if problems:
            raise SpecError(source, problems)
        return specs

    def parse_file(self, path: str | Path) -> list[ToolSpec]:
        """Parse every spec in a .yaml, .yml or .json file."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SpecError(str(path), [SpecProblem("", "file not found")]) from None
        except (OSError, UnicodeDecodeError) as error:
            raise SpecError(str(path), [SpecProblem("", f"cannot be read: {error}")]) from None
        loaded = self._load_text(text, str(path))
        if problems := read_cassettes(loaded, path.parent):  # `http: stars.yaml`: a cassette beside the spec
            raise SpecError(str(path), problems)
        return self.parse_many(loaded, str(path))

    @staticmethod
    def _load_text(text: str, source: str) -> Any:
        if not text.strip():
            raise SpecError(source, [SpecProblem("", "is empty; a spec needs at least name and description")])
        if len(text) > MAX_SPEC_CHARS:
            problem = f"is {len(text):,} characters, over the limit of {MAX_SPEC_CHARS:,} for a spec file"
            raise SpecError(source, [SpecProblem("", problem)])
        try:
            # YAML is a superset of JSON, so one loader reads both.
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(error, "problem", None) or str(error)
            raise SpecError(source, [SpecProblem(where, f"not valid YAML or JSON: {problem}")]) from None
        except RecursionError:  # PyYAML composes recursively: thousands of nested brackets end here
            raise SpecError(source, [SpecProblem("", f"nests deeper than {MAX_SPEC_DEPTH} levels")]) from None
        problem = _size_problem(loaded)
        if problem is not None:
            raise SpecError(source, [SpecProblem("", problem)])
        return loaded

    def _parse_entry(self, entry: Any) -> tuple[ToolSpec | None, list[SpecProblem]]:
        if not isinstance(entry, dict):
            kind = type(entry).__name__ if entry is not None else "nothing"
            return None, [SpecProblem("", f"must be a mapping with name, description, ...; got {kind}")]
        problems: list[SpecProblem] = []
        data = _normalise(entry, problems)
        try:
            spec = ToolSpec.model_validate(data, context={"defer_cross_checks": True})
        except ValidationError as error:
            return None, problems + _problems_from_validation(error)
        problems += cross_field_problems(spec)
        return (None if problems else spec), problems
