"""Which kind of tool a spec describes, for the prompts and best practices it gets (never for privileges).

A declared `tool_type` wins. Otherwise: declared network or network dependencies make an API caller,
declared file access a file tool, data libraries a data tool; then keyword evidence in the spec's words.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the spec model imports this module
    from .model import ToolSpec


class ToolType(StrEnum):
    DEFAULT = "default"
    API_CALLER = "api_caller"
    DATA_PROCESSING = "data_processing"
    FILE_MANIPULATION = "file_manipulation"
    TEXT_PROCESSING = "text_processing"


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
