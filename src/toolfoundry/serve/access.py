"""Who may call: off loopback, `serve --http` answers only requests that carry its bearer token.

The token comes from an environment variable the user names (`--token-env NAME`), or is generated at start
and printed once. It is checked before the MCP app sees the request, so without it no tool is listed or
called: the answer is 401 with `WWW-Authenticate: Bearer`, and nothing runs. The comparison is constant-time.
On loopback no token is asked unless `--token-env` names one.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ..errors import ServeError

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]
MIN_TOKEN_CHARS = 16


def token_from(variable: str | None, generate: bool) -> tuple[str | None, bool]:
    """(the token, whether it was generated here); (None, False) when no token is asked."""
    if variable:
        value = os.environ.get(variable, "")
        if not value:
            raise ServeError(f"--token-env {variable}: that environment variable is not set (or empty)")
        if len(value) < MIN_TOKEN_CHARS or value != value.strip():
            raise ServeError(f"--token-env {variable}: a token needs {MIN_TOKEN_CHARS} characters or more, no spaces")
        return value, False
    return (secrets.token_urlsafe(32), True) if generate else (None, False)


class BearerToken:
    """ASGI middleware: lets a request through to `app` only with `Authorization: Bearer <token>`."""

    def __init__(self, app: App, token: str) -> None:
        self.app = app
        self.expected = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # the server starting and stopping: no request
            await self.app(scope, receive, send)
            return
        given = b"".join(value for name, value in scope.get("headers", []) if name.lower() == b"authorization")
        scheme, _, credentials = given.partition(b" ")  # the scheme's name is case-insensitive (RFC 9110)
        if scope["type"] == "http" and scheme.lower() == b"bearer" and hmac.compare_digest(credentials, self.expected):
            await self.app(scope, receive, send)
            return
        body = b'{"error": "unauthorized: send Authorization: Bearer <the token serve printed or was given>"}'
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Bearer realm="toolfoundry"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
