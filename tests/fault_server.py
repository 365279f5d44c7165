"""A loopback HTTP server of the tests' own that answers from a script: OpenAI and Anthropic response
formats, error statuses, hangs, dropped connections, malformed bodies. It records every request."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def openai_reply(text: str = "```python\ndef f():\n    return 1\n```", prompt: int = 11, completion: int = 7) -> dict:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
    }


def anthropic_reply(text: str = "return 1", prompt: int = 13, completion: int = 5) -> dict:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "m",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": prompt, "output_tokens": completion},
    }


@dataclass
class Step:
    status: int = 200
    body: Any = None  # dict (sent as JSON) or bytes (sent as is)
    headers: dict[str, str] = field(default_factory=dict)
    action: str = "reply"  # "reply", "hang" (for `seconds`, then reply), "drop" (close without a reply)
    seconds: float = 0.0


class FaultServer:
    """Answers from a script of steps (`play`), or, given a `responder`, with whatever step it picks for each
    request's JSON body (for load tests that fail at random)."""

    def __init__(self, responder: Callable[[dict[str, Any]], Step] | None = None) -> None:
        self.responder = responder
        self.script: list[Step] = []
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if server.responder is not None:
                    self._answer(server.responder(json.loads(body or b"{}")))
                    return
                with server._lock:
                    server.requests.append(
                        {
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "json": json.loads(body or b"{}"),
                        }
                    )
                    step = server.script.pop(0) if len(server.script) > 1 else server.script[0]
                self._answer(step)

            def _answer(self, step: Step) -> None:
                if step.action == "drop":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if step.action == "hang":
                    time.sleep(step.seconds)
                payload = step.body if isinstance(step.body, bytes) else json.dumps(step.body).encode()
                self.send_response(step.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in step.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that gave up on a hang
                    super().handle_error(request, client_address)

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def play(self, *steps: Step) -> None:
        """Answer the next requests with these steps; the last one repeats."""
        with self._lock:
            self.script = list(steps)
            self.requests.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
