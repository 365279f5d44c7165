"""Recorded HTTP exchanges answered inside the sandbox, around each call of the tool (shipped beside the harness
as `_toolfoundry.replay`, imported only for an example that has exchanges).

vcrpy replays them: it patches http.client (so urllib), requests, httpx and the rest at the client library,
matches on method, scheme, host, port, path and query (its default matchers), and on the body or chosen
headers where a recorded exchange asks (`match_on: [body, "header:Content-Type"]`), and in record mode "none"
refuses anything else. So HTTPS needs no certificate of ours and nothing leaves the sandbox, which has no network
anyway: a request no exchange answers fails inside, and is reported by what it asked for. A client vcrpy does
not patch, or raw sockets, get no answer at all, never a real host. Each call gets the cassette afresh, so the
two calls of a probe start from equal states.

Interactions arrive as JSON (protocol.Call's `http`): a body's bytes as {"base64": ...} in `string` (a
response's) or in place of the body (a request's).
"""

import base64
import json
import urllib.parse

import vcr
from vcr import matchers
from vcr.matchers import requests_match
from vcr.request import Request
from vcr.serializers import compat
from vcr.stubs import VCRHTTPResponse

_close = VCRHTTPResponse.close


def _close_returning_none(self):
    # vcrpy's response stub returns True from close(), and IOBase.__exit__ returns what close() returns: inside
    # `with urlopen(...) as response:` every exception was swallowed and the tool returned None (vcrpy 9.4).
    _close(self)


VCRHTTPResponse.close = _close_returning_none


DEFAULT_MATCHERS = ("method", "scheme", "host", "port", "path", "query")


def _request(interaction):
    raw = {"body": None, "headers": {}} | interaction["request"]
    if isinstance(raw["body"], dict):
        raw["body"] = base64.b64decode(raw["body"]["base64"])
    request = Request._from_dict(raw)
    request.asked = tuple(interaction.get("match_on", ()))  # read by _as_asked, on the recorded side only
    return request


def _comparable(request):
    """A request's body as the tool meant it: JSON and forms parsed (key order and spacing are not meaning).
    The pytest target's template holds the same comparison (this module is shipped alone): keep them alike."""
    body = request.body or b""
    if not isinstance(body, bytes):  # a file or a generator the tool sent: compared as it is
        return body
    kind = str(request.headers.get("Content-Type", "")).lower()
    try:
        if "x-www-form-urlencoded" in kind:
            return sorted(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        return ("json", json.loads(body))
    except (UnicodeDecodeError, ValueError):
        return body


# Headers whose values a finding never quotes (spec/cassettes.py's SECRET_HEADERS; this module is shipped alone).
_SECRET = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key"})


def _as_asked(sent, recorded):
    """The recorded exchange's own `match_on`: its body, and the headers it names, must be what was sent."""
    for what in getattr(recorded, "asked", ()):
        same_bytes = (sent.body or b"") == (recorded.body or b"")
        if what == "body" and not same_bytes and _comparable(sent) != _comparable(recorded):
            sent_body, recorded_body = (sent.body or b"")[:200], (recorded.body or b"")[:200]
            raise AssertionError(f"with the body {sent_body!r} (recorded: {recorded_body!r})")
        if what.startswith("header:"):
            name = what.partition(":")[2]
            given, wanted = sent.headers.get(name), recorded.headers.get(name)
            if given != wanted:
                if name.lower() in _SECRET:
                    raise AssertionError(f"with another {name} than the recorded one")
                raise AssertionError(f"with {name}: {given!r} (recorded: {wanted!r})")


def _response(raw):
    response = {"headers": {}, "body": {"string": ""}} | raw
    status = response["status"]
    if "message" not in status:  # vcrpy's stubs read it; a hand-written exchange may leave it out
        import http

        try:
            phrase = http.HTTPStatus(status["code"]).phrase
        except ValueError:
            phrase = ""
        response["status"] = status | {"message": phrase}
    body = response["body"]
    body = body if isinstance(body, dict) else {"string": body}
    string = body.get("string", "")
    if isinstance(string, dict):
        string = base64.b64decode(string["base64"])
    return compat.convert_to_bytes(response | {"body": body | {"string": string}})


class _InMemory:
    """A vcrpy persister that hands out the example's interactions and saves nothing."""

    def __init__(self, interactions):
        self.interactions = interactions

    def load_cassette(self, cassette_path, serializer):
        return [_request(item) for item in self.interactions], [
            _response(item["response"]) for item in self.interactions
        ]

    @staticmethod
    def save_cassette(cassette_path, cassette_dict, serializer):
        return None


def _why_not(cassette, request):
    """What kept an exchange recorded for this method and URI from answering (its body or a header), or ""."""
    for recorded in cassette.requests:
        if requests_match(request, recorded, [getattr(matchers, name) for name in DEFAULT_MATCHERS]):
            try:
                _as_asked(request, recorded)
            except AssertionError as error:
                return f" {error}"
    return ""


class Replay:
    """One example's exchanges, answered around each call of `around(function)`; `report()` says afterwards
    which requests nothing answered and which recorded exchanges the first call never made."""

    def __init__(self, interactions):
        self.optional = {index for index, item in enumerate(interactions) if item.get("optional")}
        self.count = len(interactions)
        self.recorder = vcr.VCR(record_mode="none", match_on=(*DEFAULT_MATCHERS, "as_asked"))
        self.recorder.register_matcher("as_asked", _as_asked)
        self.recorder.register_persister(_InMemory(interactions))
        self.unrecorded = []
        self.unplayed = None
        self.made = 0  # answered requests of the first call

    def around(self, function):
        def replayed(**arguments):
            with self.recorder.use_cassette("example") as cassette:
                playable = cassette.can_play_response_for

                def noting(request):
                    answered = playable(request)
                    if not answered:
                        self.unrecorded.append(f"{request.method} {request.uri}{_why_not(cassette, request)}")
                    return answered

                cassette.can_play_response_for = noting  # vcrpy's stubs ask this before every request
                play = cassette.play_response

                def playing(request):
                    response = play(request)
                    if response.get("drop"):  # an injected fault (evidence/faults.py)
                        raise ConnectionResetError(104, "Connection reset by peer")
                    if response.get("timeout"):  # as a client's socket timeout would fire
                        raise TimeoutError("The read operation timed out")
                    return response

                cassette.play_response = playing
                try:
                    return function(**arguments)
                finally:
                    if self.unplayed is None:
                        played = cassette.play_counts
                        self.unplayed = [i for i in range(self.count) if not played[i] and i not in self.optional]
                        self.made = cassette.play_count

        return replayed

    def report(self):
        unrecorded = list(dict.fromkeys(self.unrecorded))[:20]
        return {"unrecorded": unrecorded, "unplayed": self.unplayed or [], "made": self.made}
