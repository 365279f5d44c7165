"""The tool module: a checked implementation (or an honest stub) with the spec's docstring, status and TOOL_SPEC."""

from __future__ import annotations

import ast
import pprint
import re

from .._version import __version__
from ..safe_ast import parse_module
from ..spec import ToolSpec
from ..spec.typeexpr import names_used
from .ruff import format_python
from .templates import render

_TYPING_NAMES = ("Any", "Callable", "Literal", "Optional", "Union")


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


def stub_code(spec: ToolSpec, reason: str) -> str:
    """The last resort: the exact signature, the spec as docstring, and NotImplementedError. Never fake work."""
    needed = set()
    for expression in [param.type for param in spec.input_params] + [spec.output_type or "None"]:
        needed |= names_used(expression)
    imports = [name for name in _TYPING_NAMES if name in needed]
    header = f"from typing import {', '.join(imports)}\n\n\n" if imports else ""
    message = f"{spec.name}: toolfoundry could not generate a working implementation ({reason})"
    return f"{header}{spec.signature()}\n{docstring_for(spec)}\n    raise NotImplementedError({message!r})\n"


def _without_future_imports(code: str) -> str:
    # `from __future__` must open a module; the template's docstring comes first, so they are dropped here.
    return re.sub(r"^from __future__ import [^\n]+\n", "", code, flags=re.MULTILINE)


class ImplementationInjector:
    """Puts an implementation into the module template (`templates/module.py.j2`) and formats the result."""

    def inject(
        self, implementation: str, spec: ToolSpec, *, status: str, reason: str = "", model: str = "", evidence: str = ""
    ) -> str:
        """The complete module source. Raises UnparsableCode if the result would not parse (a template bug).
        `evidence` is the report's one line (`verified: 3/3 examples, 100 probes clean`), stated in the docstring."""
        lines = spec.description.strip().splitlines()
        source = render(
            "module.py.j2",
            spec=spec,
            summary=lines[0].replace('"""', "'''"),
            details="\n".join(lines[1:]).strip().replace('"""', "'''"),
            implementation=_without_future_imports(implementation).strip(),
            spec_literal=pprint.pformat(spec.model_dump(mode="json"), sort_dicts=False, width=100),
            status=status,
            evidence=evidence,
            reason=reason.replace('"""', "'''"),
            model=model or "no model",
            version=__version__,
        )
        parse_module(source)  # the pieces were checked; this guards the template itself
        return format_python(source, f"{spec.name}.py")


def implementation_of(module_source: str) -> str:
    """The implementation inside a module this injector wrote (or any module): without the module docstring
    and the TOOL_SPEC / TOOL_STATUS / __all__ block, so it can be injected again."""
    tree = parse_module(module_source)  # raises UnparsableCode (a ToolfoundryError) for a module that is not Python
    lines = module_source.splitlines()
    doomed: set[int] = set()
    for index, node in enumerate(tree.body):
        is_docstring = index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        assigns_metadata = isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id in {"TOOL_SPEC", "TOOL_STATUS", "__all__"}
            for target in node.targets
        )
        if is_docstring or assigns_metadata:
            doomed.update(range(node.lineno - 1, node.end_lineno or node.lineno))
    kept = [line for number, line in enumerate(lines) if number not in doomed]
    text = "\n".join(kept).replace(
        "# The specification this module was generated from, for tools and frameworks that load it.", ""
    )
    return text.strip() + "\n"
