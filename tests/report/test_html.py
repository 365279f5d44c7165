"""report.html opened in a real headless browser (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.helpers import DOUBLE_SPEC, GOOD_SLUGIFY, SLUG_SPEC, cli, requires_sandbox, scripted_model, write_specs

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# Model output that tries to act in the page: it must show as text, never run.
HOSTILE = (
    '```python\ndef double(n: int) -> int:\n    """Twice n."""\n'
    "    return n * 3  # </pre><script>document.title = 'pwned'</script><img src=x onerror=alert(1)>\n```"
)
WRONG_AGAIN = '```python\ndef double(n: int) -> int:\n    """Twice n."""\n    return n + n + 1\n```'


@pytest.fixture
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: scripts/test installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (scripts/test installs it as root)")
    return CHROMIUM


@requires_sandbox
def test_report_html_opens_shows_every_tool_and_logs_no_errors(tmp_path: Path, chromium: str) -> None:
    specs = write_specs(tmp_path / "specs", SLUG_SPEC, DOUBLE_SPEC)
    model = scripted_model(tmp_path / "replies.yaml", {"slugify": [GOOD_SLUGIFY], "double": [HOSTILE, WRONG_AGAIN]})
    out = tmp_path / "tools"
    result = cli("generate", specs, "-o", out, "--model", model, "--rounds", 2, "--samples", 1, "--no-library")
    assert result.exit_code == 1, result.output
    run_report = json.loads((out / "report.json").read_text())
    assert run_report["summary"]["verified"] == 1 and run_report["summary"]["unverified"] == 1

    # Playwright's sync API runs an event loop of its own: open the browser only once the run is over.
    with sync_playwright() as playwright:
        # --no-sandbox: chromium's own sandbox refuses to start as root, as in CI containers.
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            check_page(browser.new_page(), (out / "report.html").as_uri())
        finally:
            browser.close()


def check_page(page: Page, url: str) -> None:
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("request", lambda request: None if request.url.startswith("file://") else problems.append(request.url))
    page.goto(url)

    assert page.title() == "toolfoundry run: 2 tool(s)"  # the hostile script did not run
    assert problems == []
    assert page.locator("script").count() == 0
    for name, status in (("slugify", "verified"), ("double", "unverified")):
        section = page.locator(f"#tool-{name}")
        assert section.is_visible()
        assert f"{name}: {status}" in section.locator("h2").inner_text()
    double = page.locator("#tool-double")
    assert double.locator("details").count() == 2  # both attempts
    last = double.locator("details").nth(1)
    assert last.get_attribute("open") is not None  # the last attempt is shown open
    assert "return n + n + 1" in last.inner_text() and "return n * 3" in last.inner_text()  # the diff
    assert "expected 42, got 43" in last.inner_text() and "42\t63\tFAIL" in double.inner_text()
    first = double.locator("details").nth(0)
    first.locator("summary").click()
    assert "<script>document.title" in first.inner_text()  # shown as text, harmless
    # Each tool states its evidence in one line, as its module's docstring does.
    slug_evidence = page.locator("#tool-slugify .evidence").inner_text()
    assert re.fullmatch(r"verified: (\d+)/\1 examples, \d+ probes clean", slug_evidence), slug_evidence
    assert page.locator("#tool-double .evidence").inner_text().startswith("unverified: 0/1 examples")
    assert "probes: " in page.locator("#tool-slugify").inner_text()
    # One candidate: no question, but what it gives on telling inputs, for a person to confirm.
    assert "Behaviour to confirm (not reviewed)" in page.locator("#tool-slugify").inner_text()
    assert "slugify(text='')" in page.locator("#tool-slugify").inner_text()
    assert "attempts stopped: " in page.locator("#tool-double").inner_text()
    cells = page.locator("#summary tr").nth(1).locator("td").all_inner_texts()
    assert cells[:3] == ["1", "1", "0"]  # verified, unverified, stub
