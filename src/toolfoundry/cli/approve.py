"""`toolfoundry review DIR --approve`: a person reads what a tool that can do harm would be served with (its
code, its permissions, its evidence, the diff to the version last approved) and approves or refuses it. The
decision is recorded beside the module and in the library (serve/approval.py); `serve` serves such a tool
only once approved."""

from __future__ import annotations

import difflib
import json
import unicodedata
from pathlib import Path

from rich.markup import escape
from rich.prompt import Confirm
from rich.syntax import Syntax

from ..errors import ServeError
from ..library import ToolLibrary
from .common import fail, stdout


def _evidence(module: Path) -> str:
    """The tool's verdict from its report beside it, in the report's own words."""
    try:
        report = json.loads(module.with_name(f"{module.stem}.report.json").read_text(encoding="utf-8"))
        from ..report import ToolReport

        return ToolReport.model_validate(report).evidence_line
    except (OSError, ValueError):
        return "no report beside the module: how it was checked is not known"


def visible(code: str) -> tuple[str, int]:
    """The code with control and format characters (ESC, bidi overrides, zero-width) shown as escapes, so what a
    person approves is what is there; and how many there were."""
    hidden = 0
    shown = []
    for char in code:
        if char not in "\n\t" and unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"}:
            hidden += 1
            shown.append(f"\\u{ord(char):04x}")
        else:
            shown.append(char)
    return "".join(shown), hidden


def approve_tools(folder: Path, tool: list[str] | None, yes: bool, library: ToolLibrary | None) -> None:
    """Each tool of `folder` that writes files or reaches the network, shown and approved or refused; each
    decision recorded beside the module and in `library`."""
    from ..serve.approval import approval_of, needs_approval, record_decision
    from ..serve.catalog import load_folder

    try:
        tools = load_folder(folder, tool or None, writable_tools=True)  # read to be shown, not served
    except ServeError as error:
        raise fail(str(error)) from None
    pending = 0
    for served in tools:
        name, harm = served.spec.name, needs_approval(served.spec)
        if not harm:
            stdout.print(f"{name}: pure computation or read-only: no approval needed", highlight=False, soft_wrap=True)
            continue
        verdict = approval_of(served.path, served.code, served.spec, library)
        if verdict.approved:
            stdout.print(f"{name}: approved (this code and spec)", highlight=False, soft_wrap=True)
            continue
        pending += 1
        evidence = _evidence(served.path)
        code, hidden = visible(served.code)
        last, _ = visible(verdict.last_approved_code or "")
        stdout.rule(f"{name}: it {harm}")
        if hidden:
            warning = f"the code holds {hidden} invisible or control characters, shown as \\u escapes: read them"
            stdout.print(f"[bold red]warning:[/] {warning}", highlight=False, soft_wrap=True)
        stdout.print(f"why it needs you: {escape(verdict.reason)}", highlight=False, soft_wrap=True)
        stdout.print(
            f"permissions: {escape(served.spec.permissions.model_dump_json())}", highlight=False, soft_wrap=True
        )
        stdout.print(f"evidence: {escape(evidence)}", highlight=False, soft_wrap=True)
        if verdict.last_approved_code is None:
            stdout.print(Syntax(code, "python", line_numbers=True))
        else:
            diff = difflib.unified_diff(last.splitlines(), code.splitlines(), "approved", "now", lineterm="")
            stdout.print(Syntax("\n".join(diff) or "(no change to the code: the spec changed)", "diff"))
        decided = yes or Confirm.ask(f"Approve {name} to be served with these permissions?", default=False)
        record_decision(served.path, served.code, served.spec, decided, evidence, library)
        stdout.print(f"{name}: {'approved' if decided else 'refused'}", highlight=False, soft_wrap=True)
    if not pending:
        stdout.print("nothing waits for approval", highlight=False, soft_wrap=True)
