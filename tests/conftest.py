"""Shared fixtures. pytest-socket (configured in pyproject) makes any connection beyond loopback fail loudly."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolfoundry.parsing import ToolSpecificationParser
from toolfoundry.spec import ToolSpec

GOOD_SLUGIFY = '''```python
import re

def slugify(text: str) -> str:
    """Make a slug."""
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))
```'''


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
