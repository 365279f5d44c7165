"""What many tests share: small specs and replies, the sandbox marker, scripted-model and spec files, a fake
clock, a wait on a condition (never a fixed sleep), and a small web server on loopback."""

from __future__ import annotations

import http.server
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from toolfoundry.cli import app

# The smallest useful spec, as a user would write it, for CLI tests.
SLUG_SPEC = {
    "name": "slugify",
    "description": "Turn text into a URL slug.",
    "input_params": [{"name": "text", "type": "str"}],
    "output_type": "str",
    "examples": [{"input": {"text": "Hello World"}, "output": "hello-world"}],
}
# The same tool described more fully, with a second example, for tests of prompts and checks.
DESCRIBED_SLUG_SPEC = {
    **SLUG_SPEC,
    "input_params": [{"name": "text", "type": "str", "description": "the text"}],
    "examples": [*SLUG_SPEC["examples"], {"input": {"text": "A, b!"}, "output": "a-b"}],
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
GOOD_DOUBLE = '```python\ndef double(n: int) -> int:\n    """Twice n."""\n    return n * 2\n```'
WRONG_DOUBLE = '```python\ndef double(n: int) -> int:\n    """Twice n."""\n    return n * 3\n```'

# Tests that run the real bubblewrap sandbox: in the slow lane (conftest adds `slow`); in CI bubblewrap must be
# there, elsewhere they skip without it.
requires_sandbox = pytest.mark.sandbox


def numbered_specs(count: int) -> list[dict]:
    """`count` small distinct specs: add_<i>(n) = n + i."""
    return [
        {
            "name": f"add_{index}",
            "description": f"Add {index} to a number.",
            "input_params": [{"name": "n", "type": "int"}],
            "output_type": "int",
            "examples": [{"input": {"n": 1}, "output": 1 + index}],
        }
        for index in range(count)
    ]


def numbered_replies(count: int) -> dict[str, list[str]]:
    """A correct reply for each of `numbered_specs(count)`."""
    return {
        f"add_{index}": [f'```python\ndef add_{index}(n: int) -> int:\n    """Add."""\n    return n + {index}\n```']
        for index in range(count)
    }


def write_specs(folder: Path, *specs: dict) -> Path:
    """A folder holding one `<name>.yaml` per spec, as a user keeps them."""
    folder.mkdir(parents=True, exist_ok=True)
    for spec in specs:
        (folder / f"{spec['name']}.yaml").write_text(yaml.safe_dump(spec))
    return folder


def scripted_model(
    path: Path, replies: Sequence[str] | Mapping[str, Sequence[str]], latency_s: float | None = None
) -> str:
    """The model string for a scripted-replies file written at `path`: a list of replies, or replies by tool."""
    content: object = list(replies) if not isinstance(replies, Mapping) else {k: list(v) for k, v in replies.items()}
    if isinstance(replies, Mapping) or latency_s is not None:
        content = {"replies": content, "latency_s": latency_s or 0.0}
    path.write_text(yaml.safe_dump(content))
    return f"scripted:{path}"


def cli(*arguments: object) -> Result:
    """`toolfoundry ARGUMENTS...` in this process, as a user would type them."""
    return CliRunner().invoke(app, [str(argument) for argument in arguments])


class FakeTime:
    """A clock and a sleep for LLMService: waits are recorded and pass at once."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def until(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Whether `condition` holds within `seconds`, looked at every 20 ms: a wait on what a test means, not a
    guess at how long it takes."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def web_server(
    answer: Callable[[http.server.BaseHTTPRequestHandler], bytes], tls: ssl.SSLContext | None = None
) -> http.server.ThreadingHTTPServer:
    """A quiet HTTP (or, with `tls`, HTTPS) server on a free loopback port, answering every GET with
    `answer(request)`; the caller shuts it down."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = answer(self)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
