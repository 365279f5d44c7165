"""The checks on one candidate, each problem a Finding a repair prompt can quote.

    findings.py      Finding: a rule id, a line, a message
    syntax.py, security.py (policy.py's lists), bandit_check.py, compliance.py   the static checks
    behaviour.py     examples, spec-derived tests and probes in one sandbox run (SandboxRunner; NotRun)
    result.py        ValidationResult: the checks' word on one candidate (verified, usable, why not)
    validator.py     CodeValidator: the static checks, then behaviour only when they pass

This file is the package's face: it names what the modules hold and imports each on first use, so that a
module needing only a Finding (`from toolfoundry.checks.findings import Finding`, which runs this file first)
does not start the evidence stage and the sandbox with it. Code inside the package imports from the homes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .findings import Finding

if TYPE_CHECKING:
    from .behaviour import BehaviourResult, ExampleOutcome, ExampleRunner, NotRun, SandboxRunner
    from .result import ValidationResult
    from .validator import CodeValidator

# Where each name the face gives lives (tests/test_architecture.py reads this, to see the imports it makes).
_HOMES = {
    "BehaviourResult": "behaviour",
    "ExampleOutcome": "behaviour",
    "ExampleRunner": "behaviour",
    "NotRun": "behaviour",
    "SandboxRunner": "behaviour",
    "ValidationResult": "result",
    "CodeValidator": "validator",
}


def __getattr__(name: str) -> Any:
    """`toolfoundry.checks.CodeValidator` and the rest, as before the modules were split: for code written to
    this path, such as a custom ExampleRunner returning a BehaviourResult."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


__all__ = [
    "BehaviourResult",
    "CodeValidator",
    "ExampleOutcome",
    "ExampleRunner",
    "Finding",
    "NotRun",
    "SandboxRunner",
    "ValidationResult",
]
