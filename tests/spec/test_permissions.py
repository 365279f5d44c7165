"""Permissions are declared, never guessed; what is declared is checked where it is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolfoundry.errors import SpecError
from toolfoundry.spec import ToolSpecificationParser

parser = ToolSpecificationParser()


def problems_of(raw: dict) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parser.parse(raw)
    return [str(problem) for problem in caught.value.problems]


def test_nothing_declared_is_pure_computation_whatever_the_words() -> None:
    spec = parser.parse({"name": "fetch_url", "description": "Fetch the HTTP API endpoint URL and write the file"})
    assert (spec.effective_filesystem, spec.effective_network, spec.reaches_outside) == ("none", False, False)
    assert spec.undeclared_access is not None and "declares no" in spec.undeclared_access
    declared = parser.parse({"name": "f", "description": "Fetch the API URL", "permissions": {"network": ["a:1"]}})
    assert declared.undeclared_access is None


def test_real_hosts_any_public_host_and_paths_are_accepted() -> None:
    spec = parser.parse(
        {
            "name": "f",
            "description": "d",
            "permissions": {
                "network": ["api.github.com:443", "*:80", "[::1]:8080"],
                "filesystem": "read",
                "paths": ["/srv/data"],
            },
        }
    )
    assert spec.permissions.paths == ["/srv/data"] and spec.effective_network


@pytest.mark.parametrize("value", ["api.github.com", "host:0", "host:65536", "bad host:80", "-x:1", "http://a:1"])
def test_a_malformed_host_port_is_named_at_its_path(value: str) -> None:
    (problem,) = problems_of({"name": "f", "description": "d", "permissions": {"network": [value]}})
    assert problem.startswith("permissions.network") and f"{value!r} is not host:port" in problem


def test_paths_need_a_filesystem_permission() -> None:
    (problem,) = problems_of({"name": "f", "description": "d", "permissions": {"paths": ["/tmp"]}})
    assert problem.startswith("permissions") and "`filesystem` is 'none'" in problem


def test_examples_that_place_files_must_declare_file_access() -> None:
    spec = {
        "name": "first_line",
        "description": "The first line of a file",
        "input_params": [{"name": "path", "type": "str"}],
        "examples": [
            {"input": {"path": "a"}, "output": "x"},
            {"input": {"path": "a.txt"}, "output": "x", "files": {"a.txt": "x\n"}},
        ],
    }
    (problem,) = problems_of(spec)
    assert problem.startswith("examples[1].files:") and "declare `permissions: {filesystem: read}`" in problem
    assert parser.parse({**spec, "permissions": {"filesystem": "read"}}).reaches_outside


def test_title_and_idempotence_are_optional_and_the_title_has_a_default() -> None:
    plain = parser.parse({"name": "word_count", "description": "d"})
    told = parser.parse({"name": "f", "description": "d", "title": "Count words", "idempotent": True})
    assert (plain.display_title, plain.idempotent) == ("Word count", None)
    assert (told.display_title, told.idempotent) == ("Count words", True)


def test_fields_added_later_leave_an_older_specs_hash_as_it_was() -> None:
    (spec,) = parser.parse_file(Path(__file__).parents[2] / "examples" / "specs" / "slugify.yaml")
    # The hash toolfoundry gave this spec before `title`, `idempotent` and `paths` existed: caches, the library
    # and --resume recognise it still.
    assert spec.spec_hash() == "7af20dc247893a21"
    assert spec.model_copy(update={"title": "Slug"}).spec_hash() != spec.spec_hash()
