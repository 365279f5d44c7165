"""toolfoundry: tool specifications in, checked Python tools written by an LLM out."""

from __future__ import annotations

__version__ = "0.1.0"

from .agent import ToolDesignerAgent, save_tool
from .checks import CodeValidator, Finding, ValidationResult
from .context import ContextBuilder
from .errors import (
    BudgetExceeded,
    ConfigError,
    ModelError,
    RetryableModelError,
    SandboxUnavailable,
    SpecError,
    ToolfoundryError,
)
from .extract import extract_code
from .fallback import FallbackManager, FallbackPolicy
from .generator import GeneratedTool, LLMCodeGenerator
from .models import DEFAULT_MODEL, ModelConfig, ScriptedModel, load_model
from .parsing import ToolSpecificationParser
from .prompting import PromptBuilder
from .render import ImplementationInjector
from .report import ToolReport
from .service import LLMService, RetryPolicy
from .spec import Example, Param, Permissions, ToolSpec, ToolType

__all__ = [
    "DEFAULT_MODEL",
    "BudgetExceeded",
    "CodeValidator",
    "ConfigError",
    "ContextBuilder",
    "Example",
    "FallbackManager",
    "FallbackPolicy",
    "Finding",
    "GeneratedTool",
    "ImplementationInjector",
    "LLMCodeGenerator",
    "LLMService",
    "ModelConfig",
    "ModelError",
    "Param",
    "Permissions",
    "PromptBuilder",
    "RetryPolicy",
    "RetryableModelError",
    "SandboxUnavailable",
    "ScriptedModel",
    "SpecError",
    "ToolDesignerAgent",
    "ToolReport",
    "ToolSpec",
    "ToolSpecificationParser",
    "ToolType",
    "ToolfoundryError",
    "ValidationResult",
    "__version__",
    "extract_code",
    "load_model",
    "save_tool",
]
