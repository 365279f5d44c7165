"""One example of a spec: a call, what it must give, and the files around it.

`files:` are placed in the working folder before the call; `files_after:` is what that folder must hold after
it (a path mapped to null: that file must not be there). Both take text, or `{base64: ...}` for bytes (an
SQLite file, an image), so a tool's effect on its folder is evidence like its return value.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import re
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_serializer,
    field_validator,
    model_validator,
)

from .cassettes import exchange_text, without_secrets

MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
# A file's content in a spec: text, or bytes as {"base64": "..."}.
FileContent = str | dict[str, str]
# What an exchange may ask to match beyond vcrpy's defaults: the request's body, or one named header.
_MATCHABLE = re.compile(r"body|header:[A-Za-z0-9-]+")


def exception_name_problem(value: str) -> str | None:
    """Why `value` cannot name an exception class, or None when it can (a builtin exception, or a dotted
    CapWords name such as `requests.HTTPError` that cannot be checked without importing it)."""
    if not MODULE_NAME.match(value):
        return f"{value!r} is not an exception class name such as ValueError"
    builtin = getattr(builtins, value, None)
    if builtin is not None:
        if isinstance(builtin, type) and issubclass(builtin, BaseException):
            return None
        return f"{value!r} is a builtin but not an exception class"
    if not value.rsplit(".", 1)[-1][:1].isupper():
        return f"{value!r} is not an exception class name (class names start with a capital: ValueError)"
    return None


def content_bytes(content: FileContent) -> bytes:
    """The bytes a file's content stands for (text is UTF-8)."""
    return content.encode("utf-8") if isinstance(content, str) else base64.b64decode(content["base64"])


def _path_problem(path: str) -> str | None:
    parts = path.replace("\\", "/").split("/")
    if not path or path.startswith("/") or ".." in parts or ":" in parts[0] or "\0" in path:
        return f"file path {path!r} must be relative and stay inside the working directory"
    return None


def _content_problem(path: str, content: Any) -> str | None:
    if isinstance(content, str):
        return None
    if not isinstance(content, dict) or set(content) != {"base64"} or not isinstance(content["base64"], str):
        return f"file {path!r}: give its text, or its bytes as {{base64: ...}}"
    try:
        base64.b64decode(content["base64"], validate=True)
    except (binascii.Error, ValueError):
        return f"file {path!r}: its base64 does not decode"
    return None


def _interaction_problem(index: int, interaction: Any) -> str | None:
    """What makes one recorded exchange unusable (vcrpy's cassette format, version 1), or None."""
    where = f"exchange {index}"
    if not isinstance(interaction, dict) or not {"request", "response"} <= set(interaction):
        return f"{where}: needs `request` and `response` (vcrpy's cassette format)"
    request, response = interaction["request"], interaction["response"]
    if not isinstance(request, dict) or not isinstance(request.get("method"), str) or not request["method"]:
        return f"{where}: its request has no method"
    uri = request.get("uri")
    if not isinstance(uri, str) or not uri.startswith(("http://", "https://")):
        return f"{where}: its request has no http:// or https:// uri"
    try:
        if not urlsplit(uri).hostname or urlsplit(uri).port == 0:
            return f"{where}: its uri names no host"
    except ValueError:
        return f"{where}: its uri has a port that is not a number from 1 to 65535"
    status = response.get("status") if isinstance(response, dict) else None
    if not isinstance(status, dict) or not isinstance(status.get("code"), int) or isinstance(status["code"], bool):
        return f"{where}: its response has no status code"
    body = response.get("body", {"string": ""})
    if not (isinstance(body, str) or (isinstance(body, dict) and isinstance(body.get("string", ""), str | bytes))):
        return f"{where}: its response body is not {{string: ...}}"
    if "optional" in interaction and not isinstance(interaction["optional"], bool):
        return f"{where}: `optional` is true or false"
    asked = interaction.get("match_on", [])
    if not isinstance(asked, list) or not all(_MATCHABLE.fullmatch(str(item)) for item in asked):
        return f"{where}: `match_on` lists `body` and `header:<Name>` entries (method and URI always match)"
    return None


class Example(BaseModel):
    """A call and what it must give: `output` (compared by value) or `raises` (an exception class name)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input: dict[str, Any] = Field(default_factory=dict)
    output: Any = None
    raises: str | None = None
    expects_output: bool = True
    files: dict[str, FileContent] = Field(
        default_factory=dict,
        description="files (relative path -> text, or {base64: ...}) placed in the working directory first",
    )
    # Written out only when given (exclude_if), so a spec from before these fields dumps as it did: TOOL_SPEC,
    # reports and the spec's hash stay the same.
    files_after: dict[str, FileContent | None] | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="what the working directory must hold after the call (null: the file must not exist)",
    )
    confirmed: Literal["review"] | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="`review`: a person's answer to a question `toolfoundry review` asked (never held back)",
    )
    http: list[dict[str, Any]] | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="the HTTP exchanges the call makes, answered from this record (vcrpy's interactions; a "
        "cassette file's path in a spec file is read by the parser); `optional: true` on one it may skip",
    )

    @field_validator("http")
    @classmethod
    def _exchanges_are_usable(cls, exchanges: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        for index, interaction in enumerate(exchanges or []):
            if problem := _interaction_problem(index, interaction):
                raise ValueError(problem)
        return exchanges

    @model_validator(mode="before")
    @classmethod
    def _output_or_raises(cls, data: Any) -> Any:
        if isinstance(data, dict) and "expects_output" not in data:
            has_output, has_raises = "output" in data, data.get("raises") is not None
            if has_output and has_raises:
                raise ValueError("give either `output` or `raises`, not both")
            if not has_output and not has_raises:
                raise ValueError("needs `output` (the expected value) or `raises` (an exception class name)")
            data = {**data, "expects_output": has_output}
        return data

    @field_validator("files", "files_after")
    @classmethod
    def _files_stay_inside(cls, files: dict[str, Any] | None) -> dict[str, Any] | None:
        for path, content in (files or {}).items():
            if problem := _path_problem(path) or (None if content is None else _content_problem(path, content)):
                raise ValueError(problem)
        return files

    @field_serializer("http")
    def _http_without_secrets(self, exchanges: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        return None if exchanges is None else without_secrets(exchanges)

    def after_text(self) -> str:
        """What `files_after` asks, in a prompt's words: `notes.txt` holds 'a\nb\n', `old.log` is gone."""
        parts = []
        for path, content in (self.files_after or {}).items():
            if content is None:
                parts.append(f"`{path}` is gone")
            elif isinstance(content, str):
                parts.append(f"`{path}` holds {content!r}")
            else:
                parts.append(f"`{path}` holds {len(content_bytes(content))} given bytes")
        return ", ".join(parts)

    def http_text(self) -> str:
        """The exchanges the call makes, in a prompt's words (credentials redacted)."""
        return "; ".join(exchange_text(interaction) for interaction in self.http or [])

    @field_validator("raises")
    @classmethod
    def _raises_is_name(cls, value: str | None) -> str | None:
        if value is not None and (problem := exception_name_problem(value)):
            raise ValueError(problem)
        return value
