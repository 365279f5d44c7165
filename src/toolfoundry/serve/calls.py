"""A call to a served tool: arguments checked against its input schema (and a whole float made an int where
the type says int), the function run in a sandbox of its own (or in this process, for the explicit opt-out),
the result checked against its output type.

What goes back is what an agent can act on: the value; a declared exception's class and message (the spec says
the tool raises it, so the message is meant for the caller); any other failure by its class alone, since its
message may carry paths or data from inside.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from dataclasses import dataclass
from typing import Any

import jsonschema

from ..evidence.types import TypeTree, type_tree
from ..sandbox import SandboxLimits, protocol
from ..sandbox.call import SandboxCall, call_in_sandbox
from ..sandbox.protocol import Record
from ..sandbox.values import normalise, type_problem
from .catalog import ServedTool


@dataclass(frozen=True)
class CallOutcome:
    """A value, or the text of a tool error."""

    value: Any = None
    error: str | None = None


def limits_for(seconds: float, memory_mb: int, processes: int, output_kb: int) -> SandboxLimits:
    """Per-call limits: the call's own timer, with the wall clock (sandbox start included) as the backstop."""
    return SandboxLimits(
        wall_seconds=seconds + 5,
        example_seconds=seconds,
        cpu_seconds=max(1, int(seconds) + 1),
        memory_bytes=memory_mb * 1024 * 1024,
        processes=processes,
        output_bytes=output_kb * 1024,
    )


def argument_problem(tool: ServedTool, arguments: dict[str, Any]) -> str | None:
    """What is wrong with the arguments, in words an agent can correct its call with, or None."""
    error = jsonschema.exceptions.best_match(tool.arguments_validator.iter_errors(arguments))
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path)
    return f"invalid arguments for {tool.spec.name}: {f'{where}: ' if where else ''}{error.message[:300]}"


_CONTAINERS = {"list": list, "tuple*": list, "set": list, "tuple": list, "dict": dict}  # as JSON carries them


@functools.lru_cache(maxsize=1024)
def _tree(expression: str) -> TypeTree:
    return type_tree(expression)


def _wants_int(value: float, tree: TypeTree) -> bool:
    kind = tree[0]
    return kind == "int" or (kind == "literal" and any(type(option) is int and option == value for option in tree[1]))


def _integral(value: Any, tree: TypeTree) -> Any:
    """`value` with each whole float that stands where `tree` asks for an int made that int."""
    kind = tree[0]
    if isinstance(value, float):
        if not value.is_integer():
            return value
        members = tree[1] if kind == "union" else [tree]
        if any(member[0] in ("float", "any") for member in members):  # it takes a float as it came
            return value
        return int(value) if any(_wants_int(value, member) for member in members) else value
    if kind == "union":
        shaped = [member for member in tree[1] if isinstance(value, _CONTAINERS.get(member[0], ()))]
        return _integral(value, shaped[0]) if len(shaped) == 1 else value  # two could take it: left alone
    if kind in ("list", "tuple*", "set") and isinstance(value, list):
        return [_integral(item, tree[1]) for item in value]
    if kind == "tuple" and isinstance(value, list):
        return [_integral(item, member) for item, member in zip(value, tree[1], strict=False)] + value[len(tree[1]) :]
    if kind == "dict" and isinstance(value, dict):  # JSON's keys are strings: only the values can be ints
        return {key: _integral(item, tree[2]) for key, item in value.items()}
    return value


def as_declared(tool: ServedTool, arguments: dict[str, Any]) -> dict[str, Any]:
    """Checked arguments with `1.0` made `1` wherever a parameter's type says int (in `list[int]`,
    `dict[str, int]`, `int | None` too). JSON Schema, so the argument check, counts 1.0 as an integer, and
    JSON does not tell 1.0 from 1; converted rather than refused, so the tool gets the int its type promises
    (`range(n)` fails on a float). Floats where the type says float are left as they came."""
    declared = {param.name: param.type for param in tool.spec.input_params}
    return {
        name: _integral(value, _tree(declared[name])) if name in declared else value
        for name, value in arguments.items()
    }


def _judged(tool: ServedTool, record: Record, refused: tuple[str, ...] = ()) -> CallOutcome:
    name = tool.spec.name
    status = record.get("status")
    if status == protocol.RETURNED:
        value = record.get("value")
        problem = type_problem(value, tool.returns)
        if problem:
            expected = tool.spec.output_type
            return CallOutcome(error=f"{name} returned a value that breaks its output type {expected}: {problem}")
        return CallOutcome(value=value)
    if status == protocol.TIMEOUT:
        return CallOutcome(error=f"{name} ran past its time limit and was stopped")
    exception = str(record.get("exception", "an exception"))
    if status == protocol.IMPORT_ERROR:
        return CallOutcome(error=f"{name} could not be loaded: importing it raised {exception}")
    declared = tool.spec.declared_exceptions & set(record.get("mro", [exception]))
    if declared:
        return CallOutcome(error=f"{exception}: {str(record.get('message', ''))[: protocol.MESSAGE_CHARS]}")
    text = f"{name} failed with {exception}"
    if refused:
        text += f" (its sandbox refused {', '.join(sorted(set(refused)))}: not in the tool's permissions.network)"
    return CallOutcome(error=text)


class SandboxedCalls:
    """Each call in a fresh bubblewrap sandbox with the tool's declared permissions."""

    def __init__(self, limits: SandboxLimits) -> None:
        self.limits = limits

    def call(self, tool: ServedTool, arguments: dict[str, Any]) -> CallOutcome:
        if problem := argument_problem(tool, arguments):
            return CallOutcome(error=problem)
        arguments = as_declared(tool, arguments)
        run: SandboxCall = call_in_sandbox(
            tool.code, tool.spec.name, arguments, self.limits, tool.mounts, tool.cwd, tool.network
        )
        if run.record is None:
            return CallOutcome(error=f"{tool.spec.name} did not finish ({run.ended})")
        return _judged(tool, run.record, run.refused)


class InProcessCalls:
    """The explicit opt-out (`--unsandboxed`): the module imported here and called in this process, with all
    of this process's rights. No limits hold; a tool that loops forever holds its worker thread for good."""

    def __init__(self) -> None:
        self._functions: dict[str, Any] = {}

    def _function(self, tool: ServedTool) -> Any:
        if tool.spec.name not in self._functions:
            module_spec = importlib.util.spec_from_file_location(f"_toolfoundry_{tool.spec.name}", tool.path)
            assert module_spec is not None and module_spec.loader is not None
            module = importlib.util.module_from_spec(module_spec)
            module_spec.loader.exec_module(module)
            self._functions[tool.spec.name] = getattr(module, tool.spec.name)
        return self._functions[tool.spec.name]

    def call(self, tool: ServedTool, arguments: dict[str, Any]) -> CallOutcome:
        if problem := argument_problem(tool, arguments):
            return CallOutcome(error=problem)
        arguments = as_declared(tool, arguments)
        try:
            function = self._function(tool)
        except BaseException as error:
            return _judged(tool, {"status": protocol.IMPORT_ERROR, "exception": type(error).__name__})
        try:
            value = function(**json.loads(json.dumps(arguments)))
        except Exception as error:
            return _judged(tool, protocol.raised(error))
        return _judged(tool, {"status": protocol.RETURNED, "value": normalise(value)})
