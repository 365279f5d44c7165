"""An exchange that asks to match on its body or a header (`match_on`) answers only the request that sends it:
a webhook tool that posts the wrong text, or JSON without saying so, is a finding that names what it sent. The
prompt shows the exchanges, credentials redacted."""

from __future__ import annotations

import pytest

from tests.helpers import requires_sandbox
from toolfoundry.checks import SandboxRunner
from toolfoundry.errors import SpecError
from toolfoundry.spec import ToolSpecificationParser

HOOK = "https://hooks.slack.com/services/T0/B0/abc"
POSTED = {
    "request": {
        "method": "POST",
        "uri": HOOK,
        "headers": {"Content-Type": ["application/json"]},
        "body": '{"text": "deploy done"}',
    },
    "response": {"status": {"code": 200, "message": "OK"}, "body": {"string": "ok"}},
    "match_on": ["body", "header:Content-Type"],
}
WEBHOOK = {
    "name": "post_message",
    "description": 'Post a text to a Slack incoming webhook as JSON {"text": ...}; True when Slack answers ok.',
    "permissions": {"network": ["hooks.slack.com:443"]},
    "input_params": [{"name": "webhook_url", "type": "str"}, {"name": "text", "type": "str"}],
    "output_type": "bool",
    "raises": ["OSError", "httpx.HTTPError"],
    "examples": [{"input": {"webhook_url": HOOK, "text": "deploy done"}, "output": True, "http": [POSTED]}],
}
URLLIB = """
import json
import urllib.request


def post_message(webhook_url: str, text: str) -> bool:
    body = json.dumps({"text": text}, separators=(",", ":")).encode()  # spacing differs from the recording
    request = urllib.request.Request(webhook_url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read() == b"ok"
"""
REQUESTS = """
import requests


def post_message(webhook_url: str, text: str) -> bool:
    response = requests.post(webhook_url, json={"text": text}, timeout=10)
    response.raise_for_status()
    return response.text == "ok"
"""
HTTPX = """
import httpx


def post_message(webhook_url: str, text: str) -> bool:
    response = httpx.post(webhook_url, json={"text": text}, timeout=10)
    response.raise_for_status()
    return response.text == "ok"
"""


def _findings(code: str) -> str:
    result = SandboxRunner().run_examples(code, ToolSpecificationParser().parse(WEBHOOK))
    assert result.ran
    return "\n".join(outcome.http for outcome in result.outcomes if not outcome.passed)


@requires_sandbox
@pytest.mark.parametrize("code", [URLLIB, REQUESTS, HTTPX], ids=["urllib", "requests", "httpx"])
def test_a_request_with_the_recorded_body_and_header_is_answered(code: str) -> None:
    assert _findings(code) == ""


@requires_sandbox
def test_another_body_is_a_finding_that_shows_what_was_sent() -> None:
    findings = _findings(REQUESTS.replace('json={"text": text}', 'json={"message": text}'))
    assert f"POST {HOOK} with the body b'" in findings and "message" in findings and "was not recorded" in findings


@requires_sandbox
def test_a_header_the_exchange_names_must_be_sent_as_recorded() -> None:
    findings = _findings(URLLIB.replace('"application/json"', '"text/plain"'))
    assert "with Content-Type: 'text/plain' (recorded: 'application/json')" in findings


def test_match_on_names_only_the_body_and_headers() -> None:
    bad = {**WEBHOOK, "examples": [{**WEBHOOK["examples"][0], "http": [{**POSTED, "match_on": ["everything"]}]}]}
    with pytest.raises(SpecError, match=r"`match_on` lists `body` and `header:<Name>` entries"):
        ToolSpecificationParser().parse(bad)


def test_the_prompt_shows_each_exchange_with_credentials_redacted() -> None:
    keyed = {
        "request": {"method": "GET", "uri": "https://api.example.org/v1/weather?city=Oslo&api_key=s3cr3t"},
        "response": {"status": {"code": 200}, "body": {"string": '{"temp": 3.5,\n "unit": "C"}'}},
    }
    spec = ToolSpecificationParser().parse(
        {
            **WEBHOOK,
            "permissions": {"network": ["api.example.org:443", "hooks.slack.com:443"]},
            "examples": [{**WEBHOOK["examples"][0], "http": [keyed, POSTED]}],
        }
    )
    text = spec.examples[0].http_text()
    assert "GET https://api.example.org/v1/weather?city=Oslo&api_key=<redacted> (answered 200: " in text
    assert '{"temp": 3.5, "unit": "C"})' in text and "s3cr3t" not in text
    assert f'POST {HOOK} with the body {{"text": "deploy done"}} (answered 200: ok)' in text


@pytest.mark.slow
def test_the_pytest_target_matches_the_body_and_header_too(tmp_path) -> None:
    import subprocess
    import sys

    from toolfoundry.output.targets import render_target, tool_view

    spec = ToolSpecificationParser().parse(WEBHOOK)
    ((filename, source),) = render_target("pytest", [{"view": tool_view(spec, "pytest")}]).items()
    outcomes = {}
    for name, code in (
        ("right", REQUESTS),
        ("body", REQUESTS.replace('json={"text": text}', 'json={"message": text}')),
        ("header", URLLIB.replace('"application/json"', '"text/plain"')),
    ):
        folder = tmp_path / name
        folder.mkdir()
        (folder / filename).write_text(source)
        (folder / "post_message.py").write_text(code)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", filename]
        outcomes[name] = subprocess.run(command, capture_output=True, text=True, cwd=folder).returncode
    assert outcomes == {"right": 0, "body": 1, "header": 1}


@pytest.mark.slow
def test_the_pytest_target_asks_each_exchange_only_what_its_own_match_on_names(tmp_path) -> None:
    import subprocess
    import sys

    from toolfoundry.output.targets import render_target, tool_view

    # The second exchange names nothing to match on: a body and header other than its recorded ones still match.
    audit = {
        "request": {"method": "POST", "uri": HOOK + "/audit", "headers": {"Content-Type": ["application/json"]},
                    "body": '{"recorded": true}'},
        "response": {"status": {"code": 200, "message": "OK"}, "body": {"string": "ok"}},
    }  # fmt: skip
    example = {**WEBHOOK["examples"][0], "http": [POSTED, audit]}
    spec = ToolSpecificationParser().parse({**WEBHOOK, "examples": [example]})
    ((filename, source),) = render_target("pytest", [{"view": tool_view(spec, "pytest")}]).items()
    code = REQUESTS.replace(
        "    response.raise_for_status()\n    return",
        "    response.raise_for_status()\n"
        "    requests.post(webhook_url + '/audit', data='anything', timeout=10).raise_for_status()\n    return",
        1,
    )
    assert "/audit" in code
    wrong_first = code.replace('json={"text": text}', 'json={"message": text}', 1)  # the first asks for its body
    assert wrong_first != code
    outcomes = {}
    for name, tool in (("right", code), ("wrong first body", wrong_first)):
        folder = tmp_path / name.replace(" ", "_")
        folder.mkdir()
        (folder / filename).write_text(source)
        (folder / "post_message.py").write_text(tool)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", filename]
        finished = subprocess.run(command, capture_output=True, text=True, cwd=folder)
        outcomes[name] = (finished.returncode, "1 passed" in finished.stdout, finished.stdout[-1500:])
    assert outcomes["right"][:2] == (0, True), outcomes["right"][2]
    assert outcomes["wrong first body"][:2] == (1, False), outcomes["wrong first body"][2]


@pytest.mark.slow
def test_the_pytest_target_compares_a_json_body_by_value_as_the_checks_do(tmp_path) -> None:
    import subprocess
    import sys

    from toolfoundry.output.targets import render_target, tool_view

    # Recorded with spaces and a JSON Content-Type; sent compact, with none: the same JSON, so the same body.
    posted = {**POSTED, "match_on": ["body"]}
    code = REQUESTS.replace('json={"text": text}', "data=json.dumps({'text': text}, separators=(',', ':'))")
    code = "import json\n" + code
    spec = ToolSpecificationParser().parse({**WEBHOOK, "examples": [{**WEBHOOK["examples"][0], "http": [posted]}]})
    assert SandboxRunner().run_examples(code, spec).outcomes[0].passed  # the checks take it
    ((filename, source),) = render_target("pytest", [{"view": tool_view(spec, "pytest")}]).items()
    (tmp_path / filename).write_text(source)
    (tmp_path / "post_message.py").write_text(code)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", filename]
    finished = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert finished.returncode == 0 and "1 passed" in finished.stdout, finished.stdout[-2000:]


@requires_sandbox
def test_a_secret_header_or_query_is_never_quoted_in_a_finding() -> None:
    keyed = {**POSTED, "request": {**POSTED["request"], "headers": {"Authorization": ["Bearer sk-live-123"]}}}
    spec = {
        **WEBHOOK,
        "examples": [{**WEBHOOK["examples"][0], "http": [{**keyed, "match_on": ["header:Authorization"]}]}],
    }
    result = SandboxRunner().run_examples(REQUESTS, ToolSpecificationParser().parse(spec))
    findings = "\n".join(outcome.http for outcome in result.outcomes)
    assert "with another Authorization than the recorded one" in findings and "sk-live" not in findings
