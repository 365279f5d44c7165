"""bandit as a second opinion on security, run in-process on a temporary copy of the code.

`# nosec` comments are ignored: generated code does not get to switch off its own checks. bandit parses the
code itself, so it runs under safe_ast.AST_LOCK; when it cannot scan a candidate, what it would have printed
to the console becomes a finding instead.
"""

from __future__ import annotations

import functools
import logging
import tempfile
import warnings
from pathlib import Path

from ..safe_ast import AST_LOCK
from .findings import Finding

# Rules that flag legitimate tool code; they are shown as warnings rather than blocking verification.
_WARN_ONLY = {
    "B101": "assert is fine in tool code",
    "B311": "random is fine outside cryptography",
    "B324": "md5/sha1 are legitimate for checksums",
    "B310": "urlopen is governed by permissions.network and the sandbox",
    "B105": "string literals that look like passwords are usually not",
    "B106": "string literals that look like passwords are usually not",
    "B107": "string literals that look like passwords are usually not",
    "B404": "subprocess imports are already rejected by the AST policy",
}


class _BanditLog(logging.Handler):
    """bandit's log, kept from the console: the last line of a traceback it logs is the exception it hit."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.exception = ""

    def emit(self, record: logging.LogRecord) -> None:
        if str(record.msg).strip().startswith("Exception traceback"):
            self.exception = str(record.args[0] if record.args else "").strip().splitlines()[-1][:300]


@functools.cache
def _quiet_bandit() -> _BanditLog:
    """Keep bandit's log from the console, once per process; the handler returned collects what it hit."""
    for name in ("bandit", "stevedore"):  # stevedore: bandit's optional formatters (sarif) are not ours
        logger = logging.getLogger(name)
        logger.propagate = False
        logger.handlers[:] = [logging.NullHandler()]
    captured = _BanditLog()
    manager_log = logging.getLogger("bandit.core.manager")
    manager_log.setLevel(logging.DEBUG)  # its traceback is logged at DEBUG, its one-line complaint at ERROR
    manager_log.handlers[:] = [captured]
    return captured


def check_bandit(code: str) -> list[Finding]:
    with warnings.catch_warnings():
        # bandit's import of stevedore passes a deprecated argument; nothing for us to act on.
        warnings.simplefilter("ignore", DeprecationWarning)
        from bandit.core import config as bandit_config
        from bandit.core import manager as bandit_manager

    with tempfile.TemporaryDirectory(prefix="toolfoundry-bandit-") as folder, AST_LOCK:
        captured = _quiet_bandit()
        captured.exception = ""  # this run's, not the last one's
        path = Path(folder) / "candidate.py"
        path.write_text(code, encoding="utf-8")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            scanner = bandit_manager.BanditManager(bandit_config.BanditConfig(), "file", quiet=True, ignore_nosec=True)
            scanner.discover_files([str(path)])
            scanner.run_tests()
        issues = scanner.get_issue_list()
        skipped = [reason for _file, reason in scanner.skipped]
    if skipped:
        why = captured.exception or skipped[0]
        return [Finding(rule="security/bandit-unscannable", message=f"bandit could not scan this code ({why})")]
    findings = []
    for issue in issues:
        blocking = issue.severity in {"MEDIUM", "HIGH"} and issue.confidence in {"MEDIUM", "HIGH"}
        severity = "error" if blocking and issue.test_id not in _WARN_ONLY else "warning"
        findings.append(
            Finding(
                rule=f"security/bandit-{issue.test_id}",
                line=issue.lineno,
                severity=severity,
                message=f"bandit: {issue.text} (severity {issue.severity.lower()})",
            )
        )
    return findings
