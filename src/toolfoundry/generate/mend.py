"""Cheap repairs that need no model call: they fix what weak models get wrong most often.

Each mend edits lines (comments survive) and says what it did, so the report shows the code as the model
wrote it and as it was mended. None of them can make wrong behaviour pass: the checks run after them.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import re
import sys

from ..errors import UnparsableCode
from ..safe_ast import parse_module
from ..spec import ToolSpec
from ..spec.typeexpr import names_used

_TYPING_NAMES = {
    "Any",
    "Optional",
    "Union",
    "Literal",
    "Callable",
    "List",
    "Dict",
    "Tuple",
    "Set",
    "FrozenSet",
}
# Names models use from the standard library without importing them; each has one obvious home.
_STDLIB_NAMES = {
    **dict.fromkeys(
        ["combinations", "permutations", "product", "chain", "groupby", "accumulate", "zip_longest", "islice"],
        "itertools",
    ),
    **dict.fromkeys(["Counter", "defaultdict", "OrderedDict", "deque", "namedtuple"], "collections"),
    **dict.fromkeys(["reduce", "lru_cache", "partial"], "functools"),
    **dict.fromkeys(["heappush", "heappop", "heapify", "nlargest", "nsmallest"], "heapq"),
    **dict.fromkeys(["bisect_left", "bisect_right", "insort"], "bisect"),
    **dict.fromkeys(["sqrt", "isqrt", "floor", "ceil", "inf"], "math"),
    "Path": "pathlib",
    "Decimal": "decimal",
    "Fraction": "fractions",
    "dataclass": "dataclasses",
}
_KEEP_AT_TOP = (
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Assign,
    ast.AnnAssign,
)


def _strip_top_level_code(code: str, tree: ast.Module, notes: list[str]) -> str:
    """Remove statements that would run on import: example calls, prints, `if __name__ == '__main__'`."""
    lines = code.splitlines()
    doomed: set[int] = set()
    for index, node in enumerate(tree.body):
        is_docstring = index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        if isinstance(node, _KEEP_AT_TOP) or is_docstring:
            continue
        doomed.update(range(node.lineno - 1, (node.end_lineno or node.lineno)))
    if not doomed:
        return code
    notes.append(f"removed {len(doomed)} line(s) of top-level code that would run on import")
    return "\n".join(line for number, line in enumerate(lines) if number not in doomed)


def _rename_function(code: str, tree: ast.Module, spec: ToolSpec, notes: list[str]) -> str:
    functions = [node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    if spec.name in functions or not functions:
        return code
    close = difflib.get_close_matches(spec.name, functions, n=1, cutoff=0.6)
    target = close[0] if close else (functions[0] if len(functions) == 1 else None)
    if target is None:
        return code
    notes.append(f"renamed function {target!r} to {spec.name!r}")
    return re.sub(rf"\b{re.escape(target)}\b(?=\s*\()", spec.name, code)


def _fix_signature(code: str, tree: ast.Module, spec: ToolSpec, notes: list[str]) -> str:
    """When the parameter names already match the spec, make annotations and defaults exactly the spec's."""
    function = next((node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == spec.name), None)
    if function is None or not function.body:
        return code
    arguments = function.args
    if arguments.vararg or arguments.kwarg or arguments.kwonlyargs or arguments.posonlyargs:
        return code
    if [argument.arg for argument in arguments.args] != [param.name for param in spec.input_params]:
        return code
    lines = code.splitlines()
    first, last = function.lineno - 1, function.body[0].lineno - 1
    header = "\n".join(lines[first:last])
    if function.decorator_list or header.count("def ") != 1:
        return code
    # The docstring, if on the same line as the def (one-liners), keeps the body intact below.
    indent = re.match(r"\s*", lines[first]).group(0)
    if lines[first].strip() == spec.signature():
        return code
    body_line = lines[last]
    if function.body[0].lineno == function.lineno:  # `def f(x): return x` on one line
        body_line = indent + "    " + body_line.split(":", 1)[1].strip()
        lines[last] = body_line
        lines[first : last + 1] = [indent + spec.signature(), body_line]
    else:
        lines[first:last] = [indent + spec.signature()]
    notes.append("set the signature to the spec's exact signature")
    return "\n".join(lines)


def _add_docstring(code: str, tree: ast.Module, spec: ToolSpec, notes: list[str]) -> str:
    function = next((node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == spec.name), None)
    if function is None or ast.get_docstring(function) is not None or not function.body:
        return code
    first = function.body[0]
    if first.lineno == function.lineno:
        return code
    lines = code.splitlines()
    indent = re.match(r"\s*", lines[first.lineno - 1]).group(0)
    summary = spec.description.strip().splitlines()[0].replace('"""', "'''")
    lines.insert(first.lineno - 1, f'{indent}"""{summary}"""')
    notes.append("added a docstring from the spec's description")
    return "\n".join(lines)


def _add_missing_imports(code: str, tree: ast.Module, spec: ToolSpec, notes: list[str]) -> str:
    defined: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            defined.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            defined.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.add(node.id)
    loaded = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    for param in spec.input_params:
        loaded |= names_used(param.type)
    if spec.output_type:
        loaded |= names_used(spec.output_type)
    missing = loaded - defined - set(dir(builtins))
    typing_names = sorted(missing & _TYPING_NAMES)
    modules = sorted(name for name in missing - _TYPING_NAMES if name in sys.stdlib_module_names)
    additions = [f"import {module}" for module in modules]
    for name in sorted(missing - _TYPING_NAMES - set(modules)):
        if name in _STDLIB_NAMES:  # `combinations(...)` with no import: a NameError no example may reach
            additions.append(f"from {_STDLIB_NAMES[name]} import {name}")
    if typing_names:
        additions.insert(0, f"from typing import {', '.join(typing_names)}")
    if not additions:
        return code
    notes.append(f"added missing imports: {'; '.join(additions)}")
    return "\n".join([*additions, code])


def mend(code: str, spec: ToolSpec) -> tuple[str, list[str]]:
    """Apply every mend that applies; returns the code and a note per mend made."""
    notes: list[str] = []
    for step in (
        _strip_top_level_code,
        _rename_function,
        _fix_signature,
        _add_docstring,
        _add_missing_imports,
    ):
        try:
            tree = parse_module(code)
        except UnparsableCode:
            return code, notes  # the syntax check will report it; nothing here can mend it safely
        try:
            code = step(code, tree, notes) if step is _strip_top_level_code else step(code, tree, spec, notes)
        except (RecursionError, MemoryError):
            return code, notes  # a tree too deep to walk: the checks will say so; a mend is only a shortcut
    return code.strip() + "\n", notes
