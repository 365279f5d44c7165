"""Recorded HTTP exchanges in a spec file: an example's `http:` is a list of interactions in vcrpy's cassette
format, or the path of a cassette file (`http: stars.yaml`, relative to the spec file and inside its folder),
as vcrpy and pytest-recording write them.

Cassettes are read with vcrpy's own deserializer: since 8.2.1 (9.4 is required) its loader is a safe one
that refuses the `!!python/object` tags a full loader would run (a cassette that came with a spec is hostile
input like the spec) while still reading the `!!python/str` and `!!binary` forms older recordings hold.
vcrpy then replays what was read inside the checks' sandbox (sandbox/replay.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import yaml

from ..errors import SpecProblem

MAX_CASSETTE_CHARS = 2_000_000
# Request headers that carry credentials: never written out again (TOOL_SPEC, the pytest target, reports).
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key"})
# Query parameters that carry credentials: `toolfoundry record` redacts these, and a prompt or finding never
# shows any whose name holds one of CREDENTIAL_WORDS (appid, X-Amz-Signature, private_token, ...).
CREDENTIAL_PARAMETERS = (
    "api_key", "apikey", "api-key", "key", "token", "access_token", "auth_token", "private_token", "client_secret",
    "secret", "password", "sig", "signature", "appid", "access_key", "X-Amz-Signature", "X-Amz-Credential",
    "X-Amz-Security-Token",
)  # fmt: skip
CREDENTIAL_WORDS = ("key", "token", "secret", "pass", "sig", "auth", "credential", "appid")


def _read(folder: Path, written: str) -> tuple[list[Any] | None, str | None]:
    outside = f"cassette path {written!r} must be relative and stay inside the spec's folder"
    if "\0" in written or Path(written).is_absolute() or ".." in Path(written).parts:
        return None, outside
    path = folder / written
    try:
        if not path.resolve().is_relative_to(folder.resolve()):  # a link out of the folder
            return None, outside
        if not path.is_file():  # not a device, a FIFO or a folder
            return None, f"cassette {written!r} not found beside the spec (or not a regular file)"
        with path.open(encoding="utf-8") as stream:
            text = stream.read(MAX_CASSETTE_CHARS + 1)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return None, f"cassette {written!r} cannot be read ({type(error).__name__})"
    if len(text) > MAX_CASSETTE_CHARS:
        return None, f"cassette {written!r} is over {MAX_CASSETTE_CHARS:,} characters"
    from vcr.serializers import yamlserializer  # loaded only for a spec that has a cassette

    try:
        loaded = yamlserializer.deserialize(text)
    except (yaml.YAMLError, RecursionError) as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        return None, f"cassette {written!r} is not valid YAML{where}"
    if not isinstance(loaded, dict) or not isinstance(loaded.get("interactions"), list):
        return None, f"cassette {written!r} has no `interactions` list (vcrpy's format, version 1)"
    if loaded.get("version", 1) != 1:
        return None, f"cassette {written!r} is version {loaded.get('version')!r}; version 1 is read"
    return loaded["interactions"], None


def read_cassettes(raw: Any, folder: Path) -> list[SpecProblem]:
    """Replace each example's `http: <path>` in the loaded spec file with the interactions of that cassette;
    the problems, with their field paths, of any that cannot be read."""
    entries = raw if isinstance(raw, list) else [raw]
    problems: list[SpecProblem] = []
    for number, entry in enumerate(entries):
        examples = entry.get("examples") if isinstance(entry, dict) else None
        for index, example in enumerate(examples if isinstance(examples, list) else []):
            written = example.get("http") if isinstance(example, dict) else None
            if not isinstance(written, str):
                continue
            interactions, problem = _read(folder, written)
            if problem:
                prefix = f"[{number}]." if len(entries) > 1 else ""
                problems.append(SpecProblem(f"{prefix}examples[{index}].http", problem))
            else:
                example["http"] = interactions
    return problems


def without_secrets(interactions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The interactions with credential headers blanked, for anything written out; replay matches on method and
    URI, not on these headers. A token in a URI's query stays: the URI is what replay matches on (README)."""
    cleaned = []
    for interaction in interactions:
        parts = {}
        for part in ("request", "response"):  # a response's Set-Cookie is a credential too
            given = dict(interaction.get(part, {}))
            headers = given.get("headers")
            if isinstance(headers, dict):
                given["headers"] = {
                    name: ["<redacted>"] if str(name).lower() in SECRET_HEADERS else value
                    for name, value in headers.items()
                }
            parts[part] = given
        cleaned.append({**interaction, **parts})
    return cleaned


def uri_without_secrets(uri: str) -> str:
    """The URI with its password and credential query parameters shown as <redacted>, for a prompt."""
    where = urlsplit(uri)
    netloc = where.netloc.rpartition("@")[2]
    query = [
        (name, "<redacted>" if any(word in name.lower() for word in CREDENTIAL_WORDS) else value)
        for name, value in parse_qsl(where.query, keep_blank_values=True)
    ]
    return urlunsplit(where._replace(netloc=netloc, query=urlencode(query, safe="<>,:/")))


_SECRET_FIELD = re.compile(
    r"""(?i)(["']?[\w-]*(?:key|token|secret|pass|sig|auth|credential)[\w-]*["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^&\s,}]+)"""
)


def text_without_secrets(text: str) -> str:
    """A body as a prompt may show it: the values of fields named like credentials as <redacted>."""
    return _SECRET_FIELD.sub(lambda match: f"{match.group(1)}<redacted>", text)


def exchange_text(interaction: dict[str, Any], most: int = 400) -> str:
    """One recorded exchange in a prompt's words: `GET https://... (answered 200: {"stars": 3})`."""
    request, response = interaction["request"], interaction["response"]
    body = response.get("body", "")
    text = body.get("string", "") if isinstance(body, dict) else body
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text if isinstance(text, str) else ""
    text = text_without_secrets(" ".join(text.split()))
    shown = f": {text[:most]}{'...' if len(text) > most else ''}" if text else ""
    sent = request.get("body") if "body" in interaction.get("match_on", []) else None
    sent_text = f" with the body {text_without_secrets(sent)[:most]}" if isinstance(sent, str) and sent else ""
    uri = uri_without_secrets(request["uri"])
    return f"{request['method']} {uri}{sent_text} (answered {response['status']['code']}{shown})"
