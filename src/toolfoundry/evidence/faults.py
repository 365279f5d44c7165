"""Faults as probes, for a tool with recorded exchanges: its first such example replayed with one fault at a time.

A 429 with Retry-After and a 503, each followed by the recorded answer (so a tool that retries gets it), a 500,
a dropped connection, an empty body, a body that is not JSON, and for a tool with a timeout parameter an answer
slower than it allows (its client's timeout fires). They are judged as any probe: an undeclared
exception, a hang past the limit or a result of the wrong type blocks "verified". The report says, per fault,
what the tool did (judging.fault_note), so a user sees whether it retries.
"""

from __future__ import annotations

import copy
from typing import Any

from ..spec import ToolSpec
from .probes import Probe

FAULT = "fault: "  # a fault probe's origin starts so: `fault: 429 with Retry-After: 1`


def fault_kind(origin: str) -> str:
    """The fault a probe's origin names (`429 with Retry-After: 1`), or '' for a probe that injects none."""
    return origin.removeprefix(FAULT) if origin.startswith(FAULT) else ""


def _answer(code: int, message: str, body: str = "", headers: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"status": {"code": code, "message": message}, "headers": headers or {}, "body": {"string": body}}


def _faulted(exchanges: list[dict[str, Any]], first: int, kind: str) -> list[dict[str, Any]]:
    """The exchanges with the fault `kind` in place of (or, for one worth retrying, before) exchange `first`."""
    faulted = copy.deepcopy(exchanges)
    target = faulted[first]
    if kind in {"429 with Retry-After: 1", "503"}:
        code, message = (429, "Too Many Requests") if kind.startswith("429") else (503, "Service Unavailable")
        headers = {"Retry-After": ["1"]} if code == 429 else {}
        faulted.insert(first, {"request": target["request"], "response": _answer(code, message, "", headers)})
    elif kind == "500":
        target["response"] = _answer(500, "Internal Server Error", "")
    elif kind == "a dropped connection":
        target["response"] = {**target["response"], "drop": True}
    elif kind == SLOW:
        target["response"] = {**target["response"], "timeout": True}
    else:  # a body the tool must not trust
        body = "" if kind == "an empty body" else "<html><body>Bad gateway</body></html>"
        target["response"] = {**target["response"], "body": {"string": body}}
    return faulted


FAULTS = ("429 with Retry-After: 1", "503", "500", "a dropped connection", "an empty body", "a body that is not JSON")
# Only for a tool with a timeout parameter: the answer comes later than it allows (its client's timeout fires).
SLOW = "an answer slower than its timeout"


def fault_probes(spec: ToolSpec, start: int) -> list[Probe]:
    """One probe per fault, from the first example with a recorded exchange the call must make."""
    for example in spec.examples:
        required = [index for index, item in enumerate(example.http or []) if not item.get("optional")]
        if example.http and required:
            timed = any("timeout" in param.name for param in spec.input_params)
            kinds = [*FAULTS, SLOW] if timed else list(FAULTS)
            return [
                Probe(
                    start + number,
                    dict(example.input),
                    dict(example.files),
                    FAULT + kind,
                    _faulted(example.http, required[0], kind),
                )
                for number, kind in enumerate(kinds)
            ]
    return []
