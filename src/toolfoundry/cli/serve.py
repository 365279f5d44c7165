"""`toolfoundry serve DIR`: the tools in a folder as an MCP server, each call in a sandbox of its own."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import anyio
import typer
from rich.markup import escape

from ..errors import ServeError
from ..sandbox import is_loopback, memory_cgroup_available, sandbox_problem
from .common import fail, stderr


def serve(
    folder: Annotated[Path, typer.Argument(help="folder of generated tools (what `generate -o` wrote)")],
    http: Annotated[bool, typer.Option("--http", help="streamable HTTP at http://HOST:PORT/mcp, not stdio")] = False,
    host: Annotated[str, typer.Option(help="where HTTP listens; not loopback exposes the tools")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port", min=1, max=65535)] = 8000,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="a Host header HTTP also answers, as clients send it (NAME:PORT, NAME:* for any port); "
            "HOST:PORT always, and localhost's names on loopback (repeatable)",
        ),
    ] = None,
    token_env: Annotated[
        str | None,
        typer.Option(
            "--token-env",
            help="HTTP asks every request for this environment variable's value as a bearer token; off "
            "loopback one is always asked, and generated and printed once when this is not given",
        ),
    ] = None,
    tool: Annotated[list[str] | None, typer.Option("--tool", help="serve only this tool (repeatable)")] = None,
    allow_unapproved: Annotated[
        bool,
        typer.Option(
            "--allow-unapproved",
            help="serve tools that write files or reach the network though no one approved their code and spec "
            "(`toolfoundry review --approve`)",
        ),
    ] = False,
    timeout: Annotated[float, typer.Option(help="seconds a call may run", min=0.1)] = 10.0,
    memory_mb: Annotated[int, typer.Option(help="memory per call, all its processes together, MiB", min=64)] = 1024,
    processes: Annotated[int, typer.Option(help="processes per call", min=1)] = 32,
    output_kb: Annotated[int, typer.Option(help="what a call may print, KiB", min=1)] = 1024,
    concurrency: Annotated[int, typer.Option(help="calls running at once; more wait their turn", min=1)] = max(
        2, 2 * (os.cpu_count() or 1)
    ),
    unsandboxed: Annotated[
        bool,
        typer.Option("--unsandboxed", help="call tools in this process, with all its rights and none of the limits"),
    ] = False,
    unsafe_writable_tools: Annotated[
        bool,
        typer.Option(
            "--unsafe-writable-tools",
            help="let a write tool's paths hold the tools folder, their specs or this Python: a tool could then "
            "rewrite its own code and permissions",
        ),
    ] = False,
) -> None:
    """Serve the tools in FOLDER over MCP; each call runs in a bubblewrap sandbox with the tool's permissions."""
    # Imported here: the MCP SDK and its web stack cost every other command a quarter second at start.
    from ..serve import InProcessCalls, SandboxedCalls, build_server, limits_for, load_folder, run_http, run_stdio
    from ..serve.access import token_from

    if bad := [value for value in allowed_host or [] if not value or "/" in value or value != value.strip()]:
        raise fail(f"--allowed-host takes a Host header's value (NAME:PORT), not {bad[0]!r}")
    try:
        tools = load_folder(folder, tool or None, writable_tools=unsafe_writable_tools)
    except ServeError as error:
        raise fail(str(error)) from None
    tools = _approved(folder, tools, allow_unapproved, void=unsafe_writable_tools)
    if unsandboxed:
        stderr.print("[bold red]WARNING:[/] tools run WITHOUT a sandbox, with this process's rights", highlight=False)
        calls: InProcessCalls | SandboxedCalls = InProcessCalls()
    else:
        if problem := sandbox_problem():
            raise fail(f"{problem}; nothing is served (--unsandboxed is the explicit, unsafe opt-out)")
        calls = SandboxedCalls(limits_for(timeout, memory_mb, processes, output_kb))
        if not memory_cgroup_available():
            note = "no writable memory cgroup here: --memory-mb bounds each process of a call, not all together"
            stderr.print(f"[yellow]note:[/] {note}", highlight=False)
    for served in tools:
        permissions = served.spec.permissions
        places = [f"{'write' if bind.writable else 'read'} {bind.inside}" for bind in served.mounts]
        reach = ", ".join([*permissions.network, *places])
        note = "" if served.status == "verified" else f" [yellow](status: {served.status})[/]"
        if not reach and permissions.filesystem != "none":
            reach = f"{permissions.filesystem} files, but no paths declared: only an empty folder of its own"
        stderr.print(f"serving {served.spec.name}: {escape(reach or 'pure computation')}{note}", highlight=False)
    server = build_server(tools, calls, concurrency)
    token = None
    if http:
        try:
            token, generated = token_from(token_env, generate=not is_loopback(host))
        except ServeError as error:
            raise fail(str(error)) from None
        if generated:  # printed this once, to the terminal that started serve; never logged
            stderr.print(f"{escape(host)} is not loopback: clients must send this bearer token:", highlight=False)
            stderr.print(f"  Authorization: Bearer {token}", highlight=False, markup=False)
        elif token is not None:
            stderr.print(f"HTTP asks every request for the bearer token in ${escape(token_env or '')}", highlight=False)
    if http and host.strip("[]") in ("0.0.0.0", "::") and not allowed_host:
        # DNS-rebinding protection answers only Host headers it knows; on every address, those are unknown.
        note = f"only requests to localhost or {escape(host)} are answered; name others with --allowed-host NAME:{port}"
        stderr.print(f"[yellow]note:[/] {note}", highlight=False)
    if http:
        anyio.run(run_http, server, host, port, tuple(allowed_host or ()), token)
    else:
        anyio.run(run_stdio, server)


def _approved(folder: Path, tools: list[Any], allow_unapproved: bool, void: bool) -> list[Any]:
    """The tools a person approved, and those that need no approval; a line for each one left out. With `void`
    (--unsafe-writable-tools) no record counts: a tool that may write the folder could have written its own."""
    from ..errors import LibraryError
    from ..library import ToolLibrary, default_library_path
    from ..serve.approval import approval_of, needs_approval

    # A decision kept in the library holds here too. Opened only when a tool needs one, and never made by
    # serving; a library that cannot be used approves nothing (the records beside the modules still count).
    library = None
    if default_library_path().is_file() and any(needs_approval(served.spec) for served in tools):
        try:
            library = ToolLibrary(default_library_path())
        except LibraryError as error:
            stderr.print(f"[yellow]warning:[/] {escape(str(error))}: its approvals do not count", highlight=False)

    kept = []
    for served in tools:
        harm = needs_approval(served.spec)
        verdict = approval_of(served.path, served.code, served.spec, library) if harm else None
        if verdict is not None and void:
            verdict = replace(verdict, approved=False, reason="approvals do not count with --unsafe-writable-tools")
        if verdict is None or verdict.approved:
            kept.append(served)
            continue
        name = served.spec.name
        line = f"{name} {harm}, and this code and spec are not approved ({verdict.reason})"
        if allow_unapproved:
            stderr.print(
                f"[bold yellow]warning:[/] serving {escape(line)}: --allow-unapproved", highlight=False, soft_wrap=True
            )
            kept.append(served)
        else:
            fix = f"toolfoundry review --approve {folder} --tool {name}"
            stderr.print(f"not serving {escape(line)}: {escape(fix)}", highlight=False, soft_wrap=True)
    if not kept:
        raise fail("nothing to serve: every tool asked for is unapproved (or --allow-unapproved)")
    return kept
