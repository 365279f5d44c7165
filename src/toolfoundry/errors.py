"""One exception tree for everything toolfoundry raises on purpose.

    ToolfoundryError
    ├── SpecError                 a specification is malformed (carries every problem with its field path)
    ├── TypeExpressionError       a type expression is not Python or leaves the vocabulary (also a ValueError)
    ├── ConfigError               a model string, file or option is unusable
    ├── ModelError                a model call failed (the subclass says whether retrying can help)
    │   ├── RetryableModelError   worth retrying: timeout, dropped link, 408, 429, 5xx
    │   ├── AuthenticationFailed  not worth retrying: the provider rejected the key (401, 403)
    │   ├── QuotaExhausted        not worth retrying: the account has no quota left (insufficient_quota)
    │   ├── CircuitOpen           not now: the provider failed repeatedly; calls fail fast until its cool-down
    │   └── BudgetExceeded        not worth retrying: the next call would pass a token or cost budget
    ├── UnparsableCode            model-written (or other foreign) Python breaks a limit or does not parse
    ├── SandboxUnavailable        generated code cannot be run in the OS sandbox on this machine
    ├── TargetError               an output target is unknown, or cannot express a spec
    │   └── Inexpressible         a type has no form in the target's schema language (also a ValueError)
    ├── LibraryError              the tool library file cannot be used, or holds no such tool
    ├── ServeError                a folder of tools cannot be served as it is
    └── ReviewError               a person's answers cannot be taken: a bad answer, spec file or oracle

Callers catch ToolfoundryError to report any of them; retry logic keys on the type, never on message text.
A plain ModelError (no subclass) is a refusal that a retry would only repeat.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass


class ToolfoundryError(Exception):
    """Base of every error toolfoundry raises on purpose."""


def _one_line(text: str) -> str:
    return "".join(character if character.isprintable() else repr(character)[1:-1] for character in text)


@dataclass(frozen=True)
class SpecProblem:
    """One thing wrong with a specification, at a dotted field path such as `input_params[1].type`, a line and
    column for text that is not YAML, or no path for the whole file."""

    path: str
    message: str

    def __str__(self) -> str:
        # One line per problem, whatever a hostile spec put in a key or a value: control characters escaped.
        return f"{_one_line(self.path) or '(whole file)'}: {_one_line(self.message)}"


class SpecError(ToolfoundryError):
    """A specification cannot be used; lists every problem found, not only the first."""

    def __init__(self, source: str, problems: list[SpecProblem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"invalid tool specification {source} ({count}):\n{lines}")


class ConfigError(ToolfoundryError):
    """A model string, model file or option cannot be used as given."""


class TypeExpressionError(ToolfoundryError, ValueError):
    """A type expression is not valid Python or uses a name outside the vocabulary.

    Also a ValueError, so that pydantic reports it at the field's path when a spec is validated."""


class ModelError(ToolfoundryError):
    """A model call failed. As such (no subclass), the provider refused it and the same call would fail again;
    RetryableModelError marks the failures that a later identical call may not have."""


class RetryableModelError(ModelError):
    """A model call failed in a way that a later identical call may not (timeout, overload, dropped link).

    `retry_after` is the wait the server asked for (Retry-After), in seconds, when it asked."""

    def __init__(self, message: str, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class AuthenticationFailed(ModelError):
    """The provider rejected the credentials."""


class QuotaExhausted(ModelError):
    """The account's quota or credit is used up; retrying cannot help."""


class CircuitOpen(ModelError):
    """Calls to a provider are failing fast after repeated failures."""


class BudgetExceeded(ModelError):
    """The next model call would pass the configured token budget."""


class UnparsableCode(ToolfoundryError):
    """Code that was not ours breaks a limit or does not parse. `reason` is "limit", "syntax", or the name of
    the exception the parser raised (RecursionError, ValueError, ...); `line` is where, when known."""

    def __init__(self, message: str, reason: str, line: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.line = line


class SandboxUnavailable(ToolfoundryError):
    """Generated code cannot be executed inside the OS sandbox on this machine."""


class TargetError(ToolfoundryError):
    """A target was asked for that does not exist, or cannot express a spec."""


class Inexpressible(TargetError, ValueError):
    """A type the target's schema language cannot say (the message says why)."""


class LibraryError(ToolfoundryError):
    """The library file cannot be used as it is (written by a newer version, or damaged), or lacks a tool."""


class ServeError(ToolfoundryError):
    """A folder cannot be served: no tools in it, a module without a literal TOOL_SPEC (nor a spec beside it),
    a permission naming a directory that does not exist."""


class ReviewError(ToolfoundryError):
    """A person's answers cannot be taken: an answer breaks the declared types, the spec file cannot be edited,
    or the oracle failed. The tool and its spec file are left as they were."""


# Key-shaped strings: OpenAI (sk-..., sk-proj-...), Anthropic (sk-ant-...), bearer tokens, generic api keys.
_KEY_PATTERN = re.compile(
    r"(sk-[A-Za-z0-9_\-*]{6,}|Bearer\s+[A-Za-z0-9._\-]{8,}|(?i:api[_-]?key)[\"']?\s*[:=]\s*[\"']?[^\s\"',]{6,})"
)
_SECRET_VARIABLES = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD)", re.IGNORECASE)


def redact(text: str) -> str:
    """`text` with every secret from the environment and every key-shaped string replaced by [REDACTED]."""
    for name, value in os.environ.items():
        if len(value) >= 8 and _SECRET_VARIABLES.search(name) and value in text:
            text = text.replace(value, "[REDACTED]")
    return _KEY_PATTERN.sub("[REDACTED]", text)
