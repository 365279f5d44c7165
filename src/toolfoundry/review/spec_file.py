"""A person's answers written into the spec file itself, as examples marked `confirmed: review`.

Edited in place with a round-trip YAML library (ruamel.yaml): the file keeps its comments, key order, quotes
and layout, and only the new examples are added (in the style of the ones before them). A JSON file, which
has no comments to lose, is written back as indented JSON. The new text is parsed as a spec file before it
replaces the old one, and it replaces it atomically (a temporary file beside it, then a rename): a failure at
any step leaves the file as it was.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML, YAMLError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..errors import ReviewError, SpecError
from ..spec import Example, ToolSpecificationParser


def _round_trip() -> YAML:
    yaml = YAML()  # round-trip mode: comments, order and quotes are kept
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line the person wrote on one
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _entries(document: Any) -> list[Any]:
    if isinstance(document, dict) and isinstance(document.get("tools"), list):  # an MCP tools/list result
        return list(document["tools"])
    return list(document) if isinstance(document, list) else [document]


def _name(entry: Any) -> Any:
    if not isinstance(entry, dict):
        return None
    function = entry.get("function")
    return function.get("name") if isinstance(function, dict) else entry.get("name")


def _as_data(example: Example) -> dict[str, Any]:
    """The example as a spec file writes it: input, then output or raises, then the mark."""
    data: dict[str, Any] = {"input": example.input}
    data |= {"output": example.output} if example.expects_output else {"raises": example.raises}
    return data | {"confirmed": example.confirmed or "review"}


def _styled(example: Example, flow: bool) -> CommentedMap:
    item = CommentedMap(_as_data(example))
    inputs = CommentedMap(example.input)
    inputs.fa.set_flow_style()  # `input: {title: a  b}`, as spec files write a call
    item["input"] = inputs
    if flow:
        item.fa.set_flow_style()
    return item


def _add_to_yaml(text: str, tool: str, examples: list[Example], where: Path) -> str:
    yaml = _round_trip()
    try:
        document = yaml.load(text)
    except YAMLError as error:
        raise ReviewError(f"{where}: cannot be read as YAML to add the answers: {error}") from None
    entry = next((each for each in _entries(document) if _name(each) == tool), None)
    if entry is None:
        raise ReviewError(f"{where}: holds no spec named {tool!r}")
    listed = entry.get("examples")
    if listed is None:
        listed = entry["examples"] = CommentedSeq()
    if not isinstance(listed, list):
        raise ReviewError(f"{where}: {tool}.examples is not a list")
    flow = bool(listed) and isinstance(listed[-1], CommentedMap) and listed[-1].fa.flow_style()
    listed.extend(_styled(example, flow) for example in examples)
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def _add_to_json(text: str, tool: str, examples: list[Example], where: Path) -> str:
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ReviewError(f"{where}: cannot be read as JSON to add the answers: {error}") from None
    entry = next((each for each in _entries(document) if _name(each) == tool), None)
    if entry is None:
        raise ReviewError(f"{where}: holds no spec named {tool!r}")
    if not isinstance(entry.setdefault("examples", []), list):
        raise ReviewError(f"{where}: {tool}.examples is not a list")
    entry["examples"] += [_as_data(example) for example in examples]
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def add_examples(path: Path, tool: str, examples: list[Example]) -> None:
    """Append `examples` to the spec named `tool` in the file at `path`, atomically; ReviewError says what
    stopped it (the file is then unchanged)."""
    if not os.access(path, os.W_OK):
        raise ReviewError(f"{path}: the spec file is not writable, so the answers cannot be added to it")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ReviewError(f"{path}: cannot be read: {error}") from None
    add = _add_to_json if path.suffix == ".json" else _add_to_yaml
    new_text = add(text, tool, examples, path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(new_text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, path.stat().st_mode & 0o7777)
        try:  # what is written must read back as the same specs with the answers: checked before it replaces
            parsed = ToolSpecificationParser().parse_file(temporary)
        except SpecError as error:
            raise ReviewError(f"{path}: with the answers added it is no spec file any more: {error}") from None
        spec = next((each for each in parsed if each.name == tool), None)
        if spec is None or list(spec.examples[-len(examples) :]) != examples:
            raise ReviewError(f"{path}: the answers did not read back as written; the file is left as it was")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
