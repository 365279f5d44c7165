"""Reference implementations of the quality set's tools with effects: the API callers, answered from recorded
exchanges in the checks, and the file tools that write (judged by `files_after`). As with reference.py, the
generator never sees this file; tests/test_quality_set.py runs it against every spec and held-out case.
"""

from __future__ import annotations

import csv
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

AGENT = {"User-Agent": "toolfoundry-quality-reference/1.0", "Accept": "application/json"}


def _get_json(url: str, missing: str, retries: int = 1) -> Any:
    """GET url as JSON; LookupError(missing) on 404; 429/503 retried after Retry-After (at most 5 s) when allowed."""
    for attempt in range(retries):
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=AGENT), timeout=10) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                raise LookupError(missing) from None
            if error.code in (429, 503) and attempt + 1 < retries:
                time.sleep(min(float(error.headers.get("Retry-After") or 1), 5.0))
                continue
            raise
    raise AssertionError("unreachable")


def github_stars(owner: str, repo: str) -> int:
    """A GitHub repository's stargazers_count."""
    path = f"{urllib.parse.quote(owner, safe='')}/{urllib.parse.quote(repo, safe='')}"
    return int(_get_json(f"https://api.github.com/repos/{path}", f"no repository {owner}/{repo}")["stargazers_count"])


def github_latest_release(owner: str, repo: str) -> str:
    """The tag of a GitHub repository's latest release."""
    path = f"{urllib.parse.quote(owner, safe='')}/{urllib.parse.quote(repo, safe='')}"
    url = f"https://api.github.com/repos/{path}/releases/latest"
    return str(_get_json(url, f"no release of {owner}/{repo}")["tag_name"])


def pypi_latest_version(package: str) -> str:
    """A PyPI project's latest version."""
    url = f"https://pypi.org/pypi/{urllib.parse.quote(package, safe='')}/json"
    return str(_get_json(url, f"no project {package} on PyPI", retries=3)["info"]["version"])


def npm_weekly_downloads(package: str) -> int:
    """An npm package's downloads in the last week."""
    url = f"https://api.npmjs.org/downloads/point/last-week/{urllib.parse.quote(package, safe='')}"
    return int(_get_json(url, f"no package {package} on npm", retries=3)["downloads"])


def current_temperature(latitude: float, longitude: float) -> float:
    """The current temperature from Open-Meteo."""
    query = urllib.parse.urlencode({"latitude": latitude, "longitude": longitude, "current": "temperature_2m"})
    try:
        with urllib.request.urlopen(f"https://api.open-meteo.com/v1/forecast?{query}", timeout=10) as response:
            return float(json.load(response)["current"]["temperature_2m"])
    except urllib.error.HTTPError as error:
        if error.code == 400:
            raise ValueError(json.loads(error.read() or b"{}").get("reason", "bad request")) from None
        raise


def exchange_rate(base: str, target: str) -> float:
    """Frankfurter's rate from base to target."""
    for code in (base, target):
        if len(code) != 3 or not code.isalpha():
            raise ValueError(f"{code!r} is not a three-letter currency code")
    query = urllib.parse.urlencode({"from": base, "to": target})
    rates = _get_json(f"https://api.frankfurter.app/latest?{query}", f"unknown currency {base} or {target}")["rates"]
    return float(rates[target])


def geocode(query: str) -> list[float]:
    """Nominatim's first match for a place."""
    url = "https://nominatim.openstreetmap.org/search?" + urllib.parse.urlencode(
        {"q": query, "format": "json", "limit": 1}
    )
    places = _get_json(url, f"nothing found for {query!r}")
    if not places:
        raise LookupError(f"nothing found for {query!r}")
    return [float(places[0]["lat"]), float(places[0]["lon"])]


def slack_notify(webhook_url: str, text: str) -> bool:
    """Post text to a Slack incoming webhook."""
    if not webhook_url.startswith("https://hooks.slack.com/"):
        raise ValueError("not a Slack webhook URL")
    body = json.dumps({"text": text}).encode("utf-8")
    request = urllib.request.Request(webhook_url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read().strip() == b"ok"
    except urllib.error.HTTPError as error:
        if error.code == 403:
            raise PermissionError("Slack refused the webhook's token") from None
        if error.code == 404:
            raise LookupError("Slack knows no such webhook") from None
        raise


def replace_in_file(path: str, old: str, new: str) -> int:
    """Replace every occurrence of old in a file."""
    if not old:
        raise ValueError("old must not be empty")
    text = Path(path).read_text(encoding="utf-8")
    count = text.count(old)
    if count:
        Path(path).write_text(text.replace(old, new), encoding="utf-8")
    return count


def rotate_logs(path: str, keep: int) -> int:
    """Rotate a log file, keeping `keep` old copies."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    numbers = sorted(
        int(name.rpartition(".")[2])
        for name in os.listdir(os.path.dirname(path) or ".")
        if name.startswith(os.path.basename(path) + ".") and name.rpartition(".")[2].isdigit()
    )
    for number in reversed(numbers):
        if number >= keep:
            os.remove(f"{path}.{number}")
        else:
            os.replace(f"{path}.{number}", f"{path}.{number + 1}")
    os.replace(path, f"{path}.1")
    Path(path).write_text("", encoding="utf-8")
    return min(keep, len([n for n in numbers if n < keep]) + 1)


def append_csv_row(path: str, values: list[str]) -> int:
    """Append a row to a CSV file; the rows it then holds."""
    with open(path, "a", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerow(values)
    with open(path, newline="", encoding="utf-8") as stream:
        return sum(1 for _ in csv.reader(stream))


def save_json(path: str, data: dict) -> int:
    """Save data as indented, key-sorted JSON; the bytes written."""
    encoded = (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(encoded)
    return len(encoded)
