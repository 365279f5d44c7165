"""PromptBuilder: a spec and its context in, the messages for a model out.

One Jinja2 template per tool type (they share `_tool.j2` and differ in guidance) and one for repair, in the
full style; one of each in the compact style. (The tool type itself is decided by the spec, spec/tool_type.py.)
Weak models do best when the signature is fixed for them, so a prompt also carries an assistant prefill:
the exact `def` line and an indent, for models that can continue a reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..checks.behaviour import ExampleOutcome
from ..checks.result import ValidationResult
from ..errors import ConfigError
from ..evidence.judging import ProbeFailure
from ..models.base import Message
from ..output.templates import render
from ..spec import ToolSpec, ToolType
from .context import Context
from .quoting import probe_lines

# Bump when a template changes: it is part of cache keys and reports.
PROMPT_VERSION = "6"  # 6: a fault probe names its fault; no probe that repeats an example; "should raise"
# 5: a failed example says how its value differs, where that is certain
# 4: a failed example quotes its exception's message and the line that raised it
# 3: examples show their recorded exchanges; a repair quotes a probe failure once
# 2: repair prompts quote probe failures and never a held-back example


# "full": context (best practices, similar verified tools) and rules, for capable models. "compact": the
# signature, description and examples alone, for small models, which a long prompt confuses more than it
# guides (measured on the quality set with SmolLM2-135M and Qwen2.5-Coder-1.5B: benchmarks/quality.py).
class PromptStyle(StrEnum):
    FULL = "full"
    COMPACT = "compact"


PROMPT_STYLES = tuple(style.value for style in PromptStyle)


class Prompt(BaseModel):
    model_config = ConfigDict(frozen=True)

    messages: tuple[Message, ...]
    prefill: str  # the start of the reply for models that support it: fence, imports hint, def, docstring
    tool_type: ToolType
    kind: str  # "initial" or "repair"
    version: str = PROMPT_VERSION


class PromptBuilder:
    """Renders the template for a spec's tool type, or the repair template, into messages."""

    def __init__(self, style: str = "full") -> None:
        if style not in PROMPT_STYLES:
            raise ConfigError(f"prompt style {style!r} is not one of {', '.join(PROMPT_STYLES)}")
        self.style = style

    def determine_tool_type(self, spec: ToolSpec) -> ToolType:
        return spec.effective_tool_type

    def _variables(self, spec: ToolSpec, context: Context) -> dict[str, Any]:
        return {
            "spec": spec,
            "signature": spec.signature(),
            "context": context,
            "allowed_imports": sorted({dependency.split(".")[0] for dependency in spec.dependencies}),
            "network": spec.effective_network,
            "filesystem": spec.effective_filesystem,
        }

    def prefill(self, spec: ToolSpec) -> str:
        # Measured on SmolLM2-135M: after a long docstring it closes the fence at once; after the bare
        # signature and an indent it writes a body far more often. The docstring is mended in afterwards.
        return f"```python\n{spec.signature()}\n    "

    @property
    def version(self) -> str:
        """What reports, resume checks and the library record: the template version and the style."""
        return PROMPT_VERSION if self.style == "full" else f"{PROMPT_VERSION}-{self.style}"

    def _prompt(self, template: str, variables: dict[str, Any], spec: ToolSpec, kind: str) -> Prompt:
        user = Message(role="user", content=render(template, **variables))
        messages = (user,)
        if self.style == "full":
            system = render("system.j2", **variables)
            messages = (Message(role="system", content=system), user)
        return Prompt(
            messages=messages,
            prefill=self.prefill(spec),
            tool_type=self.determine_tool_type(spec),
            kind=kind,
            version=self.version,
        )

    def build_prompt(self, spec: ToolSpec, context: Context) -> Prompt:
        variables = self._variables(spec, context)
        template = "compact.j2" if self.style == "compact" else f"{self.determine_tool_type(spec).value}.j2"
        return self._prompt(template, variables, spec, "initial")

    def build_repair_prompt(
        self,
        spec: ToolSpec,
        context: Context,
        code: str,
        result: ValidationResult,
        test_failures: Sequence[ExampleOutcome] = (),
        probe_failures: Sequence[ProbeFailure] | None = None,
    ) -> Prompt:
        """The repair prompt: the attempt, its findings, the shown examples it failed, the probes it failed
        (`probe_failures`, by default its first three; in quoting.py's words), and the spec-derived tests it
        failed that count (never a held-back example's values)."""
        probes = result.behaviour.probes.failures[:3] if probe_failures is None else probe_failures
        variables = self._variables(spec, context) | {
            "code": code,
            "result": result,
            "test_failures": test_failures,
            "probe_lines": probe_lines(probes),
        }
        template = "compact_repair.j2" if self.style == "compact" else "repair.j2"
        return self._prompt(template, variables, spec, "repair")
