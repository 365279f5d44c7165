"""Shared fixtures (shared values are in tests/helpers.py). pytest-socket (configured in pyproject) makes any
connection beyond loopback fail loudly."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.fault_server import FaultServer
from tests.helpers import DESCRIBED_SLUG_SPEC, SLUG_SPEC, FakeTime
from toolfoundry.checks import behaviour
from toolfoundry.models import local
from toolfoundry.sandbox import boundary, sandbox_problem
from toolfoundry.spec import ToolSpec, ToolSpecificationParser


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that run the real sandbox join the slow lane, before `-m "not slow"` picks the fast one; without
    bubblewrap they skip, except in CI, where it must be there."""
    problem = sandbox_problem()
    for item in items:
        if item.get_closest_marker("sandbox"):
            item.add_marker(pytest.mark.slow)
            if problem and not os.environ.get("CI"):
                item.add_marker(pytest.mark.skip(reason=f"bubblewrap cannot run here: {problem}"))


@pytest.fixture(autouse=True)
def fast_lane_stays_fast(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test outside the slow lane that runs examples in the real sandbox or loads a real model fails here,
    naming the marker it needs: the fast lane cannot slow down unnoticed."""
    if request.node.get_closest_marker("slow"):
        return
    real_run = behaviour.run_in_sandbox

    def run_unless_sandboxed(*args, **kwargs):
        if not kwargs.get("unsandboxed") and boundary.sandbox_problem() is None:
            raise AssertionError("this test runs the real sandbox: mark it @requires_sandbox (the slow lane)")
        return real_run(*args, **kwargs)

    def refuse_to_load(*args, **kwargs):
        raise AssertionError("this test loads a real model: mark it @pytest.mark.slow")

    monkeypatch.setattr(behaviour, "run_in_sandbox", run_unless_sandboxed)
    monkeypatch.setattr(local, "_load", refuse_to_load)


@pytest.fixture(autouse=True, scope="session")
def isolated_user_folders(tmp_path_factory: pytest.TempPathFactory):
    """No test, not even a module-scoped fixture (those run before function-scoped ones), touches the
    user's config file, keys or response cache."""
    folder = tmp_path_factory.mktemp("settings")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOOLFOUNDRY_CACHE", str(folder / "session-cache.sqlite3"))
        patch.setenv("TOOLFOUNDRY_CONFIG", str(folder / "no-config.toml"))
        patch.setenv("TOOLFOUNDRY_LIBRARY", str(folder / "session-library.sqlite3"))
        for name in (
            "OPENAI_API_KEY",
            "OPENAI_BASE_URL",
            "ANTHROPIC_API_KEY",
            "OPENAI_COMPATIBLE_API_KEY",
            "OLLAMA_HOST",
        ):
            patch.delenv(name, raising=False)
        yield


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets a cache of its own, so one test's replies never answer another's."""
    folder = tmp_path_factory.mktemp("settings")
    monkeypatch.setenv("TOOLFOUNDRY_CACHE", str(folder / "responses.sqlite3"))
    monkeypatch.setenv("TOOLFOUNDRY_CONFIG", str(folder / "config.toml"))
    monkeypatch.setenv("TOOLFOUNDRY_LIBRARY", str(folder / "library.sqlite3"))


@pytest.fixture
def slug_spec() -> ToolSpec:
    """DESCRIBED_SLUG_SPEC, parsed."""
    return ToolSpecificationParser().parse(DESCRIBED_SLUG_SPEC)


@pytest.fixture
def write(tmp_path: Path):
    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def spec_file(write) -> Path:
    """SLUG_SPEC as a user's spec file."""
    return write("slugify.yaml", yaml.safe_dump(SLUG_SPEC))


@pytest.fixture
def server() -> Iterator[FaultServer]:
    """A fault-injecting model server on loopback, closed after the test."""
    fault = FaultServer()
    yield fault
    fault.close()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()
