"""An example's recorded HTTP exchanges, as the checks hand them to the sandbox and read back what the call
did with them: a request no exchange answers, or a recorded exchange the call never made (unless marked
`optional`), fails the example, named (`GET https://api.github.com/repos/x/y?page=2 was not recorded`) so a
repair prompt can quote it.
"""

from __future__ import annotations

import base64
from typing import Any

from ..sandbox import is_loopback, split_host_port
from ..sandbox.protocol import Record
from ..spec import Example, ToolSpec
from ..spec.cassettes import uri_without_secrets

# What the clients raise when a name cannot be resolved or a host reached: in the checks, no network at all.
_NETWORK_ERRORS = frozenset(
    {
        "gaierror",
        "URLError",
        "ConnectionError",
        "ConnectError",
        "ConnectTimeout",
        "TransportError",
        "NameResolutionError",
    }
)


def _json_body(body: Any) -> Any:
    if isinstance(body, dict) and isinstance(body.get("string"), bytes):
        return body | {"string": {"base64": base64.b64encode(body["string"]).decode()}}
    return body


def json_ready(interactions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The interactions as JSON can carry them into the sandbox: a body's bytes as {"base64": ...} (a request's
    too, for an exchange that matches on its body; an old cassette's BytesIO body is dropped)."""
    ready = []
    for interaction in interactions:
        request = dict(interaction["request"])
        if isinstance(request.get("body"), bytes):
            request["body"] = {"base64": base64.b64encode(request["body"]).decode()}
        elif not isinstance(request.get("body"), str | None):
            request["body"] = None
        response = dict(interaction["response"])
        if "body" in response:
            response["body"] = _json_body(response["body"])
        ready.append({**interaction, "request": request, "response": response})
    return ready


def _without_secrets(request: str) -> str:
    """`METHOD URI ...` as the sandbox reported it, the URI's credentials redacted (it reaches prompts)."""
    method, _, rest = request.partition(" ")
    uri, space, more = rest.partition(" ")
    try:
        return f"{method} {uri_without_secrets(uri)}{space}{more}"
    except ValueError:  # not a URI after all: said without it
        return f"{method} (a request whose URI cannot be read)"


def exchanges_problem(example: Example, replayed: dict[str, list[Any]] | None) -> str:
    """ "" when the call made exactly the exchanges it should; otherwise each one it got wrong, a line each."""
    if example.http is None:
        return ""
    if replayed is None:
        return "its recorded exchanges were not replayed"
    try:  # from inside the sandbox, where the code could have forged it: another shape fails the example
        lines = [
            f"{_without_secrets(str(request))[:300]} was not recorded" for request in replayed.get("unrecorded", [])
        ]
        for index in replayed.get("unplayed", []):
            request = example.http[index]["request"]
            lines.append(f"the recorded {request['method']} {uri_without_secrets(request['uri'])} was never made")
    except (AttributeError, IndexError, KeyError, TypeError):
        return "what the call did with its recorded exchanges came back in a form the checks cannot read"
    return "\n".join(lines)


def unreachable_hosts(spec: ToolSpec, examples: list[Example], records: list[Record | None]) -> str:
    """The declared hosts beyond loopback, when an example without recorded exchanges failed for want of them
    (its exception a network error): those examples cannot run here, whatever the code; "" otherwise."""
    hosts = [value for value in spec.permissions.network if not is_loopback(split_host_port(value)[0])]
    if not hosts:
        return ""
    for example, record in zip(examples, records, strict=True):
        if example.http is None and record is not None and _NETWORK_ERRORS & set(record.get("mro", [])):
            return ", ".join(hosts)
    return ""
