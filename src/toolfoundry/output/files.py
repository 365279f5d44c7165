"""Files written so that a reader never sees half of one: a temporary file beside the target, then a rename.

A process killed between the two (kill -9) leaves only a `.<name>.<random>.partial` file, never a half-written
target; the next batch in that folder removes them (`remove_partial_files`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

PARTIAL = ".partial"


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[TextIO]:
    """A text stream whose content replaces `path` when the block ends, and is dropped if it raises: for
    files written in pieces (the HTML report, a tool at a time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=PARTIAL, dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            yield stream
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` all at once or not at all."""
    with atomic_writer(path) as stream:
        stream.write(text)


def remove_partial_files(folder: Path) -> list[Path]:
    """Remove what writers killed mid-write left in `folder`; returns what was removed."""
    removed = [path for path in folder.glob(f".*{PARTIAL}") if path.is_file()]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
