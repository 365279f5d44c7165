"""ToolDesignerAgent: a raw specification in, a generated tool (and its files) out."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from ..output import write_atomically
from ..spec import ToolSpec, ToolSpecificationParser
from .generator import GeneratedTool, LLMCodeGenerator


def save_tool(tool: GeneratedTool, directory: str | Path) -> tuple[Path, Path]:
    """Write `<name>.py` and `<name>.report.json` into `directory`; returns both paths."""
    directory = Path(directory)
    module_path = directory / f"{tool.spec.name}.py"
    report_path = directory / f"{tool.spec.name}.report.json"
    write_atomically(module_path, tool.module_source)
    write_atomically(report_path, tool.report.to_json() + "\n")
    return module_path, report_path


class ToolDesignerAgent:
    def __init__(
        self,
        tool_spec_parser: ToolSpecificationParser | None = None,
        llm_code_generator: LLMCodeGenerator | None = None,
    ) -> None:
        self.tool_spec_parser = tool_spec_parser or ToolSpecificationParser()
        self.llm_code_generator = llm_code_generator or LLMCodeGenerator.create()

    async def design_tool(self, tool_specification_raw: ToolSpec | dict[str, Any] | str) -> GeneratedTool:
        """Parse (unless given a ToolSpec) and generate. Raises SpecError for a bad spec, before any model call."""
        spec = (
            tool_specification_raw
            if isinstance(tool_specification_raw, ToolSpec)
            else self.tool_spec_parser.parse(tool_specification_raw)
        )
        return await self.llm_code_generator.generate_code(spec)

    def design_tool_sync(self, tool_specification_raw: ToolSpec | dict[str, Any] | str) -> GeneratedTool:
        return asyncio.run(self.design_tool(tool_specification_raw))
