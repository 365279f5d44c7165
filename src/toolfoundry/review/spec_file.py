"""A person's answers written into the spec file itself, as examples marked `confirmed: review`.

Edited in place with a round-trip YAML library (ruamel.yaml): the file keeps its comments, key order, quotes,
indentation and line endings, and only the new examples are added (in the style of the ones before them). A
JSON file, which has no comments to lose, is written back as indented JSON. Each edit is prepared first: the
new text goes to a temporary file beside the spec and is read back with the spec parser (the tool's examples
must be the old ones plus the answers, every other spec in the file unchanged); only then, once the tools
were chosen again, does it replace the file, atomically. A failure at any step leaves the file as it was.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML, YAMLError
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from ..errors import ReviewError, SpecError
from ..spec import Example, ToolSpec, ToolSpecificationParser


def _entries(document: Any) -> list[Any]:
    if isinstance(document, dict) and isinstance(document.get("tools"), list):  # an MCP tools/list result
        return list(document["tools"])
    return list(document) if isinstance(document, list) else [document]


def _entry_of(document: Any, tool: str, where: Path) -> Any:
    for entry in _entries(document):
        if not isinstance(entry, dict):
            continue
        function = entry.get("function")
        name = function.get("name") if isinstance(function, dict) else entry.get("name")
        if name == tool:
            return entry
    raise ReviewError(f"{where}: holds no spec named {tool!r}")


def _examples_of(entry: Any, tool: str, where: Path, new_list: Any) -> Any:
    """The list the parser reads the examples from: the entry's own, or an OpenAI entry's `function.examples`
    when only that one is there (a top-level list would replace it)."""
    function = entry.get("function")
    holder = function if "examples" not in entry and isinstance(function, dict) and "examples" in function else entry
    if holder.get("examples") is None:
        holder["examples"] = new_list
    listed = holder["examples"]
    if not isinstance(listed, list):
        raise ReviewError(f"{where}: {tool}.examples is not a list")
    if getattr(listed, "anchor", None) is not None and listed.anchor.value:
        raise ReviewError(f"{where}: {tool}.examples is a YAML anchor other specs may share: add the answers by hand")
    return listed


def _as_data(example: Example) -> dict[str, Any]:
    """The example as a spec file writes it: input, files and exchanges it needs, output or raises, the mark."""
    data: dict[str, Any] = {"input": example.input}
    data |= {"files": example.files} if example.files else {}
    data |= {"http": example.model_dump(mode="json")["http"]} if example.http else {}
    data |= {"output": example.output} if example.expects_output else {"raises": example.raises}
    return data | {"confirmed": example.confirmed or "review"}


def _yaml_safe(value: Any) -> Any:
    """`value` with every string a YAML 1.1 reader (PyYAML: the spec parser) would take for something else
    (`yes`, `1:30`, `null`) double-quoted; ruamel writes YAML 1.2, which leaves them bare."""
    if isinstance(value, str):
        try:
            plain = isinstance(pyyaml.safe_load(value), str) and "\n" not in value
        except pyyaml.YAMLError:
            plain = False
        return value if plain and value == value.strip() and value else DoubleQuotedScalarString(value)
    if isinstance(value, dict):
        return {key: _yaml_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_yaml_safe(item) for item in value]
    return value


def _styled(example: Example, flow: bool) -> CommentedMap:
    data = _yaml_safe(_as_data(example))
    item = CommentedMap(data)
    inputs = CommentedMap(data["input"])
    inputs.fa.set_flow_style()  # `input: {title: a  b}`, as spec files write a call
    item["input"] = inputs
    if flow:
        item.fa.set_flow_style()
    return item


def _kept(old: list[str], new: list[str]) -> int:
    """How many of the old lines the new text holds, in order (all of them: the layout was kept)."""
    kept, lines = 0, iter(new)
    for line in old:
        if any(candidate == line for candidate in lines):
            kept += 1
    return kept


# Indentations (mapping, sequence, dash offset) spec files are written in; the one that keeps every line wins.
_INDENTS = ((2, 2, 0), (2, 4, 2), (4, 4, 0), (4, 6, 2), (4, 4, 2), (2, 3, 1))


def _add_to_yaml(text: str, tool: str, examples: list[Example], where: Path) -> str:
    """The text with the examples appended, rendered in the indentation that keeps the most of its lines (a
    round-trip emitter writes one indentation for the whole document; the file's own is found by trying)."""
    old_lines, best = text.splitlines(), None
    for mapping, sequence, offset in _INDENTS:
        yaml = YAML()  # round-trip mode: comments, order and quotes are kept
        yaml.preserve_quotes = True
        yaml.width = 4096  # never fold a long line the person wrote on one
        yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        try:
            document = yaml.load(text)
        except YAMLError as error:
            raise ReviewError(f"{where}: cannot be read as YAML to add the answers: {error}") from None
        listed = _examples_of(_entry_of(document, tool, where), tool, where, CommentedSeq())
        flow = bool(listed) and isinstance(listed[-1], CommentedMap) and listed[-1].fa.flow_style()
        listed.extend(_styled(example, flow) for example in examples)
        out = io.StringIO()
        yaml.dump(document, out)
        kept = _kept(old_lines, out.getvalue().splitlines())
        if best is None or kept > best[0]:
            best = (kept, out.getvalue())
        if kept == len(old_lines):
            break
    assert best is not None
    return best[1]


def _add_to_json(text: str, tool: str, examples: list[Example], where: Path) -> str:
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ReviewError(f"{where}: cannot be read as JSON to add the answers: {error}") from None
    listed = _examples_of(_entry_of(document, tool, where), tool, where, [])
    listed.extend(_as_data(example) for example in examples)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


@dataclass
class SpecFileEdits:
    """The answers for every tool of a review, prepared file by file (several tools may share one file), and
    then committed (each file replaced atomically) or abandoned (nothing changed)."""

    pending: dict[Path, Path] = field(default_factory=dict)  # the spec file -> its prepared temporary file

    def add(self, path: Path, tool: str, examples: list[Example]) -> ToolSpec:
        """Prepare `examples` appended to the spec `tool` of the file at `path` (on top of what was prepared for
        it already); the spec as the file will read. ReviewError says what stopped it (nothing is changed)."""
        path = path.resolve()  # a linked spec file is edited where it lies, not replaced by a copy
        if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
            raise ReviewError(f"{path}: the spec file is not writable, so the answers cannot be added to it")
        source = self.pending.get(path, path)
        try:
            raw = source.read_bytes()
            before = {spec.name: spec for spec in ToolSpecificationParser().parse_file(source)}
        except (OSError, SpecError) as error:
            raise ReviewError(f"{path}: cannot be read as it is: {error}") from None
        bom, text = (b"\xef\xbb\xbf", raw[3:]) if raw.startswith(b"\xef\xbb\xbf") else (b"", raw)
        try:
            decoded = text.decode("utf-8")
            crlf = "\r\n" in decoded
            add = _add_to_json if path.suffix == ".json" else _add_to_yaml
            new_text = add(decoded.replace("\r\n", "\n"), tool, examples, path)
            encoded = bom + (new_text.replace("\n", "\r\n") if crlf else new_text).encode("utf-8")
        except ReviewError:
            raise
        except Exception as error:  # a value the format cannot hold, or cannot encode: said, nothing written
            raise ReviewError(
                f"{path}: the answers cannot be written into it: {type(error).__name__}: {error}"
            ) from None
        return self._stage(path, encoded, before, tool, examples)

    def _stage(
        self, path: Path, encoded: bytes, before: dict[str, ToolSpec], tool: str, examples: list[Example]
    ) -> ToolSpec:
        try:
            handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        except OSError as error:
            raise ReviewError(f"{path}: no temporary file can be made beside it: {error}") from None
        temporary = Path(name)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(encoded)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, path.stat().st_mode & 0o7777)
            after = {spec.name: spec for spec in ToolSpecificationParser().parse_file(temporary)}
        except SpecError as error:
            temporary.unlink(missing_ok=True)
            raise ReviewError(f"{path}: with the answers added it is no spec file any more: {error}") from None
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        spec = after.get(tool)
        others = {name: each.spec_hash() for name, each in after.items() if name != tool}
        unchanged = {name: each.spec_hash() for name, each in before.items() if name != tool}
        if spec is None or spec.examples != [*before[tool].examples, *examples] or others != unchanged:
            temporary.unlink(missing_ok=True)
            raise ReviewError(f"{path}: the answers did not read back as written; the file is left as it was")
        if path in self.pending:
            self.pending[path].unlink(missing_ok=True)
        self.pending[path] = temporary
        return spec

    def commit(self) -> None:
        """Every prepared file replaces its spec file, atomically, one file at a time."""
        for path, temporary in list(self.pending.items()):
            os.replace(temporary, path)
            del self.pending[path]

    def abandon(self) -> None:
        for temporary in self.pending.values():
            temporary.unlink(missing_ok=True)
        self.pending.clear()


def add_examples(path: Path, tool: str, examples: list[Example]) -> ToolSpec:
    """Append `examples` to the spec `tool` in the file at `path` now, atomically; the spec as it reads."""
    edits = SpecFileEdits()
    try:
        spec = edits.add(path, tool, examples)
        edits.commit()
    finally:
        edits.abandon()
    return spec
