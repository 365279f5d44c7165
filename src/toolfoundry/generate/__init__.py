"""Generation: context and prompts for a spec, model replies turned into code (extract, mend), the repair
loop with escalation across models and what it weighs across candidates (tests from the spec's words,
agreement on the probes), and the generator that ends each spec in a module and a report."""

from __future__ import annotations

from .agent import ToolDesignerAgent, save_tool
from .context import Context, ContextBuilder
from .earlier import EarlierCandidate
from .extract import extract_code
from .generator import GeneratedTool, LLMCodeGenerator
from .mend import mend
from .prompting import PROMPT_STYLES, PROMPT_VERSION, Prompt, PromptBuilder, PromptStyle
from .repair import RepairLoop, RepairPolicy, RunHooks

# The seed named the repair loop FallbackManager, and the README and users' code build FallbackPolicy: the same
# classes under those names, so code written to them keeps working ("fallback" elsewhere means switching models).
FallbackManager = RepairLoop
FallbackPolicy = RepairPolicy

__all__ = [
    "PROMPT_STYLES",
    "PROMPT_VERSION",
    "Context",
    "ContextBuilder",
    "EarlierCandidate",
    "FallbackManager",
    "FallbackPolicy",
    "GeneratedTool",
    "LLMCodeGenerator",
    "Prompt",
    "PromptBuilder",
    "PromptStyle",
    "RepairLoop",
    "RepairPolicy",
    "RunHooks",
    "ToolDesignerAgent",
    "extract_code",
    "mend",
    "save_tool",
]
