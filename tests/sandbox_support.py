"""Helpers for tests that need the real bubblewrap sandbox: in CI it must be there, elsewhere they skip."""

import os

import pytest

from toolfoundry.sandbox import sandbox_problem

requires_sandbox = pytest.mark.skipif(
    sandbox_problem() is not None and not os.environ.get("CI"),
    reason=f"bubblewrap cannot run here: {sandbox_problem()}",
)
