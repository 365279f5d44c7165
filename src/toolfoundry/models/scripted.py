"""ScriptedModel: a deterministic model for offline tests of your own pipelines.

Give it a list of replies (served in order, the last one repeated when the list runs out), a mapping from
tool name to such a list (for batches: each tool's prompts get that tool's replies, whatever the order the
calls arrive in), or a function from request to reply. Requests for test cases written from a spec (purpose
"tests") get `test_replies` instead (by default one empty reply: no tests). It records every request (those
for tests apart), so a test can assert on the prompts the pipeline sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import yaml

from ..errors import ConfigError, ModelError
from .base import ChatModel, Completion, CompletionRequest, Usage

Reply = str | BaseException
Responder = Callable[[CompletionRequest], Reply]
# Every generation and repair prompt opens with this line (prompts/_tool.j2).
# The full prompt names the tool; the compact one starts with its signature.
_TOOL_ASKED_FOR = re.compile(r"Write the Python function `([A-Za-z_]\w*)`|^def ([A-Za-z_]\w*)\(", re.MULTILINE)


def tool_asked_for(request: CompletionRequest) -> str | None:
    """The name of the tool a pipeline prompt asks for, if the request is one."""
    for message in reversed(request.messages):
        if message.role == "user" and (match := _TOOL_ASKED_FOR.search(message.content)):
            return match.group(1) or match.group(2)
    return None


class ScriptedModel(ChatModel):
    """Replies are whole replies, so by default it takes no prefill; set `supports_prefill=True` to have
    the pipeline send one (the scripted reply is then taken as its continuation)."""

    context_window = 8192
    usd_per_million_tokens = (0.0, 0.0)

    def __init__(
        self,
        replies: Sequence[Reply] | Mapping[str, Sequence[Reply]] | Responder,
        name: str = "scripted",
        repeat_last: bool = True,
        supports_prefill: bool = False,
        latency_s: float = 0.0,
        keep_requests: int | None = None,
        prompt_style: str = "full",
        test_replies: Sequence[Reply] = ("",),
    ) -> None:
        if not callable(replies) and not replies:
            raise ConfigError("ScriptedModel needs at least one reply")
        self.name = name
        self.supports_prefill = supports_prefill
        self.prompt_style = prompt_style  # the prompt the pipeline sends it (prompting.PROMPT_STYLES)
        self.latency_s = latency_s  # a fixed delay per call, for throughput tests and benchmarks
        self._replies: list[Reply] | dict[str, list[Reply]] | Responder
        if callable(replies):
            self._replies = replies
        elif isinstance(replies, Mapping):
            if not all(replies.values()):
                raise ConfigError("ScriptedModel needs at least one reply for each tool")
            self._replies = {tool: list(script) for tool, script in replies.items()}
        else:
            self._replies = list(replies)
        self._repeat_last = repeat_last
        # Requests for test cases (purpose "tests") are answered from their own script, in order, the last
        # repeated: by default an empty reply, so a script of code replies serves only code requests.
        self._test_replies = list(test_replies) or [""]
        self._served: dict[str | None, int] = {}  # replies served so far, per tool (None: the single list)
        # Every request, or the last `keep_requests` of them (long batches need not hold every prompt).
        self.requests: list[CompletionRequest] = []  # requests for code
        self.test_requests: list[CompletionRequest] = []  # requests for test cases (purpose "tests")
        self._keep_requests = keep_requests

    @classmethod
    def from_file(cls, path: str | Path) -> ScriptedModel:
        """Replies from a YAML or JSON file (`--model scripted:replies.yaml`): a list of strings, or a mapping
        with `replies` (a list, or a mapping from tool name to a list), `latency_s` (seconds per call) and
        `test_replies` (a list of replies to requests for test cases)."""
        path = Path(path)
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise ConfigError(f"scripted model file {path}: {error}") from None
        latency, test_replies = 0.0, [""]
        if isinstance(loaded, dict):
            if "replies" not in loaded:
                raise ConfigError(
                    f"scripted model file {path}: a mapping at the top must hold `replies:` (a list, or a "
                    "mapping from tool name to a list) and may hold `latency_s:`"
                )
            latency = loaded.get("latency_s", 0.0)
            if not isinstance(latency, int | float) or latency < 0:
                raise ConfigError(f"scripted model file {path}: latency_s must be a number of seconds")
            test_replies = loaded.get("test_replies", test_replies)
            if not (isinstance(test_replies, list) and all(isinstance(reply, str) for reply in test_replies)):
                raise ConfigError(f"scripted model file {path}: test_replies must be a list of strings")
            loaded = loaded.get("replies")
        replies = loaded

        def is_script(value: object) -> bool:
            return isinstance(value, list) and bool(value) and all(isinstance(reply, str) for reply in value)

        per_tool = isinstance(replies, dict) and bool(replies) and all(map(is_script, replies.values()))
        if not (is_script(replies) or per_tool):
            raise ConfigError(
                f"scripted model file {path}: replies must be a non-empty list of strings, "
                "or a mapping from tool name to such a list"
            )
        model = cls(
            replies, name=f"scripted:{path}", latency_s=float(latency), keep_requests=100, test_replies=test_replies
        )
        script = json.dumps([replies, test_replies])
        model._identity = f"{model.name}#{hashlib.sha256(script.encode()).hexdigest()[:16]}"
        return model

    async def complete(self, request: CompletionRequest) -> Completion:
        log = self.test_requests if request.purpose == "tests" else self.requests
        log.append(request)
        if self._keep_requests is not None and len(log) > self._keep_requests:
            del log[0]
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        reply = self._next_reply(request)
        if isinstance(reply, BaseException):
            raise reply
        prompt = "".join(message.content for message in request.messages)
        return Completion(
            text=reply,
            model=self.name,
            usage=Usage(prompt_tokens=self.count_tokens(prompt), completion_tokens=self.count_tokens(reply)),
        )

    def _next_reply(self, request: CompletionRequest) -> Reply:
        if callable(self._replies):
            return self._replies(request)
        if request.purpose == "tests":
            served = self._served.get("<tests>", 0)
            self._served["<tests>"] = served + 1
            return self._test_replies[min(served, len(self._test_replies) - 1)]
        tool: str | None = None
        script = self._replies
        if isinstance(script, dict):
            tool = tool_asked_for(request)
            if tool not in script:
                raise ModelError(f"{self.name}: no replies scripted for tool {tool!r}")
            script = script[tool]
        index = self._served.get(tool, 0)
        self._served[tool] = index + 1
        if index >= len(script):
            if not self._repeat_last:
                raise ModelError(f"{self.name}: script ran out after {len(script)} replies")
            index = len(script) - 1
        return script[index]

    def __repr__(self) -> str:
        return f"ScriptedModel(name={json.dumps(self.name)}, served={len(self.requests)})"
