"""Shared fixtures. pytest-socket (configured in pyproject) makes any connection beyond loopback fail loudly."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolfoundry.parsing import ToolSpecificationParser
from toolfoundry.spec import ToolSpec

# The smallest useful spec, as a user would write it, for CLI tests.
SLUG_SPEC = {
    "name": "slugify",
    "description": "Turn text into a URL slug.",
    "input_params": [{"name": "text", "type": "str"}],
    "output_type": "str",
    "examples": [{"input": {"text": "Hello World"}, "output": "hello-world"}],
}
# A second small spec, for runs of more than one tool.
DOUBLE_SPEC = {
    "name": "double",
    "description": "Twice a number.",
    "input_params": [{"name": "n", "type": "int"}],
    "output_type": "int",
    "examples": [{"input": {"n": 21}, "output": 42}],
}
GOOD_SLUGIFY = '''```python
import re

def slugify(text: str) -> str:
    """Make a slug."""
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))
```'''


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
    return ToolSpecificationParser().parse(
        {
            "name": "slugify",
            "description": "Turn text into a URL slug.",
            "input_params": [{"name": "text", "type": "str", "description": "the text"}],
            "output_type": "str",
            "examples": [
                {"input": {"text": "Hello World"}, "output": "hello-world"},
                {"input": {"text": "A, b!"}, "output": "a-b"},
            ],
        }
    )


@pytest.fixture
def write(tmp_path: Path):
    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write
