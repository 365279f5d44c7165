"""toolfoundry: tool specifications in, checked Python tools written by an LLM out.

The package reads as the pipeline: spec -> generate (context, prompts, models through the service, extract,
mend, repair) -> checks (syntax, security, compliance, behaviour in the sandbox) -> output (module, targets)
-> report -> serve (MCP, every call sandboxed); library keeps verified tools, batch runs many specs, cli is
the command line.
"""

from ._version import __version__
from .batch import BatchRunner
from .checks.behaviour import ExampleRunner, SandboxRunner
from .checks.findings import Finding
from .checks.result import ValidationResult
from .checks.validator import CodeValidator
from .errors import (
    AuthenticationFailed,
    BudgetExceeded,
    CircuitOpen,
    ConfigError,
    Inexpressible,
    LibraryError,
    ModelError,
    QuotaExhausted,
    RetryableModelError,
    ReviewError,
    SandboxUnavailable,
    ServeError,
    SpecError,
    SpecProblem,
    TargetError,
    ToolfoundryError,
    TypeExpressionError,
    UnparsableCode,
)
from .generate import (
    ContextBuilder,
    FallbackManager,
    FallbackPolicy,
    GeneratedTool,
    LLMCodeGenerator,
    PromptBuilder,
    RepairLoop,
    RepairPolicy,
    ToolDesignerAgent,
    extract_code,
    save_tool,
)
from .library import ToolLibrary, VerifiedTool
from .models import DEFAULT_MODEL, ChatModel, CompletionRequest, ModelConfig, ScriptedModel, load_model
from .output import ImplementationInjector
from .report import ToolReport
from .sandbox import SandboxLimits
from .service import LLMService, ProviderLimits, ResponseCache, RetryPolicy, ServiceSettings
from .spec import Example, Param, Permissions, ToolSpec, ToolSpecificationParser, ToolType

__all__ = [
    "DEFAULT_MODEL",
    "AuthenticationFailed",
    "BatchRunner",
    "BudgetExceeded",
    "ChatModel",
    "CircuitOpen",
    "CodeValidator",
    "CompletionRequest",
    "ConfigError",
    "ContextBuilder",
    "Example",
    "ExampleRunner",
    "FallbackManager",
    "FallbackPolicy",
    "Finding",
    "GeneratedTool",
    "ImplementationInjector",
    "Inexpressible",
    "LLMCodeGenerator",
    "LLMService",
    "LibraryError",
    "ModelConfig",
    "ModelError",
    "Param",
    "Permissions",
    "PromptBuilder",
    "ProviderLimits",
    "QuotaExhausted",
    "RepairLoop",
    "RepairPolicy",
    "ResponseCache",
    "RetryPolicy",
    "RetryableModelError",
    "ReviewError",
    "SandboxLimits",
    "SandboxRunner",
    "SandboxUnavailable",
    "ScriptedModel",
    "ServeError",
    "ServiceSettings",
    "SpecError",
    "SpecProblem",
    "TargetError",
    "ToolDesignerAgent",
    "ToolLibrary",
    "ToolReport",
    "ToolSpec",
    "ToolSpecificationParser",
    "ToolType",
    "ToolfoundryError",
    "TypeExpressionError",
    "UnparsableCode",
    "ValidationResult",
    "VerifiedTool",
    "__version__",
    "extract_code",
    "load_model",
    "save_tool",
]
