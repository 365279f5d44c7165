"""The bwrap command's order: later mounts lie on top of earlier ones, so what must stay visible comes last."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolfoundry.sandbox import SandboxLimits, bwrap_command, bwrap_path
from toolfoundry.sandbox.boundary import _python_roots


@pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed")
def test_the_interpreter_and_its_packages_are_bound_after_the_tmpfs_mounts(tmp_path: Path) -> None:
    """A virtual environment under /tmp (a CI job's checkout) was hidden by the sandbox's own /tmp, and with it
    every package a tool imports (requests, httpx, vcrpy for recorded exchanges)."""
    command = bwrap_command(tmp_path, SandboxLimits())
    tmpfs = command.index("/tmp", command.index("--tmpfs"))
    for root in _python_roots():
        bind = next(
            index for index in range(len(command) - 2) if command[index : index + 3] == ["--ro-bind", root, root]
        )
        assert bind > tmpfs, f"{root} is bound before the tmpfs at /tmp covers it"
