"""A person's approval, before a tool that can do harm is served.

A tool whose spec lets it write files or reach the network is served only when someone approved that exact
code and spec: a record keyed on both hashes, kept beside the module as `<name>.approval.json` and in the
tool library (written by `toolfoundry review --approve`), so a decision holds wherever that code and spec
go. Any change to the module (a regenerated tool, an edit, a widened TOOL_SPEC) changes a hash, so it needs
approval again; the record keeps the last approved code for the diff a person reads next time.
Pure-computation and read-only tools need none.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..library import ToolLibrary
from ..output.files import write_atomically
from ..spec import ToolSpec

MAX_DECISIONS = 20  # the record keeps the latest decisions, enough to see a history


def needs_approval(spec: ToolSpec) -> str:
    """What the tool may do that asks for a person's approval ("" when nothing does)."""
    harms = ["writes files"] if spec.permissions.filesystem == "write" else []
    harms += [f"reaches {', '.join(spec.permissions.network)}"] if spec.permissions.network else []
    return " and ".join(harms)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def record_path(module: Path) -> Path:
    return module.with_name(f"{module.stem}.approval.json")


@dataclass(frozen=True)
class Approval:
    """What the record beside a module says of its code and spec as they are now."""

    approved: bool
    reason: str  # why it is not approved, for serve's line; "" when it is
    last_approved_code: str | None  # for the diff a reviewer reads


def _decisions(module: Path) -> list[dict[str, Any]]:
    path = record_path(module)
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError, ValueError):
        return []  # an unreadable record approves nothing; review --approve writes a new one
    decisions = loaded.get("decisions") if isinstance(loaded, dict) else None
    return [entry for entry in decisions if isinstance(entry, dict)] if isinstance(decisions, list) else []


def approval_of(module: Path, code: str, spec: ToolSpec, library: ToolLibrary | None = None) -> Approval:
    """Whether this code and spec were approved, by the latest decision on exactly them: the record beside the
    module, else the library's."""
    decisions = _decisions(module)
    approved = [entry for entry in decisions if entry.get("decision") == "approved"]
    last_code = approved[-1].get("code") if approved else None
    last_code = last_code if isinstance(last_code, str) else None
    key = (code_hash(code), spec.spec_hash())
    on_these = [
        (str(entry.get("at", "")), str(entry.get("decision")), str(entry.get("by", "someone")), "")
        for entry in decisions
        if (entry.get("code_sha256"), entry.get("spec_hash")) == key
    ]
    kept = library.decision(*key) if library is not None else None
    if kept is not None:  # the library's latest decision on them, from any folder
        decision, by, at = kept
        on_these.append((at, decision, by, " (the library's record)"))
    if on_these:  # the latest decision wins, wherever it was made: a refusal elsewhere revokes an approval here
        latest = max(range(len(on_these)), key=lambda index: (on_these[index][0], index))  # ties: the later
        _, decision, by, where = on_these[latest]
        if decision == "approved":
            return Approval(True, "", last_code)
        return Approval(False, f"refused by {by} in review{where}", last_code)
    if approved:
        return Approval(False, "its code or spec changed since it was approved", last_code)
    return Approval(False, "never approved", None)


def record_decision(
    module: Path, code: str, spec: ToolSpec, approve: bool, evidence: str = "", library: ToolLibrary | None = None
) -> None:
    """Add a person's decision on this code and spec to the record beside the module (replaced atomically),
    and to the library's."""
    entry = {
        "decision": "approved" if approve else "refused",
        "code_sha256": code_hash(code),
        "spec_hash": spec.spec_hash(),
        "permissions": spec.permissions.model_dump(mode="json"),
        "evidence": evidence,
        "by": getpass.getuser(),
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "code": code,
    }
    decisions = [*_decisions(module), entry][-MAX_DECISIONS:]
    record = {"tool": spec.name, "decisions": decisions}
    write_atomically(record_path(module), json.dumps(record, indent=2) + "\n")
    if library is not None:
        fields = ("decision", "code_sha256", "spec_hash", "by", "at", "evidence")
        library.record_decision(spec.name, **{name: entry[name] for name in fields})
