"""The tools in a folder, and what each may touch, learned without running any of their code.

A tool is a `<name>.py` module (what `generate` writes) that is not another target's wrapper. Its spec is the
spec file beside it (`<name>.yaml`, `.yml` or `.json`: a person wrote that) or else its TOOL_SPEC, read as a
literal with `ast.literal_eval`: code cannot widen its own permissions, because nothing of it runs here. The
code is read once, when the server starts; each call runs that text in a sandbox.
"""

from __future__ import annotations

import ast
import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from ..errors import ServeError, SpecError, TargetError, UnparsableCode
from ..evidence.types import type_tree
from ..output.targets import TARGETS, ToolView, tool_view
from ..safe_ast import limit_problem, parse_module
from ..sandbox.boundary import Bind, Mounts
from ..spec import ToolSpec, ToolSpecificationParser
from .confinement import confinement_problems
from .confinement import inside as lies_inside

# Directories no tool may have bound in: the whole host, or the kernel's and the sandbox's own.
_NEVER_BOUND = ("/proc", "/sys", "/dev", "/job", "/sandbox")


def _wrapper_patterns() -> list[re.Pattern[str]]:
    """File names the other targets write (`mcp_server.py`, `<name>_langchain.py`, `test_<name>.py`)."""
    names = [target.filename for key, target in TARGETS.items() if key != "module" and target.filename.endswith(".py")]
    return [re.compile("^" + re.escape(name).replace(re.escape("{name}"), ".+") + "$") for name in names]


@dataclass(frozen=True)
class ServedTool:
    """One tool as the server knows it: its spec and view, its code, and where its sandbox may reach."""

    spec: ToolSpec
    view: ToolView
    code: str
    path: Path
    status: str  # TOOL_STATUS, or "unknown"
    mounts: Mounts  # declared directories, each bound by the descriptor opened when it was checked
    cwd: str | None  # the first declared directory: relative paths in a call mean the same as for the checks

    @property
    def network(self) -> tuple[str, ...]:
        return tuple(self.spec.permissions.network)

    # Built once per tool, not once per call: every call checks its arguments and its result against these.
    @functools.cached_property
    def arguments_validator(self) -> jsonschema.Draft202012Validator:
        return jsonschema.Draft202012Validator(self.view.input_schema() | {"additionalProperties": False})

    @functools.cached_property
    def returns(self) -> list[Any]:
        """The output type as the tree the harness's type check reads."""
        return type_tree(self.spec.output_type)


def _literal(tree: ast.Module, name: str, path: Path) -> Any:
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        if any(isinstance(target, ast.Name) and target.id == name for target in targets) and node.value is not None:
            try:
                return ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
                raise ServeError(
                    f"{path}: {name} is not a literal; permissions are never learned by running a tool's code"
                ) from None
    return None


def _spec_of(path: Path, tree: ast.Module) -> ToolSpec:
    parser = ToolSpecificationParser()
    beside = [path.with_suffix(suffix) for suffix in (".yaml", ".yml", ".json") if path.with_suffix(suffix).is_file()]
    try:
        if beside:
            specs = parser.parse_file(beside[0])
            if len(specs) != 1:
                raise ServeError(f"{beside[0]}: holds {len(specs)} specs; the spec beside a tool describes it alone")
            return specs[0]
        raw = _literal(tree, "TOOL_SPEC", path)
        if raw is None:
            raise ServeError(f"{path}: no TOOL_SPEC in the module and no spec file ({path.stem}.yaml) beside it")
        if not isinstance(raw, dict):
            raise ServeError(f"{path}: TOOL_SPEC is a {type(raw).__name__}, not a mapping")
        return parser.parse(raw, source=f"{path} (TOOL_SPEC)")
    except SpecError as error:
        raise ServeError(str(error)) from None


def _mounts(spec: ToolSpec, folder: Path, path: Path) -> Mounts:
    mounts: list[Bind] = []
    for written in spec.permissions.paths:
        inside = Path(os.path.expanduser(written))
        inside = inside if inside.is_absolute() else folder / inside
        inside = Path(os.path.normpath(inside))
        host = inside.resolve()
        if not host.is_dir():
            raise ServeError(f"{path}: permissions.paths names {written!r}, which is not an existing directory")
        for place in dict.fromkeys([str(inside), str(host)]):  # as written first: the working directory
            if place == "/" or any(lies_inside(place, root) for root in _NEVER_BOUND):
                raise ServeError(f"{path}: permissions.paths names {written!r}; {place} is never bound into a sandbox")
            try:
                mounts.append(Bind.open(str(host), place, spec.permissions.filesystem == "write"))
            except OSError as error:  # it changed since resolve(): a link now stands on the way
                raise ServeError(f"{path}: permissions.paths names {written!r}; {host}: {error.strerror}") from None
    return tuple(mounts)


def load_tool(path: Path) -> ServedTool:
    """One tool module read (bounded, parsed, never run), its spec found, its permissions checked."""
    try:
        code = path.read_text(encoding="utf-8")
        if problem := limit_problem(code):
            raise ServeError(f"{path}: {problem}")
        tree = parse_module(code)
    except (OSError, UnicodeDecodeError) as error:
        raise ServeError(f"{path}: cannot be read ({error})") from None
    except UnparsableCode as error:
        raise ServeError(f"{path}: is not Python a server can read ({error})") from None
    spec = _spec_of(path, tree)
    if spec.name != path.stem:
        raise ServeError(f"{path}: its spec is named {spec.name!r}; a tool module is named after its tool")
    try:
        view = tool_view(spec, "mcp")
    except TargetError as error:
        raise ServeError(f"{path}: {error}") from None
    status = _literal(tree, "TOOL_STATUS", path)
    mounts = _mounts(spec, path.parent, path)
    cwd = mounts[0].inside if mounts else None
    return ServedTool(spec, view, code, path, status if isinstance(status, str) else "unknown", mounts, cwd)


def load_folder(folder: Path, only: list[str] | None = None, writable_tools: bool = False) -> list[ServedTool]:
    """Every tool in `folder` (or those named in `only`); ServeError when there is none, one is unusable, or
    their directories would let one reach past its permissions (serve/confinement.py; `writable_tools` is the
    opt-out for tools that may write their own folder)."""
    if not folder.is_dir():
        raise ServeError(f"{folder}: not a folder")
    wrappers = _wrapper_patterns()
    modules = sorted(
        path
        for path in folder.glob("*.py")
        if path.is_file() and not any(pattern.match(path.name) for pattern in wrappers) and path.stem.isidentifier()
    )
    if only:
        unknown = sorted(set(only) - {path.stem for path in modules})
        if unknown:
            raise ServeError(f"{folder}: no tool module for {unknown}")
        modules = [path for path in modules if path.stem in only]
    if not modules:
        raise ServeError(f"{folder}: holds no tool modules (<name>.py with a TOOL_SPEC, as `generate` writes them)")
    tools = [load_tool(path) for path in modules]
    if problems := confinement_problems(folder, tools, writable_tools):
        raise ServeError("\n".join(problems))
    return tools
