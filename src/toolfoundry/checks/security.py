"""Security: an AST policy over what generated code may import, call and touch, with bandit as a second opinion.

This is a static screen, not the security boundary: the OS sandbox is. It exists to reject code that has no
business doing something (a text tool opening sockets) before it runs anywhere, and to tell the model why.
"""

from __future__ import annotations

import ast
import sys

from ..spec import ToolSpec
from .findings import Finding
from .policy import (
    COMPUTING_PARTS,
    FILE_MODULES,
    FILE_READ_CALLS,
    FILE_WRITE_CALLS,
    FORBIDDEN_ATTRIBUTES,
    FORBIDDEN_CALLS,
    FORBIDDEN_MODULES,
    FORBIDDEN_PREFIXES,
    NETWORK_MODULES,
    SAFE_DUNDERS,
)


class _PolicyVisitor(ast.NodeVisitor):
    def __init__(self, spec: ToolSpec) -> None:
        self.spec = spec
        self.findings: list[Finding] = []
        self.aliases: dict[str, str] = {}  # local name -> module it stands for (`import os as o`)
        self.filesystem = spec.effective_filesystem
        self.network = spec.effective_network
        self.dependencies = {dependency.split(".")[0] for dependency in spec.dependencies}

    def _flag(self, node: ast.AST, rule: str, message: str) -> None:
        self.findings.append(Finding(rule=f"security/{rule}", line=getattr(node, "lineno", None), message=message))

    def _check_module(self, node: ast.AST, module: str) -> None:
        top = module.split(".")[0]
        if top in FORBIDDEN_MODULES:
            self._flag(node, "forbidden-import", f"`{module}` may not be imported by a generated tool")
        elif top in NETWORK_MODULES and module not in COMPUTING_PARTS and not self.network:
            self._flag(
                node,
                "network-not-allowed",
                f"`{module}` reaches the network, which this spec does not allow (see permissions.network)",
            )
        elif top in FILE_MODULES and self.filesystem == "none":
            self._flag(
                node,
                "filesystem-not-allowed",
                f"`{module}` works on files, which this spec does not allow (see permissions.filesystem)",
            )
        elif top not in sys.stdlib_module_names and top not in self.dependencies and top not in NETWORK_MODULES:
            self._flag(
                node,
                "undeclared-import",
                f"`{module}` is neither in the standard library nor in the spec's dependencies",
            )

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_module(node, alias.name)
            self.aliases[alias.asname or alias.name.split(".")[0]] = (
                alias.name if alias.asname else alias.name.split(".")[0]
            )
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            self._flag(node, "relative-import", "relative imports have no package to resolve against")
            return
        module = node.module or ""
        self._check_module(node, module)
        for alias in node.names:
            self._check_attribute(node, module.split(".")[0], alias.name)
            self.aliases[alias.asname or alias.name] = f"{module}.{alias.name}"
        self.generic_visit(node)

    def _check_attribute(self, node: ast.AST, module: str, attribute: str) -> None:
        reason = FORBIDDEN_ATTRIBUTES.get((module, attribute))
        for (prefix_module, prefix), why in FORBIDDEN_PREFIXES.items():
            if module == prefix_module and attribute.startswith(prefix):
                reason = why
        if reason:
            rule = "environment-access" if "environ" in attribute or "env" in attribute else "forbidden-call"
            self._flag(node, rule, f"`{module}.{attribute}` {reason}")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr.startswith("__") and node.attr.endswith("__") and node.attr not in SAFE_DUNDERS:
            self._flag(
                node,
                "dunder-access",
                f"`.{node.attr}` walks interpreter internals (a sandbox-escape pattern)",
            )
        if isinstance(node.value, ast.Name):
            module = self.aliases.get(node.value.id, "").split(".")[0]
            if module:
                self._check_attribute(node, module, node.attr)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func
        name = function.id if isinstance(function, ast.Name) else None
        if name in FORBIDDEN_CALLS and name not in self.aliases:
            self._flag(node, "forbidden-call", f"`{name}()` {FORBIDDEN_CALLS[name]}")
        if name in {"getattr", "setattr", "delattr"} and len(node.args) >= 2:
            attribute = node.args[1]
            if isinstance(attribute, ast.Constant) and isinstance(attribute.value, str):
                if attribute.value.startswith("__") and attribute.value not in SAFE_DUNDERS:
                    self._flag(
                        node,
                        "dunder-access",
                        f"`{name}(..., {attribute.value!r})` walks interpreter internals",
                    )
            elif name != "getattr":
                self._flag(node, "dynamic-attribute", f"`{name}()` with a computed name can reach internals")
        if name == "open":
            self._check_open(node)
        if isinstance(function, ast.Attribute):
            if function.attr in FILE_WRITE_CALLS and self.filesystem != "write" and self._looks_like_file_api(function):
                self._flag(
                    node,
                    "filesystem-not-allowed",
                    f"`.{function.attr}()` changes files, which this spec does not allow (permissions.filesystem)",
                )
            elif function.attr in FILE_READ_CALLS and self.filesystem == "none" and self._looks_like_file_api(function):
                self._flag(
                    node,
                    "filesystem-not-allowed",
                    f"`.{function.attr}()` reads the file system, which this spec does not allow",
                )
        self.generic_visit(node)

    def _looks_like_file_api(self, function: ast.Attribute) -> bool:
        """`os.remove`, `shutil.move`, `Path(...).write_text`, `path.unlink`: not `text.replace` or `names.copy`."""
        receiver = function.value
        if isinstance(receiver, ast.Name):
            module = self.aliases.get(receiver.id, "").split(".")[0]
            if module in {"os", "shutil", "glob", "pathlib"}:
                return True
            if self.aliases.get(receiver.id, "").endswith(("Path", "path")):
                return True
            return function.attr not in {"replace", "copy", "stat", "exists", "glob"} and "path" in receiver.id.lower()
        if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name):
            return self.aliases.get(receiver.func.id, "").endswith("Path")
        return isinstance(receiver, ast.Attribute) and receiver.attr == "path"

    def _check_open(self, node: ast.Call) -> None:
        mode_node = (
            node.args[1]
            if len(node.args) > 1
            else next((keyword.value for keyword in node.keywords if keyword.arg == "mode"), None)
        )
        mode = mode_node.value if isinstance(mode_node, ast.Constant) and isinstance(mode_node.value, str) else "r"
        writes = any(flag in mode for flag in "wax+") or (
            mode_node is not None and not isinstance(mode_node, ast.Constant)
        )
        if writes and self.filesystem != "write":
            self._flag(
                node,
                "filesystem-not-allowed",
                f"`open(..., {mode!r})` writes files, which this spec does not allow (permissions.filesystem)",
            )
        elif self.filesystem == "none":
            self._flag(
                node,
                "filesystem-not-allowed",
                "`open()` reads files, which this spec does not allow (permissions.filesystem)",
            )


def check_policy(tree: ast.Module, spec: ToolSpec) -> list[Finding]:
    visitor = _PolicyVisitor(spec)
    visitor.visit(tree)
    return visitor.findings
