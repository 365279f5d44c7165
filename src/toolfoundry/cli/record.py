"""`toolfoundry record METHOD URL -o CASSETTE`: one live HTTP exchange recorded as a vcrpy cassette, for an
example's `http:` (README: Recorded exchanges).

vcrpy records it (its cassette format and its filters, not ours): the request is made with urllib under
`record_mode="all"`; headers come from environment variables named with `--header NAME=VARIABLE`, so a token
never appears on the command line, and vcrpy writes every such header, the usual credential headers and query
parameters, and the response's cookies as `<redacted>`. A cassette that exists gets the exchange added.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer

from ..spec.cassettes import CREDENTIAL_PARAMETERS, SECRET_HEADERS
from .common import fail, stdout

REDACTED = "<redacted>"


def _without_cookies(response: dict[str, Any]) -> dict[str, Any]:
    headers = {name: value for name, value in response["headers"].items() if name.lower() != "set-cookie"}
    return response | {"headers": headers}


def _headers(given: list[str]) -> dict[str, str]:
    headers = {}
    for item in given:
        name, _, variable = item.partition("=")
        if not name or not variable:
            raise fail(f"--header takes NAME=VARIABLE (an environment variable holding the value), not {item!r}")
        if variable not in os.environ:
            raise fail(f"--header {name}: the environment variable {variable} is not set")
        headers[name] = os.environ[variable]
    return headers


def record(
    method: Annotated[str, typer.Argument(help="the HTTP method, e.g. GET")],
    url: Annotated[str, typer.Argument(help="the http:// or https:// URL to call")],
    output: Annotated[Path, typer.Option("--output", "-o", help="the cassette file to write (or add to)")],
    header: Annotated[
        list[str] | None, typer.Option("--header", help="NAME=VARIABLE: a header whose value is in $VARIABLE")
    ] = None,
    data: Annotated[str | None, typer.Option(help="the request body")] = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait for the answer", min=0.1)] = 30.0,
) -> None:
    """Call URL once and record the exchange as a vcrpy cassette, credentials redacted."""
    import vcr  # loaded only for this command

    try:
        where = urlsplit(url)
        host = f"{where.hostname or ''}{f':{where.port}' if where.port else ''}"  # raises for a bad port
        shown = where._replace(netloc=host, query="").geturl()  # no password, no query key: never printed
    except ValueError:
        raise fail("the URL is not one urllib can call (its host or port is malformed)") from None
    if where.scheme not in {"http", "https"} or not where.hostname:
        raise fail(f"{shown!r} is not an http:// or https:// URL")
    headers = _headers(header or [])
    recorder = vcr.VCR(
        record_mode="all",
        filter_headers=[(name, REDACTED) for name in {*SECRET_HEADERS, *(name.lower() for name in headers)}],
        filter_query_parameters=[(name, REDACTED) for name in CREDENTIAL_PARAMETERS],
        before_record_response=_without_cookies,
        decode_compressed_response=True,
    )
    request = urllib.request.Request(url, data=data.encode() if data is not None else None, method=method.upper())
    for name, value in headers.items():
        request.add_header(name, value)
    output.parent.mkdir(parents=True, exist_ok=True)
    with recorder.use_cassette(str(output)) as cassette:
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # http(s) only: checked above
                status = response.status
        except urllib.error.HTTPError as error:  # a 404 or a 429 is an answer worth recording too
            status = error.code
        except (urllib.error.URLError, OSError, ValueError) as error:  # ValueError: http.client's InvalidURL
            reason = getattr(error, "reason", error)
            raise fail(f"{method.upper()} {shown}: no answer ({reason}); nothing recorded") from None
    recorded = cassette.requests[-1].uri  # as written, credentials redacted
    stdout.print(
        f"recorded {method.upper()} {recorded} -> {status} in {output} ({len(cassette)} exchanges)", highlight=False
    )
