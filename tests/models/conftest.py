"""A fake embedded model: data-only "wheels" installed in a folder of the test's own, and a models folder beside."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from toolfoundry.models.embedded import EmbeddedModel

PARTS = [b"GGUF" + b"a" * 1000, b"b" * 1500, b"c" * 700]


def install_parts(site: Path, parts: list[bytes], prefix: str = "fakepart") -> list[str]:
    """Fake data-only wheels, installed as pip would: a package folder with data/partNN.bin and a dist-info."""
    names = []
    for index, content in enumerate(parts, start=1):
        name, package = f"{prefix}{index}", f"{prefix}{index}"
        data = site / package / "data" / f"part{index:02d}.bin"
        data.parent.mkdir(parents=True)
        data.write_bytes(content)
        (site / package / "__init__.py").write_text("raise RuntimeError('a part must never be imported')\n")
        info = site / f"{name}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        record = [f"{package}/__init__.py,,", f"{package}/data/part{index:02d}.bin,,", f"{info.name}/METADATA,,"]
        (info / "RECORD").write_text("\n".join(record) + "\n")
        names.append(name)
    return names


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EmbeddedModel:
    site = tmp_path / "site"
    names = install_parts(site, PARTS)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("TOOLFOUNDRY_MODELS", str(tmp_path / "cache"))
    whole = b"".join(PARTS)
    return EmbeddedModel(
        name="fake",
        title="a fake model",
        licence="none",
        source="tests",
        filename="fake.gguf",
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
        parts=tuple(names),
        extra="fake",
    )
