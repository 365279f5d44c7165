"""Recorded HTTP exchanges as example fixtures: answered inside the real sandbox by vcrpy for urllib, requests and
httpx (HTTPS included, no network anywhere), a request nothing recorded is a finding that names it, an exchange
never made is one too, and cassettes are read from files beside the spec as vcrpy writes them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.helpers import cli, requires_sandbox
from toolfoundry.errors import SpecError
from toolfoundry.spec import ToolSpecificationParser

STARS_EXCHANGE = {
    "request": {"method": "GET", "uri": "https://api.github.com/repos/octocat/Hello-World", "headers": {}},
    "response": {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Content-Type": ["application/json"]},
        "body": {"string": '{"full_name": "octocat/Hello-World", "stargazers_count": 2650}'},
    },
}
MISSING_EXCHANGE = {
    "request": {"method": "GET", "uri": "https://api.github.com/repos/octocat/nothing-here"},
    "response": {"status": {"code": 404, "message": "Not Found"}, "body": {"string": '{"message": "Not Found"}'}},
}
STARS = {
    "name": "github_stars",
    "description": "The number of stars of a GitHub repository; LookupError when it does not exist.",
    "permissions": {"network": ["api.github.com:443"]},
    "input_params": [{"name": "owner", "type": "str"}, {"name": "repo", "type": "str"}],
    "output_type": "int",
    # What a caller may meet besides a missing repository: the service failing (urllib's and requests' errors
    # are OSErrors, httpx's its own HTTPError), or answering with a body that is not JSON (ValueError).
    "raises": ["LookupError", "OSError", "ValueError", "httpx.HTTPError"],
    "examples": [
        {"input": {"owner": "octocat", "repo": "Hello-World"}, "output": 2650, "http": [STARS_EXCHANGE]},
        {"input": {"owner": "octocat", "repo": "nothing-here"}, "raises": "LookupError", "http": [MISSING_EXCHANGE]},
    ],
}
URLLIB = '''
import json
import urllib.error
import urllib.parse
import urllib.request


def github_stars(owner: str, repo: str) -> int:
    """The repository's stargazers_count."""
    url = f"https://api.github.com/repos/{urllib.parse.quote(owner)}/{urllib.parse.quote(repo)}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(json.load(response)["stargazers_count"])
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise LookupError(f"{owner}/{repo} does not exist") from None
        raise
'''
REQUESTS = '''
import requests


def github_stars(owner: str, repo: str) -> int:
    """The repository's stargazers_count."""
    response = requests.get(f"https://api.github.com/repos/{owner}/{repo}", timeout=10)
    if response.status_code == 404:
        raise LookupError(f"{owner}/{repo} does not exist")
    response.raise_for_status()
    return int(response.json()["stargazers_count"])
'''
HTTPX = """
from urllib.parse import quote

import httpx


def github_stars(owner: str, repo: str) -> int:
    '''The repository's stargazers_count.'''
    response = httpx.get(f"https://api.github.com/repos/{quote(owner, safe='')}/{quote(repo, safe='')}", timeout=10)
    if response.status_code == 404:
        raise LookupError(f"{owner}/{repo} does not exist")
    response.raise_for_status()
    return int(response.json()["stargazers_count"])
"""
# Asks for the wrong URL: the API's search endpoint, which nothing recorded.
WRONG_URL = URLLIB.replace('f"https://api.github.com/repos/', 'f"https://api.github.com/search/repositories?q=')


def validate(tmp_path: Path, spec: dict, code: str) -> tuple[int, str, dict]:
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    (tmp_path / f"{spec['name']}.py").write_text(code)
    arguments = (tmp_path / f"{spec['name']}.py", "--spec", tmp_path / "spec.yaml")
    text = cli("validate", *arguments)
    return text.exit_code, text.output, json.loads(cli("validate", *arguments, "--json").output)


@requires_sandbox
@pytest.mark.parametrize("code", [URLLIB, REQUESTS, HTTPX], ids=["urllib", "requests", "httpx"])
def test_a_correct_api_tool_is_verified_against_its_recorded_exchanges(tmp_path: Path, code: str) -> None:
    exit_code, output, report = validate(tmp_path, STARS, code)
    assert exit_code == 0 and report["status"] == "verified", output
    assert report["evidence"]["probes"]["failed"] == 0


@requires_sandbox
def test_a_request_nothing_recorded_is_a_finding_that_names_it(tmp_path: Path) -> None:
    exit_code, output, report = validate(tmp_path, STARS, WRONG_URL)
    assert exit_code == 1 and report["status"] == "unverified"
    assert "GET https://api.github.com/search/repositories?q=octocat/Hello-World was not recorded" in output
    assert "the recorded GET https://api.github.com/repos/octocat/Hello-World was never made" in output


@requires_sandbox
def test_an_exchange_marked_optional_may_go_unmade(tmp_path: Path) -> None:
    spare = {**MISSING_EXCHANGE, "optional": True}
    spec = {**STARS, "examples": [{**STARS["examples"][0], "http": [STARS_EXCHANGE, spare]}]}
    exit_code, output, _ = validate(tmp_path, spec, URLLIB)
    assert exit_code == 0, output
    strict = {**STARS, "examples": [{**STARS["examples"][0], "http": [STARS_EXCHANGE, MISSING_EXCHANGE]}]}
    exit_code, output, _ = validate(tmp_path, strict, URLLIB)
    assert (
        exit_code == 1 and "the recorded GET https://api.github.com/repos/octocat/nothing-here was never made" in output
    )


def test_a_cassette_file_beside_the_spec_is_read_as_vcrpy_writes_it(tmp_path: Path) -> None:
    cassette = {"interactions": [STARS_EXCHANGE], "version": 1}
    (tmp_path / "stars.yaml").write_text(yaml.safe_dump(cassette))
    spec = {**STARS, "examples": [{**STARS["examples"][0], "http": "stars.yaml"}]}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    (parsed,) = ToolSpecificationParser().parse_file(tmp_path / "spec.yaml")
    assert parsed.examples[0].http == [STARS_EXCHANGE]


@pytest.mark.parametrize(
    ("cassette", "said"),
    [
        ("interactions: [", "examples[0].http: cassette 'c.yaml' is not valid YAML"),
        ("!!python/object/apply:os.system ['true']", "examples[0].http: cassette 'c.yaml' is not valid YAML"),
        ("version: 1\n", "has no `interactions` list"),
        ("interactions: [{request: {uri: 'https://a.example/'}, response: {status: {code: 200}}}]\n", "no method"),
        ("interactions: [{request: {method: GET}, response: {status: {code: 200}}}]\n", "no http:// or https:// uri"),
    ],
)
def test_a_bad_cassette_is_a_spec_error_with_its_field_path(tmp_path: Path, cassette: str, said: str) -> None:
    (tmp_path / "c.yaml").write_text(cassette)
    spec = {**STARS, "permissions": {"network": ["*:443"]}, "examples": [{**STARS["examples"][0], "http": "c.yaml"}]}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(SpecError) as caught:
        ToolSpecificationParser().parse_file(tmp_path / "spec.yaml")
    assert said in str(caught.value)


@pytest.mark.parametrize("written", ["../outside.yaml", "/etc/passwd"])
def test_a_cassette_path_stays_beside_the_spec(tmp_path: Path, written: str) -> None:
    spec = {**STARS, "examples": [{**STARS["examples"][0], "http": written}]}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(SpecError, match="must be relative and stay inside the spec's folder"):
        ToolSpecificationParser().parse_file(tmp_path / "spec.yaml")


def test_an_exchange_with_a_host_the_spec_does_not_declare_is_a_spec_error() -> None:
    spec = {**STARS, "permissions": {"network": ["example.org:443"]}}
    with pytest.raises(SpecError, match=r"examples\[0\]\.http: exchange 0 reaches api.github.com:443, which"):
        ToolSpecificationParser().parse(spec)


def test_credentials_in_recorded_headers_are_never_written_out() -> None:
    secret = {
        **STARS_EXCHANGE,
        "request": {**STARS_EXCHANGE["request"], "headers": {"Authorization": ["token s3cr3t"]}},
    }
    spec = ToolSpecificationParser().parse({**STARS, "examples": [{**STARS["examples"][0], "http": [secret]}]})
    assert spec.examples[0].http[0]["request"]["headers"] == {"Authorization": ["token s3cr3t"]}  # replay keeps it
    assert "s3cr3t" not in json.dumps(spec.model_dump(mode="json"))  # TOOL_SPEC, reports, the pytest target


@pytest.mark.slow
def test_the_pytest_target_replays_the_exchanges_offline(tmp_path: Path) -> None:
    """The shipped tests mean what the checks meant: they replay each example's exchanges with vcrpy, so they run
    in the user's own CI without the network, and fail the tool that asks for the wrong URL."""
    import subprocess
    import sys

    from toolfoundry.output.targets import render_target, tool_view

    spec = ToolSpecificationParser().parse(STARS)
    ((filename, source),) = render_target("pytest", [{"view": tool_view(spec, "pytest")}]).items()
    results = {}
    for name, code in (("right", URLLIB), ("wrong", WRONG_URL)):
        folder = tmp_path / name
        folder.mkdir()
        (folder / filename).write_text(source)
        (folder / "github_stars.py").write_text(code)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", filename]
        # unshare -n: no network at all, as in a CI job without it; the replay is all there is.
        isolated = ["unshare", "-n", *command] if Path("/usr/bin/unshare").exists() and os_is_root() else command
        results[name] = subprocess.run(isolated, capture_output=True, text=True, cwd=folder)
    assert results["right"].returncode == 0 and "2 passed" in results["right"].stdout, results["right"].stdout
    assert results["wrong"].returncode == 1 and "CannotOverwriteExistingCassetteException" in results["wrong"].stdout


def os_is_root() -> bool:
    import os

    return os.geteuid() == 0


@requires_sandbox
def test_examples_that_need_an_unrecorded_host_stop_the_loop_after_one_candidate(tmp_path: Path) -> None:
    """The same right code, nine times over, was "repaired" nine times; now it is said once why it cannot run."""
    from tests.helpers import scripted_model

    spec = {**STARS, "examples": [{"input": {"owner": "octocat", "repo": "Hello-World"}, "output": 2650}]}
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "stars.yaml").write_text(yaml.safe_dump(spec))
    model = scripted_model(tmp_path / "replies.yaml", [f"```python\n{URLLIB}\n```"] * 9)
    options = ("--model", model, "--no-library", "--no-spec-tests", "--no-cache")
    result = cli("generate", tmp_path / "specs", "-o", tmp_path / "tools", *options)
    assert result.exit_code == 1, result.output
    report = json.loads((tmp_path / "tools" / "github_stars.report.json").read_text())
    assert report["status"] == "unverified" and len(report["attempts"]) == 1
    said = (
        "cannot run examples that reach api.github.com:443 without recorded exchanges (see README: Recorded exchanges)"
    )
    assert report["reason"] == said


RETRYING = '''
import json
import time
import urllib.error
import urllib.parse
import urllib.request


def github_stars(owner: str, repo: str) -> int:
    """The repository's stargazers_count, asking again once when the service says to wait."""
    url = f"https://api.github.com/repos/{urllib.parse.quote(owner)}/{urllib.parse.quote(repo)}"
    for attempt in range(2):
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return int(json.load(response)["stargazers_count"])
        except urllib.error.HTTPError as error:
            if error.code == 404:
                raise LookupError(f"{owner}/{repo} does not exist") from None
            if error.code in (429, 503) and attempt == 0:
                time.sleep(float(error.headers.get("Retry-After") or 0))
                continue
            raise
    raise OSError("no answer after a retry")
'''


@requires_sandbox
def test_faults_are_probes_and_the_report_says_whether_the_tool_retries(tmp_path: Path) -> None:
    """A 429 with Retry-After, a 503, a 500, a dropped connection, an empty body and one that is not JSON, each
    replayed in place of the recorded answer; a tool that does not retry shows it, and one that retries too."""
    exit_code, output, report = validate(tmp_path, STARS, URLLIB)
    notes = report["evidence"]["probes"]["notes"]
    assert exit_code == 0, output  # every fault ends in an exception the spec declares
    assert "fault 429 with Retry-After: 1: raised HTTPError, without retrying" in notes
    assert "fault 500: raised HTTPError" in notes and "fault an empty body: raised JSONDecodeError" in notes
    assert "fault a dropped connection: raised ConnectionResetError" in notes
    exit_code, output, report = validate(tmp_path, STARS, RETRYING)
    notes = report["evidence"]["probes"]["notes"]
    assert exit_code == 0, output
    assert "fault 429 with Retry-After: 1: returned 2650, after retrying" in notes, notes
    assert "fault 503: returned 2650, after retrying" in notes


@requires_sandbox
def test_a_fault_the_spec_does_not_declare_blocks_verified(tmp_path: Path) -> None:
    spec = {**STARS, "raises": ["LookupError"]}
    exit_code, output, report = validate(tmp_path, spec, URLLIB)
    assert exit_code == 1 and report["status"] == "unverified"
    assert "raised HTTPError: HTTP Error 429: Too Many Requests, an exception the spec does not declare" in output


@requires_sandbox
def test_a_tool_with_a_timeout_parameter_meets_an_answer_slower_than_it(tmp_path: Path) -> None:
    timeout = {"name": "timeout", "type": "float", "default": 10.0}
    spec = {**STARS, "input_params": [*STARS["input_params"], timeout]}
    code = URLLIB.replace("repo: str) -> int:", "repo: str, timeout: float = 10.0) -> int:").replace(
        "timeout=10)", "timeout=timeout)"
    )
    exit_code, output, report = validate(tmp_path, spec, code)
    notes = report["evidence"]["probes"]["notes"]
    assert exit_code == 0, output
    assert "fault an answer slower than its timeout: raised TimeoutError" in notes, notes
    (tmp_path / "plain").mkdir()
    _, _, plain = validate(tmp_path / "plain", STARS, URLLIB)  # no timeout parameter: no such fault
    assert not any("slower than its timeout" in note for note in plain["evidence"]["probes"]["notes"])
