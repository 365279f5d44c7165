"""Hand-written tool modules for the serving tests, in the form `generate` writes (code, TOOL_SPEC, status)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from toolfoundry.serve.approval import needs_approval, record_decision
from toolfoundry.spec import ToolSpecificationParser


def write_tool(folder: Path, spec: dict[str, Any], code: str, status: str = "verified", approved: bool = True) -> Path:
    """`<name>.py` with the code and the parsed spec as a literal, as the module target writes it; `approved`
    (the default: these tests serve tools a person let through) records a review's approval of exactly it."""
    parsed = ToolSpecificationParser().parse(spec)
    literal = repr(parsed.model_dump(mode="json"))
    path = folder / f"{parsed.name}.py"
    module = f"{code.strip()}\n\n\nTOOL_SPEC = {literal}\nTOOL_STATUS = {status!r}\n"
    path.write_text(module, encoding="utf-8")
    if approved and needs_approval(parsed):
        record_decision(path, module, parsed, approve=True)
    return path


def tool_folder(folder: Path, web_port: int, files: Path) -> Path:
    """A folder of tools, each needing one permission (or none): what the serving tests call."""
    folder.mkdir(parents=True, exist_ok=True)
    text = {"name": "text", "type": "str"}
    write_tool(
        folder,
        {
            "name": "add",
            "description": "Add two integers.",
            "output_type": "int",
            "idempotent": True,
            "input_params": [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}],
        },
        "def add(a: int, b: int) -> int:\n    return a + b\n",
    )
    write_tool(
        folder,
        {
            "name": "fetch",
            "description": "The body at a URL.",
            "output_type": "str",
            "permissions": {"network": [f"127.0.0.1:{web_port}"]},
            "input_params": [{"name": "url", "type": "str"}],
        },
        "import urllib.request\n\n\ndef fetch(url: str) -> str:\n"
        "    with urllib.request.urlopen(url, timeout=5) as response:\n        return response.read().decode()\n",
    )
    write_tool(
        folder,
        {
            "name": "read_note",
            "description": "Read a note, or write one to show it cannot.",
            "output_type": "str",
            "permissions": {"filesystem": "read", "paths": [str(files)]},
            "input_params": [{"name": "name", "type": "str"}, {"name": "write", "type": "bool", "default": False}],
        },
        "def read_note(name: str, write: bool = False) -> str:\n"
        "    if write:\n        open(name, 'w').write('changed')\n    return open(name).read()\n",
    )
    write_tool(
        folder,
        {
            "name": "write_note",
            "description": "Write text to a file.",
            "output_type": "str",
            "permissions": {"filesystem": "write", "paths": [str(files)]},
            "input_params": [{"name": "path", "type": "str"}, text],
        },
        "def write_note(path: str, text: str) -> str:\n    open(path, 'w').write(text)\n    return path\n",
    )
    write_tool(
        folder,
        {"name": "spin", "description": "Never return.", "output_type": "int"},
        "def spin() -> int:\n    while True:\n        pass\n",
    )
    write_tool(
        folder,
        {
            "name": "secrets_seen",
            "description": "Every environment value the tool can see.",
            "output_type": "list[str]",
        },
        "import os\n\n\ndef secrets_seen() -> list[str]:\n    seen = list(os.environ.values())\n"
        "    for entry in os.listdir('/proc'):\n        try:\n"
        "            seen.append(open(f'/proc/{entry}/environ', 'rb').read().decode(errors='replace'))\n"
        "        except OSError:\n            pass\n    return seen\n",
    )
    write_tool(
        folder,
        {
            "name": "clamp",
            "description": "Clamp value to [low, high]; raise ValueError when low > high.",
            "output_type": "int",
            "input_params": [
                {"name": "value", "type": "int"},
                {"name": "low", "type": "int"},
                {"name": "high", "type": "int"},
            ],
        },
        "def clamp(value: int, low: int, high: int) -> int:\n"
        "    if low > high:\n        raise ValueError(f'low {low} is above high {high}')\n"
        "    if value == 13:\n        raise KeyError(__file__ + ' /home/secret/path')\n"
        "    return max(low, min(high, value))\n",
    )
    return folder


def unencodable_tool_folder(folder: Path, files: Path) -> Path:
    """`add`; `lone` and `listing`, which return what JSON cannot carry (a lone surrogate, and the name of a
    file that is not UTF-8 as os.listdir gives it: `files` gets one); `kind`, the type names its ints arrive as."""
    folder.mkdir(parents=True, exist_ok=True)
    files.mkdir(parents=True, exist_ok=True)
    (files / "ok.txt").write_text("x")
    (files / os.fsdecode(b"caf\xe9.txt")).write_text("x")  # Latin-1, as an old archive might hold it
    add = {"name": "add", "description": "Add two integers.", "output_type": "int"}
    add["input_params"] = [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}]
    write_tool(folder, add, "def add(a: int, b: int) -> int:\n    return a + b\n")
    lone = {"name": "lone", "description": "A lone surrogate.", "output_type": "str"}
    write_tool(folder, lone, "def lone() -> str:\n    return '\\ud800'\n")
    listing = {"name": "listing", "description": "The names in the files folder.", "output_type": "list[str]"}
    listing["permissions"] = {"filesystem": "read", "paths": [str(files)]}
    code = f"import os\n\n\ndef listing() -> list[str]:\n    return sorted(os.listdir({str(files)!r}))\n"
    write_tool(folder, listing, code)
    kind = {"name": "kind", "description": "The type names of n and of the items of ns.", "output_type": "list[str]"}
    kind["input_params"] = [{"name": "n", "type": "int"}, {"name": "ns", "type": "list[int]"}]
    code = "def kind(n: int, ns: list[int]) -> list[str]:\n    return [type(value).__name__ for value in [n, *ns]]\n"
    write_tool(folder, kind, code)
    return folder


@contextlib.contextmanager
def serving_http(
    folder: Path, host: str, *options: str, env: dict[str, str] | None = None
) -> Iterator[tuple[int, str]]:
    """`toolfoundry serve FOLDER --http` on host at a free port, while it answers: (the port, what it printed
    at start). Stopped when the block ends."""
    with socket.socket() as spare:
        spare.bind((host, 0))
        port = spare.getsockname()[1]
    command = [sys.executable, "-m", "toolfoundry", "serve", str(folder), *options]
    command += ["--http", "--host", host, "--port", str(port)]
    log = folder.parent / f"serve-{port}.log"
    with log.open("w") as stream:
        process = subprocess.Popen(command, stderr=stream, env={**os.environ, **(env or {})})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            with socket.socket() as probe:
                if probe.connect_ex((host, port)) == 0:
                    break
            time.sleep(0.1)
        assert process.poll() is None, f"the server exited: {log.read_text()}"
        yield port, log.read_text()
    finally:
        process.terminate()
        process.wait(10)
