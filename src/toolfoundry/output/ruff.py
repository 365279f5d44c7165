"""ruff on generated Python: `format` for every module, `check` too for the files our templates write."""

from __future__ import annotations

import functools
import subprocess
import sys

from ..errors import TargetError


@functools.cache
def _ruff() -> list[str]:
    # The ruff binary itself: `python -m ruff` would start an interpreter first, for every tool of a batch.
    try:
        from ruff.__main__ import find_ruff_bin

        return [str(find_ruff_bin())]
    except (ImportError, FileNotFoundError):
        return [sys.executable, "-m", "ruff"]


def _run(command: str, source: str, filename: str) -> subprocess.CompletedProcess[str]:
    """`ruff <command>` on `source` as if it were `filename`, with no project settings (--isolated)."""
    return subprocess.run(
        [*_ruff(), command, "--isolated", "--line-length", "120", "--stdin-filename", filename, "-"],
        input=source,
        capture_output=True,
        text=True,
        check=False,
    )


def format_python(source: str, filename: str) -> str:
    """`ruff format` alone, for code a model wrote: formatting never changes meaning; lint is not ours to fix."""
    result = _run("format", source, filename)
    return result.stdout if result.returncode == 0 else source


def ruff_clean(source: str, filename: str) -> str:
    """`ruff format` then `ruff check` on a file a template wrote; a failure is a bug in the template, raised."""
    formatted = _run("format", source, filename)
    if formatted.returncode != 0:
        raise TargetError(f"{filename}: ruff format failed: {formatted.stderr.strip()[:500]}")
    checked = _run("check", formatted.stdout, filename)
    if checked.returncode != 0:
        raise TargetError(f"{filename}: ruff check failed:\n{checked.stdout.strip()[:2000]}")
    return formatted.stdout
