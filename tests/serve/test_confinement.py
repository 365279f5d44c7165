"""What served tools may touch, held against a tool (or anyone on the host) that rearranges folders between calls:
directories bound by the descriptor opened when they were checked, none nested inside a writable one, and no
writable directory holding the tools, their specs or the Python that serves them."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import requires_sandbox
from tests.serve.tools import write_tool
from toolfoundry.cli import app
from toolfoundry.errors import ServeError
from toolfoundry.sandbox.boundary import Bind, open_directory
from toolfoundry.serve import load_folder


def lister(name: str, mode: str, paths: list[str]) -> tuple[dict, str]:
    spec = {
        "name": name,
        "description": "The names in a folder.",
        "output_type": "list[str]",
        "permissions": {"filesystem": mode, "paths": paths},
        "input_params": [{"name": "folder", "type": "str"}],
    }
    return spec, f"import os\n\n\ndef {name}(folder: str) -> list[str]:\n    return sorted(os.listdir(folder))\n"


def serve_exit(folder: Path, *options: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["serve", str(folder), *options])
    return result.exit_code, " ".join(result.stderr.split())


def test_a_directory_inside_another_tools_writable_one_is_refused(tmp_path: Path) -> None:
    """The red team's swap: `saver` writes ./shared and renames ./shared/inner away for a link to /."""
    (tmp_path / "shared" / "inner").mkdir(parents=True)
    write_tool(tmp_path, *lister("saver", "write", ["./shared"]))
    write_tool(tmp_path, *lister("peek", "read", ["./shared/inner"]))
    code, message = serve_exit(tmp_path)
    assert code == 2
    assert f"peek.py: permissions.paths binds {tmp_path / 'shared' / 'inner'}, which lies inside" in message
    assert "a directory saver may write" in message


def test_a_tool_nesting_its_own_directories_inside_its_writable_one_is_refused(tmp_path: Path) -> None:
    (tmp_path / "w" / "r").mkdir(parents=True)
    write_tool(tmp_path, *lister("both", "write", ["./w", "./w/r"]))
    with pytest.raises(ServeError, match=r"lies inside .*/w, a directory both may write"):
        load_folder(tmp_path)


def test_two_tools_may_share_one_directory_and_read_tools_may_nest(tmp_path: Path) -> None:
    (tmp_path / "data" / "reports").mkdir(parents=True)
    write_tool(tmp_path, *lister("writer", "write", ["./data"]))
    write_tool(tmp_path, *lister("reader", "read", ["./data"]))
    write_tool(tmp_path, *lister("reports", "read", [str(tmp_path)]))  # reads the tools folder: harmless
    assert {tool.spec.name for tool in load_folder(tmp_path, ["writer", "reader"])} == {"writer", "reader"}
    assert [tool.spec.name for tool in load_folder(tmp_path, ["reports"])] == ["reports"]


def test_a_write_tool_cannot_be_given_its_own_folder_without_the_named_opt_out(tmp_path: Path) -> None:
    """It rewrote its TOOL_SPEC and was served with `*:443, write /root` after a restart."""
    write_tool(tmp_path, *lister("editor", "write", ["."]))
    code, message = serve_exit(tmp_path)
    assert code == 2 and f"editor.py: may write {tmp_path}, which holds the tools folder" in message
    assert "which holds the module editor.py" in message and "--unsafe-writable-tools allows it" in message
    (tool,) = load_folder(tmp_path, writable_tools=True)
    assert tool.mounts[0].writable


def test_a_write_tool_whose_folder_holds_its_spec_file_is_refused(tmp_path: Path) -> None:
    tools, specs = tmp_path / "tools", tmp_path / "specs"
    tools.mkdir()
    specs.mkdir()
    spec, code = lister("editor", "write", [str(specs)])
    write_tool(tools, spec, code)
    (specs / "editor.yaml").write_text(
        "name: editor\ndescription: The names in a folder.\noutput_type: list[str]\n"
        f"input_params: [{{name: folder, type: str}}]\npermissions: {{filesystem: write, paths: [{specs}]}}\n"
    )
    (tools / "editor.yaml").symlink_to(specs / "editor.yaml")  # the spec beside the module, kept elsewhere
    with pytest.raises(ServeError, match=f"may write {specs}, which holds the spec editor.yaml"):
        load_folder(tools)


def test_a_write_tool_cannot_reach_the_python_that_serves_it(tmp_path: Path) -> None:
    site = Path(os.path.realpath(sys.prefix)) / "lib"
    write_tool(tmp_path, *lister("patcher", "write", [str(site)]))
    with pytest.raises(ServeError, match="holds the Python installation that serves the tools"):
        load_folder(tmp_path)
    write_tool(tmp_path, *lister("patcher", "read", [str(site)]))  # reading it is what every sandbox does
    assert load_folder(tmp_path)[0].mounts[0].host == str(site)


def test_each_directory_is_held_by_a_descriptor_of_the_directory_that_was_checked(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    write_tool(tmp_path, *lister("peek", "read", ["./data"]))
    (tool,) = load_folder(tmp_path)
    (bind,) = tool.mounts
    assert os.path.samestat(os.fstat(bind.fd), os.stat(tmp_path / "data"))
    assert bind.arguments() == ["--ro-bind-fd", str(bind.fd), str(tmp_path / "data")]


def test_a_link_anywhere_on_the_way_to_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "real" / "inner").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(OSError):
        open_directory(str(tmp_path / "link" / "inner"))
    with pytest.raises(OSError):
        open_directory(str(tmp_path / "link"))
    os.close(open_directory(str(tmp_path / "real" / "inner")))


@requires_sandbox
def test_a_directory_swapped_for_a_link_after_the_check_leads_nowhere_new(tmp_path: Path) -> None:
    """Between two calls the declared directory is renamed away and a link to a host folder put in its place;
    the next call's sandbox still sees the directory that was checked, never the link's target."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    data, outside = tmp_path / "data", tmp_path / "outside"
    data.mkdir()
    outside.mkdir()
    (data / "mine.txt").write_text("declared")
    (outside / "host-secret.txt").write_text("never seen")
    tools = tmp_path / "tools"
    tools.mkdir()
    write_tool(tools, *lister("peek", "read", [str(data)]))

    async def session_calls() -> list:
        arguments = ["-m", "toolfoundry", "serve", str(tools), "--timeout", "5"]
        parameters = StdioServerParameters(command=sys.executable, args=arguments, env=dict(os.environ))
        async with stdio_client(parameters) as streams, ClientSession(*streams) as session:
            await session.initialize()
            before = await session.call_tool("peek", {"folder": str(data)})
            data.rename(tmp_path / "data.orig")
            data.symlink_to(outside)
            after = await session.call_tool("peek", {"folder": str(data)})
            return [before, after]

    before, after = asyncio.run(asyncio.wait_for(session_calls(), 120))
    assert before.structured_content == {"result": ["mine.txt"]}
    assert after.structured_content == {"result": ["mine.txt"]}, after.content


@requires_sandbox
def test_bwrap_binds_the_descriptor_not_the_path(tmp_path: Path) -> None:
    from toolfoundry.sandbox import SandboxLimits
    from toolfoundry.sandbox.call import call_in_sandbox

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "mine.txt").write_text("declared")
    bind = Bind.open(str(tmp_path / "data"), str(tmp_path / "data"), writable=True)
    (tmp_path / "data").rename(tmp_path / "moved")
    (tmp_path / "data").symlink_to("/etc")
    code = "import os\n\n\ndef names(folder):\n    return sorted(os.listdir(folder))\n"
    result = call_in_sandbox(code, "names", {"folder": str(tmp_path / "data")}, SandboxLimits(), (bind,))
    assert result.record is not None and result.record.get("value") == ["mine.txt"], result


def test_a_write_tool_cannot_reach_toolfoundrys_own_code_or_an_import_path(tmp_path: Path, monkeypatch) -> None:
    import toolfoundry

    source = Path(toolfoundry.__file__).resolve().parents[1]  # site-packages, or an editable install's src/
    tools = tmp_path / "tools"
    tools.mkdir()
    write_tool(tools, *lister("patcher", "write", [str(source / "toolfoundry")]))
    with pytest.raises(ServeError, match="holds the Python installation that serves the tools"):
        load_folder(tools)
    extra = tmp_path / "on_the_path"
    (extra / "below").mkdir(parents=True)
    monkeypatch.syspath_prepend(str(extra))
    write_tool(tools, *lister("patcher", "write", [str(extra)]))
    with pytest.raises(ServeError, match="holds a folder the serving Python imports from"):
        load_folder(tools)
    write_tool(tools, *lister("patcher", "write", [str(extra / "below")]))  # below an import path: allowed
    assert load_folder(tools)[0].mounts[0].writable
