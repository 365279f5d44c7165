"""`serve` on a folder it cannot serve: a clear message naming the file, exit 2, nothing started."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.serve.tools import write_tool
from toolfoundry.cli import app
from toolfoundry.serve import load_folder

runner = CliRunner()
ADD = {"name": "add", "description": "Add.", "input_params": [{"name": "a", "type": "int"}]}
CODE = "def add(a: int) -> int:\n    return a\n"


def serve(folder: Path) -> tuple[int, str]:
    result = runner.invoke(app, ["serve", str(folder)])
    return result.exit_code, " ".join(result.stderr.split())


def test_a_folder_without_tools(tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "mcp_server.py").write_text("x = 1\n")  # another target's file is not a tool
    code, message = serve(tmp_path)
    assert code == 2 and "holds no tool modules" in message


def test_a_module_without_tool_spec_is_named(tmp_path) -> None:
    write_tool(tmp_path, ADD, CODE)
    (tmp_path / "helper.py").write_text("def helper():\n    return 1\n")
    code, message = serve(tmp_path)
    assert code == 2 and "helper.py: no TOOL_SPEC in the module and no spec file (helper.yaml) beside it" in message


def test_a_tool_spec_that_is_not_a_literal_is_never_run(tmp_path) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "add.py").write_text(f"{CODE}\nTOOL_SPEC = open({str(marker)!r}, 'w').write('ran')\n")
    code, message = serve(tmp_path)
    assert code == 2 and "TOOL_SPEC is not a literal" in message and not marker.exists()


def test_a_malformed_host_port_is_named(tmp_path) -> None:
    path = write_tool(tmp_path, ADD, CODE)
    path.write_text(path.read_text().replace("'network': []", "'network': ['api.github.com']"))
    code, message = serve(tmp_path)
    assert code == 2 and "permissions.network" in message and "'api.github.com' is not host:port" in message


def test_a_path_that_does_not_exist_is_named(tmp_path) -> None:
    folder = tmp_path / "tools"
    folder.mkdir()
    missing = str(tmp_path / "missing")
    write_tool(folder, {**ADD, "permissions": {"filesystem": "read", "paths": [missing]}}, CODE)
    code, message = serve(folder)
    assert code == 2 and f"permissions.paths names {missing!r}, which is not an existing directory" in message


@pytest.mark.parametrize("path", ["/", "/proc", "/sys/fs"])
def test_the_host_root_and_kernel_folders_are_never_bound(tmp_path, path) -> None:
    write_tool(tmp_path, {**ADD, "permissions": {"filesystem": "read", "paths": [path]}}, CODE)
    code, message = serve(tmp_path)
    assert code == 2 and "is never bound into a sandbox" in message


def test_the_spec_beside_a_module_wins_over_its_literal_and_relative_paths_mean_the_folder(tmp_path) -> None:
    (tmp_path / "data").mkdir()
    write_tool(tmp_path, {**ADD, "permissions": {"network": ["evil.example:443"]}}, CODE)
    (tmp_path / "add.yaml").write_text(
        "name: add\ndescription: Add.\ninput_params: [{name: a, type: int}]\n"
        "permissions: {filesystem: read, paths: [data]}\n"
    )
    (tool,) = load_folder(tmp_path)
    (bind,) = tool.mounts
    assert tool.network == () and (bind.host, bind.inside, bind.writable) == (str(tmp_path / "data"),) * 2 + (False,)
    assert tool.cwd == str(tmp_path / "data") and tool.status == "verified"


def test_only_the_named_tools_are_served_and_an_unknown_name_is_refused(tmp_path) -> None:
    write_tool(tmp_path, ADD, CODE)
    write_tool(tmp_path, {**ADD, "name": "other"}, CODE.replace("def add", "def other"))
    assert [tool.spec.name for tool in load_folder(tmp_path, ["other"])] == ["other"]
    result = runner.invoke(app, ["serve", str(tmp_path), "--tool", "nope"])
    assert result.exit_code == 2 and "no tool module for ['nope']" in result.stderr
