"""bandit as a second opinion on security, run in-process on a temporary copy of the code.

`# nosec` comments are ignored: generated code does not get to switch off its own checks.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from pathlib import Path

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


def check_bandit(code: str) -> list[Finding]:
    with warnings.catch_warnings():
        # bandit's import of stevedore passes a deprecated argument; nothing for us to act on.
        warnings.simplefilter("ignore", DeprecationWarning)
        from bandit.core import config as bandit_config
        from bandit.core import manager as bandit_manager

    logging.getLogger("bandit").setLevel(logging.ERROR)
    logging.getLogger("stevedore").setLevel(logging.CRITICAL)  # bandit's optional formatters (sarif) are not ours
    with tempfile.TemporaryDirectory(prefix="toolfoundry-bandit-") as folder:
        path = Path(folder) / "candidate.py"
        path.write_text(code, encoding="utf-8")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            scanner = bandit_manager.BanditManager(bandit_config.BanditConfig(), "file", quiet=True, ignore_nosec=True)
            scanner.discover_files([str(path)])
            scanner.run_tests()
        issues = scanner.get_issue_list()
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
