"""The library of verified tools: reuse, versions, retrieval, migration, concurrency, export and import."""

from __future__ import annotations

import ast
import inspect
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tests.helpers import GOOD_SLUGIFY, requires_sandbox
from toolfoundry import LLMCodeGenerator, ScriptedModel
from toolfoundry.cli import app
from toolfoundry.errors import LibraryError, ModelError
from toolfoundry.evidence import EvidencePolicy
from toolfoundry.library import SCHEMA_VERSION, ToolLibrary
from toolfoundry.spec import ToolSpecificationParser

runner = CliRunner()
REVERSE_SPEC = {
    "name": "reverse_words",
    "description": "Reverse the order of the words in a sentence.",
    "input_params": [{"name": "sentence", "type": "str", "description": "words separated by spaces"}],
    "output_type": "str",
    "examples": [{"input": {"sentence": "a b c"}, "output": "c b a"}],
}
REVERSE_CODE = (
    'def reverse_words(sentence: str) -> str:\n    """R."""\n    return " ".join(reversed(sentence.split()))\n'
)


@pytest.fixture
def library(tmp_path) -> ToolLibrary:
    return ToolLibrary(tmp_path / "library.sqlite3")


def generate(spec, model, library, **options):
    generator = LLMCodeGenerator.create(model=model, library=library, **options)
    return generator.generate_code_sync(spec)


@requires_sandbox
def test_a_verified_tool_is_added_and_then_reused_with_no_model_call(slug_spec, library) -> None:
    first = generate(slug_spec, ScriptedModel([GOOD_SLUGIFY]), library)
    assert first.status == "verified" and first.report.library == {
        "added": True,
        "version": 1,
        "path": str(library.path),
    }
    never = ScriptedModel([ModelError("must not be called")])
    second = generate(slug_spec, never, library)
    assert never.requests == [] and second.status == "verified"
    assert second.report.library["reused"] is True and second.report.library["version"] == 1
    assert second.report.attempts == [] and second.report.tokens.total == 0
    assert all(outcome.passed for outcome in second.report.examples)  # checked again, not trusted blindly
    fresh = ScriptedModel([GOOD_SLUGIFY])
    assert generate(slug_spec, fresh, library, fresh=True).status == "verified" and len(fresh.requests) == 1
    assert len(library.versions("slugify")) == 1  # same spec: no new version


@requires_sandbox
@pytest.mark.parametrize(
    "today",
    [
        {"model": ScriptedModel([GOOD_SLUGIFY], name="another")},
        {"prompt_style": "compact"},
        {"evidence": EvidencePolicy(probes=5)},
    ],
    ids=["model", "prompt version", "evidence options"],
)
def test_a_stored_tool_made_under_another_identity_is_not_reused(slug_spec, library, today) -> None:
    assert generate(slug_spec, ScriptedModel([GOOD_SLUGIFY]), library).report.library["added"] is True
    model = today.pop("model", ScriptedModel([GOOD_SLUGIFY]))
    tool = generate(slug_spec, model, library, **today)
    assert len(model.requests) == 1 and tool.status == "verified" and "reused" not in tool.report.library


@requires_sandbox
def test_only_verified_tools_go_in(slug_spec, library) -> None:
    wrong = '```python\ndef slugify(text: str) -> str:\n    """S."""\n    return text\n```'
    from toolfoundry.generate import FallbackPolicy

    tool = generate(slug_spec, ScriptedModel([wrong]), library, policy=FallbackPolicy(rounds=1, samples_per_round=1))
    assert tool.status == "unverified" and library.latest() == [] and tool.report.library == {}
    with pytest.raises(LibraryError, match="only verified tools"):
        library.add(slug_spec, "x = 1", {"status": "unverified"}, "m", "0")


def test_a_changed_spec_adds_a_version_and_the_cli_shows_and_diffs_them(slug_spec, library) -> None:
    library.add(slug_spec, GOOD_SLUGIFY, {"status": "verified"}, "m1", "0.1.0")
    changed = slug_spec.model_copy(update={"description": "Turn text into a URL slug, lowercase."})
    library.add(changed, GOOD_SLUGIFY.replace('"-"', "'-'"), {"status": "verified"}, "m2", "0.1.0")
    assert [tool.version for tool in library.versions("slugify")] == [1, 2]
    assert library.get("slugify").model == "m2" and library.get("slugify", 1).model == "m1"
    listed = runner.invoke(app, ["library", "list", "--library", str(library.path)])
    assert "slugify\tv2\tm2" in listed.output
    shown = runner.invoke(app, ["library", "show", "slugify", "--version", "1", "--library", str(library.path)])
    assert "# slugify v1, by m1" in shown.output and "def slugify" in shown.output
    diffed = runner.invoke(app, ["library", "diff", "slugify", "1", "2", "--library", str(library.path)])
    assert "-description: Turn text into a URL slug." in diffed.output
    assert "+description: Turn text into a URL slug, lowercase." in diffed.output
    assert """+    return '-'.join(re.findall""" in diffed.output
    missing = runner.invoke(app, ["library", "show", "nope", "--library", str(library.path)])
    assert missing.exit_code == 2 and "no tool nope" in missing.stderr
    removed = runner.invoke(app, ["library", "remove", "slugify", "--version", "1", "--library", str(library.path)])
    assert removed.exit_code == 0 and [tool.version for tool in library.versions("slugify")] == [2]


def test_library_tools_change_the_prompt_of_a_similar_spec(library) -> None:
    spec = ToolSpecificationParser().parse(
        {
            "name": "reverse_each_sentence_words",
            "description": "Reverse the order of the words in each sentence.",
            "input_params": [{"name": "text", "type": "str"}],
            "output_type": "str",
        }
    )
    before = LLMCodeGenerator.create(model=ScriptedModel(["x"]), library=library)
    assert "reverse_words" not in str(before.context_builder.build_context(spec).example_names)
    library.add(ToolSpecificationParser().parse(REVERSE_SPEC), REVERSE_CODE, {"status": "verified"}, "m", "0")
    model = ScriptedModel(["no code"])
    after = LLMCodeGenerator.create(model=model, library=library)
    assert after.context_builder.build_context(spec).example_names[0] == "reverse_words"
    from toolfoundry.generate import FallbackPolicy

    after.repair_loop.policy = FallbackPolicy(rounds=1, samples_per_round=1)
    after.generate_code_sync(spec)
    prompt = model.requests[0].messages[-1].content
    assert (
        "## Similar verified tool: reverse_words" in prompt and 'return " ".join(reversed(sentence.split()))' in prompt
    )


def test_the_library_keeps_tools_and_leaves_retrieval_to_generation() -> None:
    """What counts as one example and which tools are alike is generation's policy (generate/retrieval.py): the
    library imports nothing of generate, and its modules import each other one way, annotations included."""
    folder = Path(inspect.getfile(ToolLibrary)).parent
    imported = {
        path.stem: {node.module for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.ImportFrom)}
        for path in folder.glob("*.py")
    }
    assert not any("generate" in (module or "") for modules in imported.values() for module in modules)
    assert "store" not in imported["verified"] and "verified" in imported["store"]


def _v1_library(path: Path) -> None:
    """A library as the first schema wrote it: no meta table, no prompt_version column."""
    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE TABLE tools (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, version INTEGER NOT NULL, "
        "spec_hash TEXT NOT NULL, spec TEXT NOT NULL, code TEXT NOT NULL, report TEXT NOT NULL, model TEXT NOT NULL, "
        "toolfoundry_version TEXT NOT NULL, created REAL NOT NULL, UNIQUE (name, version))"
    )
    spec = ToolSpecificationParser().parse(REVERSE_SPEC)
    connection.execute(
        "INSERT INTO tools (name, version, spec_hash, spec, code, report, model, toolfoundry_version, "
        "created) VALUES (?, 1, ?, ?, ?, '{\"status\": \"verified\"}', 'old-model', '0.0.9', 1.0)",
        ("reverse_words", spec.spec_hash(), spec.model_dump_json(), REVERSE_CODE),
    )
    connection.commit()
    connection.close()


def test_an_older_library_is_migrated_and_keeps_its_tools(tmp_path) -> None:
    path = tmp_path / "old.sqlite3"
    _v1_library(path)
    library = ToolLibrary(path)
    assert library.get("reverse_words").model == "old-model"
    (version,) = sqlite3.connect(path).execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert int(version) == SCHEMA_VERSION
    columns = [row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(tools)")]
    assert "prompt_version" in columns
    ToolLibrary(path)  # opening again is a no-op


def test_a_newer_library_is_refused_and_left_as_it_was(tmp_path) -> None:
    path = tmp_path / "new.sqlite3"
    ToolLibrary(path)
    connection = sqlite3.connect(path)
    connection.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    connection.commit()
    connection.close()
    before = path.read_bytes()
    with pytest.raises(LibraryError, match="written by a newer toolfoundry"):
        ToolLibrary(path)
    assert path.read_bytes() == before
    result = runner.invoke(app, ["library", "list", "--library", str(path)])
    assert result.exit_code == 2 and "schema 99" in result.stderr


def test_two_processes_adding_at_once_lose_nothing(tmp_path) -> None:
    path = tmp_path / "shared.sqlite3"
    ToolLibrary(path)
    writer = (
        "import sys\nfrom toolfoundry.library import ToolLibrary\n"
        "from toolfoundry.spec import ToolSpecificationParser\n"
        "library = ToolLibrary(sys.argv[1])\n"
        "for index in range(25):\n"
        "    spec = ToolSpecificationParser().parse({'name': 'shared', 'description': f'{sys.argv[2]} {index}'})\n"
        "    library.add(spec, 'def shared():\\n    return 1\\n', {'status': 'verified'}, sys.argv[2], '0')\n"
        "    own = ToolSpecificationParser().parse({'name': f'{sys.argv[2]}_{index}', 'description': 'd'})\n"
        "    library.add(own, 'x = 1\\n', {'status': 'verified'}, sys.argv[2], '0')\n"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", writer, str(path), name], env=os.environ.copy())
        for name in ("left", "right")
    ]
    assert [process.wait(timeout=120) for process in processes] == [0, 0]
    library = ToolLibrary(path)
    assert [tool.version for tool in library.versions("shared")] == list(range(1, 51))
    assert len(library.latest()) == 1 + 50


@requires_sandbox
def test_export_and_import_a_folder_of_spec_and_module_files(library, tmp_path) -> None:
    spec = ToolSpecificationParser().parse(REVERSE_SPEC)
    library.add(spec, REVERSE_CODE, {"status": "verified"}, "m", "0")
    folder = tmp_path / "shared-tools"
    exported = runner.invoke(
        app, ["library", "export", "--all", "-o", str(folder), "--library", str(library.path), "--target", "pytest"]
    )
    assert exported.exit_code == 0, exported.output
    assert sorted(path.name for path in folder.iterdir()) == [
        "reverse_words.py",
        "reverse_words.spec.yaml",
        "test_reverse_words.py",
    ]
    other = tmp_path / "other.sqlite3"
    imported = runner.invoke(app, ["library", "import", str(folder), "--library", str(other)])
    assert imported.exit_code == 0 and "added reverse_words v1" in imported.output
    assert ToolLibrary(other).get("reverse_words").spec == spec
    (folder / "reverse_words.py").write_text(REVERSE_CODE.replace("reversed(", "sorted("))
    yaml_spec = yaml.safe_load((folder / "reverse_words.spec.yaml").read_text())
    (folder / "reverse_words.spec.yaml").write_text(yaml.safe_dump({**yaml_spec, "description": "Changed."}))
    tampered = runner.invoke(app, ["library", "import", str(folder), "--library", str(other)])
    assert tampered.exit_code == 1 and "refused reverse_words: 1 of 1 examples failed" in tampered.output
    assert len(ToolLibrary(other).versions("reverse_words")) == 1
