"""The working folder after a call, as evidence: what an example's `files_after` expects, and for a tool that may
not write, the folder exactly as the example's `files` left it. A return value alone verified a file tool that
never wrote; the folder tells.
"""

from __future__ import annotations

import base64
import difflib
from typing import Any

from ..sandbox import protocol
from ..spec import Example
from ..spec.example import FileContent, content_bytes

_DIFF_LINES = 12


def _found_bytes(entry: dict[str, Any]) -> bytes | None:
    return base64.b64decode(entry["base64"]) if "base64" in entry else None


def _difference(path: str, expected: bytes, entry: dict[str, Any]) -> str:
    """How the file at `path` differs from what was expected, in a few lines a repair prompt can quote."""
    found = _found_bytes(entry)
    if found is None:
        what = f"a link to {entry['link']!r}" if "link" in entry else f"{entry.get('size', '?')} bytes"
        what = "a special file (a FIFO or a device)" if "special" in entry else what
        return f"{path}: expected {len(expected)} bytes, found {what}"
    try:
        expected_text, found_text = expected.decode("utf-8"), found.decode("utf-8")
    except UnicodeDecodeError:
        return f"{path}: expected {len(expected)} bytes, found {len(found)} other bytes"
    lines = difflib.unified_diff(
        expected_text.splitlines(keepends=True), found_text.splitlines(keepends=True), "expected", "found", n=1
    )
    shown = [_visible(line) for line in list(lines)[2:] if not line.startswith("@@")][:_DIFF_LINES]
    return f"{path} differs:\n" + "\n".join(shown)


def _visible(line: str) -> str:
    """A diff line with an ending other than a newline made visible: `-{}` against `+{}` says nothing when one
    of them lacks the final newline, nor does a line that ends in `\r\n` against one that ends in `\n`."""
    text = line.removesuffix("\n")
    return text.replace("\r", "\\r") + ("" if text != line else " (no newline at the end)")


def _compare(expected: dict[str, FileContent | None], listing: dict[str, Any]) -> list[str]:
    problems = []
    for path, content in expected.items():
        entry = listing.get(path)
        if content is None:
            if entry is not None:
                problems.append(f"{path} should not exist after the call, but it does")
        elif entry is None:
            problems.append(f"{path} should exist after the call, but it does not")
        elif _found_bytes(entry) != content_bytes(content):
            problems.append(_difference(path, content_bytes(content), entry))
    return problems


def folder_problem(example: Example, listing: dict[str, Any] | None, may_write: bool) -> str:
    """Empty when the folder after the call is as it should be; otherwise what is wrong with it, diff included.
    The listing comes from inside the sandbox, where the code could have forged it: one of another shape fails
    the example rather than the checks."""
    try:
        return _folder_problem(example, listing, may_write)
    except (KeyError, TypeError, ValueError, AttributeError):  # binascii.Error is a ValueError
        return "the folder after the call came back in a form the checks cannot read"


def _folder_problem(example: Example, listing: dict[str, Any] | None, may_write: bool) -> str:
    if listing is None:
        return "" if example.files_after is None else "the folder after the call could not be read"
    cut = listing.get(protocol.LISTING_CUT)
    problems = [f"the folder after the call is not listed whole: {cut['cut']}"] if cut else []
    listing = {path: entry for path, entry in listing.items() if path != protocol.LISTING_CUT}
    if example.files_after is not None:
        problems += _compare(example.files_after, listing)
    if not may_write:
        # A tool that may not write leaves the folder as it found it: the same files, nothing new.
        unchanged: dict[str, FileContent | None] = {path: None for path in listing} | dict(example.files)
        changed = _compare(unchanged, listing)
        if changed:
            problems.append("it changed its folder, which it may not write (permissions.filesystem): " + changed[0])
    return "\n".join(dict.fromkeys(problems))
