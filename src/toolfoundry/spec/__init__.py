"""What a tool must be: the ToolSpec model, its parsing from every format, its types and their JSON Schema."""

from __future__ import annotations

from .model import Example, Param, ToolSpec, cross_field_problems
from .parsing import ToolSpecificationParser
from .permissions import Permissions, host_port_problem
from .tool_type import ToolType, detect_tool_type
from .typeexpr import canonical_type

__all__ = [
    "Example",
    "Param",
    "Permissions",
    "ToolSpec",
    "ToolSpecificationParser",
    "ToolType",
    "canonical_type",
    "cross_field_problems",
    "detect_tool_type",
    "host_port_problem",
]
