import ast

import pytest

from toolfoundry.checks.bandit_check import check_bandit
from toolfoundry.checks.security import check_policy
from toolfoundry.spec import ToolSpecificationParser

parser = ToolSpecificationParser()
TEXT_TOOL = parser.parse({"name": "f", "description": "Reverse a word.", "tool_type": "text_processing"})


def rules(code: str, spec=TEXT_TOOL) -> list[str]:
    return [finding.rule for finding in check_policy(ast.parse(code), spec)]


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("import subprocess", "security/forbidden-import"),
        ("from ctypes import CDLL", "security/forbidden-import"),
        ("import importlib", "security/forbidden-import"),
        ("eval('1')", "security/forbidden-call"),
        ("exec('x = 1')", "security/forbidden-call"),
        ("compile('1', 'f', 'eval')", "security/forbidden-call"),
        ("__import__('os')", "security/forbidden-call"),
        ("import os\nos.system('ls')", "security/forbidden-call"),
        ("import os as o\no.popen('ls')", "security/forbidden-call"),
        ("from os import system", "security/forbidden-call"),
        ("import os\nos.execv('/bin/sh', [])", "security/forbidden-call"),
        ("import os\nos.environ['KEY']", "security/environment-access"),
        ("import os\nos.getenv('OPENAI_API_KEY')", "security/environment-access"),
        ("from os import environ", "security/environment-access"),
        ("().__class__.__bases__[0].__subclasses__()", "security/dunder-access"),
        ("getattr(object, '__subclasses__')", "security/dunder-access"),
        ("import socket", "security/network-not-allowed"),
        ("import urllib.request", "security/network-not-allowed"),
        ("import requests", "security/network-not-allowed"),
        ("import leftpad", "security/undeclared-import"),
        ("from . import sibling", "security/relative-import"),
        ("open('/etc/passwd')", "security/filesystem-not-allowed"),
        ("import shutil", "security/filesystem-not-allowed"),
        ("from pathlib import Path\nPath('x').write_text('y')", "security/filesystem-not-allowed"),
        ("import sys\nsys.modules['os']", "security/forbidden-call"),
    ],
)
def test_dangerous_code_is_flagged_with_its_rule(code: str, rule: str) -> None:
    assert rule in rules(code)


@pytest.mark.parametrize(
    "code",
    [
        "import re, json, math, collections, itertools, functools, datetime, string, unicodedata",
        "from typing import Any\nx: Any = 1",
        "text = 'a b'.replace('a', 'b')\nnames = [1].copy()",
        "type(3).__name__",
        "class A:\n    def __init__(self):\n        super().__init__()",
        "getattr(object(), 'real', None)",
    ],
)
def test_ordinary_code_passes(code: str) -> None:
    assert rules(code) == []


def test_declared_dependencies_may_be_imported() -> None:
    spec = parser.parse({"name": "f", "description": "d", "dependencies": ["numpy"]})
    assert rules("import numpy as np", spec) == []


def test_only_declared_hosts_may_use_the_network_whatever_the_tool_type() -> None:
    api = parser.parse({"name": "f", "description": "Call the HTTP API endpoint", "tool_type": "api_caller"})
    declared = parser.parse({"name": "f", "description": "d", "permissions": {"network": ["api.github.com:443"]}})
    assert rules("import urllib.request", api) == ["security/network-not-allowed"]
    assert rules("import socket", declared) == []


def test_url_quoting_and_status_names_compute_and_need_no_network() -> None:
    pure = parser.parse({"name": "f", "description": "Build the API URL"})
    assert rules("import urllib.parse\nfrom urllib.error import HTTPError\nfrom http import HTTPStatus", pure) == []
    assert rules("import http.client", pure) == ["security/network-not-allowed"]
    assert rules("from urllib.request import urlopen", pure) == ["security/network-not-allowed"]


def test_a_file_tool_by_its_words_gets_no_file_access_unless_it_declares_it() -> None:
    words = parser.parse({"name": "write_file", "description": "Write text to the file at path, a file path"})
    assert words.effective_tool_type.value == "file_manipulation"
    assert "security/filesystem-not-allowed" in rules("open('x', 'w').write('y')", words)
    assert "security/filesystem-not-allowed" in rules("open('x').read()", words)


def test_read_permission_allows_reading_but_not_writing() -> None:
    reader = parser.parse({"name": "f", "description": "d", "permissions": {"filesystem": "read"}})
    assert rules("open('x').read()", reader) == []
    assert "security/filesystem-not-allowed" in rules("open('x', 'w').write('y')", reader)
    writer = parser.parse({"name": "f", "description": "d", "permissions": {"filesystem": "write"}})
    assert rules("open('x', 'w').write('y')\nimport shutil", writer) == []


def test_findings_carry_the_line() -> None:
    (finding,) = check_policy(ast.parse("x = 1\n\neval('2')\n"), TEXT_TOOL)
    assert finding.line == 3 and "eval()" in finding.message


def test_bandit_is_a_second_opinion_and_nosec_does_not_silence_it() -> None:
    findings = check_bandit("import pickle\n\ndef f(data):\n    return pickle.loads(data)  # nosec\n")
    assert any(finding.rule == "security/bandit-B301" and finding.severity == "error" for finding in findings)
    assert check_bandit("def f(x):\n    return x + 1\n") == []
