"""`toolfoundry record`: one live exchange into a vcrpy cassette, against a server on loopback, with the token
from the environment and every credential redacted; the cassette then serves as an example's `http:`."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.helpers import cli, web_server
from toolfoundry.spec import ToolSpecificationParser

TOKEN = "ghp_recorded_token_must_never_be_written"


def test_an_exchange_is_recorded_with_its_credentials_redacted(tmp_path: Path, monkeypatch) -> None:
    seen = []

    def answer(request) -> bytes:
        seen.append((request.path, request.headers.get("Authorization")))
        return b'{"stargazers_count": 7}'

    server = web_server(answer)
    port = server.server_address[1]
    monkeypatch.setenv("GITHUB_AUTH", f"token {TOKEN}")
    url = f"http://127.0.0.1:{port}/repos/octocat/Hello-World?api_key=sekrit&page=1"
    try:
        result = cli("record", "GET", url, "-o", tmp_path / "stars.yaml", "--header", "Authorization=GITHUB_AUTH")
    finally:
        server.shutdown()
    assert result.exit_code == 0, result.output
    assert seen == [("/repos/octocat/Hello-World?api_key=sekrit&page=1", f"token {TOKEN}")]  # the live call had them
    text = (tmp_path / "stars.yaml").read_text()
    assert TOKEN not in text and "sekrit" not in text and TOKEN not in result.output and "sekrit" not in result.output
    (interaction,) = yaml.safe_load(text)["interactions"]
    assert interaction["request"]["headers"]["authorization"] == ["<redacted>"]
    assert interaction["request"]["uri"].endswith("/repos/octocat/Hello-World?api_key=%3Credacted%3E&page=1")
    assert interaction["response"]["status"]["code"] == 200
    assert interaction["response"]["body"]["string"] == '{"stargazers_count": 7}'
    spec = {
        "name": "stars",
        "description": "Stars.",
        "permissions": {"network": [f"127.0.0.1:{port}"]},
        "examples": [{"input": {}, "output": 7, "http": "stars.yaml"}],
    }
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    (parsed,) = ToolSpecificationParser().parse_file(tmp_path / "spec.yaml")
    assert parsed.examples[0].http[0]["response"]["status"]["code"] == 200


def test_a_header_variable_that_is_not_set_or_no_answer_is_exit_2_and_nothing_written(tmp_path: Path) -> None:
    missing = cli("record", "GET", "http://127.0.0.1:9/x", "-o", tmp_path / "a.yaml", "--header", "X-Api-Key=NOPE_X")
    assert missing.exit_code == 2 and "the environment variable NOPE_X is not set" in missing.stderr
    refused = cli("record", "GET", "http://127.0.0.1:9/x?token=t0k", "-o", tmp_path / "b.yaml")
    assert refused.exit_code == 2 and "GET http://127.0.0.1:9/x: no answer" in refused.stderr
    assert "t0k" not in refused.stderr and not (tmp_path / "a.yaml").exists() and not (tmp_path / "b.yaml").exists()


def test_a_malformed_url_is_exit_2_and_a_password_in_it_is_never_printed(tmp_path: Path) -> None:
    for url in ("http://127.0.0.1:abc/", "http://[::1/", "ftp://example.org/x"):
        result = cli("record", "GET", url, "-o", tmp_path / "c.yaml")
        assert result.exit_code == 2, (url, result.output)
    refused = cli("record", "GET", "http://user:pa55word@127.0.0.1:9/x", "-o", tmp_path / "c.yaml")
    assert refused.exit_code == 2 and "pa55word" not in refused.stderr and not (tmp_path / "c.yaml").exists()
