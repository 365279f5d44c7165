"""What the two SDK providers share: importing their SDK, one client per event loop, and SDK errors into
toolfoundry's tree, decided by exception type and HTTP status, never by message text.

Both official SDKs (openai, anthropic) share one shape: APIStatusError with status_code, response and body;
APIConnectionError and its APITimeoutError. Messages are built here from the status and the body's error type,
with anything key-shaped redacted.
"""

from __future__ import annotations

import asyncio
import email.utils
import importlib
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

from ..errors import AuthenticationFailed, ConfigError, ModelError, QuotaExhausted, RetryableModelError, redact

RETRYABLE_STATUS = {408, 409, 425, 429}


def import_sdk(name: str, provider: str) -> Any:
    """A provider's SDK, imported on first use; missing, it is a ConfigError naming the extra to install."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise ConfigError(f"the {provider} provider needs its SDK: pip install 'toolfoundry[{name}]'") from None


def retry_after_seconds(headers: Any) -> float | None:
    """The wait a response asks for: `retry-after-ms`, or `Retry-After` in seconds or as an HTTP date."""
    if headers is None:
        return None
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def _error_detail(body: Any) -> tuple[str, str]:
    """(code or type, message) from an error body of either provider."""
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            code = str(error.get("code") or error.get("type") or "")
            return code, str(error.get("message") or "")
    return "", ""


def translate(error: Exception, sdk: ModuleType, provider: str) -> Exception:
    """The toolfoundry error for an SDK error; unknown errors pass through unchanged."""
    if isinstance(error, sdk.APITimeoutError):
        return RetryableModelError(f"{provider}: the request timed out")
    if isinstance(error, sdk.APIConnectionError):
        return RetryableModelError(f"{provider}: connection failed ({type(error.__cause__ or error).__name__})")
    if isinstance(error, sdk.APIResponseValidationError):
        return RetryableModelError(f"{provider}: the response was not valid ({error.status_code})")
    if not isinstance(error, sdk.APIStatusError):
        return error
    status = error.status_code
    code, detail = _error_detail(error.body)
    said = redact(f": {detail}" if detail else "")[:300]
    if status in {401, 403}:
        return AuthenticationFailed(f"{provider} rejected the credentials (HTTP {status}){said}; check the API key")
    if status == 429 and code == "insufficient_quota":
        return QuotaExhausted(f"{provider}: the account's quota is used up (HTTP 429 insufficient_quota){said}")
    if status in RETRYABLE_STATUS or status >= 500:
        wait = retry_after_seconds(getattr(error.response, "headers", None))
        return RetryableModelError(f"{provider}: HTTP {status}{said}", retry_after=wait, status=status)
    return ModelError(f"{provider}: HTTP {status}{f' {code}' if code else ''}{said}")


class ClientPerLoop:
    """An SDK client for the running event loop. SDK clients pool connections bound to the loop they were
    first used on, so a client must not outlive its loop (each `asyncio.run` makes a new one)."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: Any = None

    def get(self) -> Any:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._client = loop, self._factory()
        return self._client
