"""`toolfoundry library ...`: the local library of verified tools, from the command line."""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.table import Table

from .._version import __version__
from ..checks.validator import CodeValidator
from ..errors import ToolfoundryError
from ..generate import PROMPT_VERSION
from ..library import ToolLibrary, default_library_path
from ..output import TARGETS, ImplementationInjector, check_targets, implementation_of, render_targets, write_atomically
from ..spec import ToolSpecificationParser
from .common import fail

library_app = typer.Typer(help="The library of verified tools: reused, retrieved and versioned.", no_args_is_help=True)
LibraryOption = Annotated[Path | None, typer.Option("--library", help="library file (default: user data folder)")]


NewestVersion = Annotated[int | None, typer.Option(help="default: the newest")]
EveryVersion = Annotated[int | None, typer.Option(help="default: every version")]


@contextlib.contextmanager
def _errors_are_bad_input() -> Iterator[None]:
    """A library error (no such tool, a file from a newer toolfoundry) is bad input: its message, exit 2."""
    try:
        yield
    except ToolfoundryError as error:
        raise fail(str(error)) from None


def _open(path: Path | None) -> ToolLibrary:
    with _errors_are_bad_input():
        return ToolLibrary(path or default_library_path())


@library_app.command("list")
def list_tools(library: LibraryOption = None) -> None:
    """Every tool with its newest version."""
    store = _open(library)
    tools = store.latest()
    if not Console().is_terminal:
        for tool in tools:
            print(f"{tool.name}\tv{tool.version}\t{tool.model}\t{tool.spec.description.splitlines()[0]}")
        return
    table = Table(title=f"{len(tools)} verified tool(s) in {store.path}")
    for column in ("tool", "version", "model", "description"):
        table.add_column(column)
    for tool in tools:
        table.add_row(tool.name, str(tool.version), tool.model, tool.spec.description.splitlines()[0])
    Console().print(table)


@library_app.command()
def show(name: str, version: NewestVersion = None, library: LibraryOption = None) -> None:
    """A tool's spec and code."""
    with _errors_are_bad_input():
        tool = _open(library).get(name, version)
    print(f"# {tool.name} v{tool.version}, by {tool.model}, toolfoundry {tool.toolfoundry_version}\n")
    print(yaml.safe_dump(tool.spec.model_dump(mode="json", exclude_defaults=True), sort_keys=False))
    print(tool.code)


@library_app.command()
def diff(name: str, first: int, second: int, library: LibraryOption = None) -> None:
    """What changed between two versions: spec and code, as a unified diff."""
    store = _open(library)
    with _errors_are_bad_input():
        old, new = store.get(name, first), store.get(name, second)
    for label, before, after in (
        (
            "spec",
            yaml.safe_dump(old.spec.model_dump(mode="json"), sort_keys=False),
            yaml.safe_dump(new.spec.model_dump(mode="json"), sort_keys=False),
        ),
        ("code", old.code, new.code),
    ):
        print(
            "".join(
                difflib.unified_diff(
                    before.splitlines(True),
                    after.splitlines(True),
                    f"{name} v{first} {label}",
                    f"{name} v{second} {label}",
                )
            ),
            end="",
        )


@library_app.command()
def export(
    name: Annotated[str | None, typer.Argument(help="the tool; leave out with --all")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="folder to write into")] = Path("tools"),
    version: NewestVersion = None,
    target: Annotated[list[str] | None, typer.Option("--target", "-t", help=f"also: {', '.join(TARGETS)}")] = None,
    every: Annotated[bool, typer.Option("--all", help="every tool's newest version")] = False,
    library: LibraryOption = None,
) -> None:
    """Write tools as `<name>.spec.yaml` + `<name>.py` (and any targets): a folder to keep in git."""
    store = _open(library)
    if every == (name is not None):
        raise fail("give a tool name or --all, not both")
    with _errors_are_bad_input():
        tools = store.latest() if every else [store.get(name, version)]
        targets = check_targets(target or ["module"], [tool.spec for tool in tools])
    injector = ImplementationInjector()
    for tool in tools:
        spec_text = yaml.safe_dump(tool.spec.model_dump(mode="json", exclude_defaults=True), sort_keys=False)
        write_atomically(output / f"{tool.name}.spec.yaml", spec_text)
        module = injector.inject(tool.code, tool.spec, status="verified", model=f"{tool.model} (tool library)")
        write_atomically(output / f"{tool.name}.py", module)
    for filename, text in render_targets(targets, [tool.spec for tool in tools]).items():
        write_atomically(output / filename, text)
    print(f"exported {len(tools)} tool(s) to {output}")


@library_app.command("import")
def import_tools(folder: Path, library: LibraryOption = None) -> None:
    """Add every `<name>.spec.yaml` + `<name>.py` pair in a folder whose checks pass here; exit 1 if any fail."""
    store = _open(library)
    pairs = sorted(folder.glob("*.spec.yaml"))
    if not pairs:
        raise fail(f"{folder} holds no <name>.spec.yaml files")
    validator, refused = CodeValidator(), 0
    for spec_path in pairs:
        module_path = spec_path.with_name(spec_path.name.removesuffix(".spec.yaml") + ".py")
        try:
            spec = ToolSpecificationParser().parse_file(spec_path)[0]
            code = implementation_of(module_path.read_text(encoding="utf-8"))
        except (ToolfoundryError, OSError, SyntaxError) as error:
            print(f"refused {spec_path.name}: {error}")
            refused += 1
            continue
        result = validator.validate(code, spec)
        if not result.verified:
            print(f"refused {spec.name}: {result.unverified_reason}")
            refused += 1
            continue
        report = {"status": "verified", "imported_from": str(folder)}
        stored = store.add(spec, code, report, "imported", __version__, PROMPT_VERSION)
        print(f"added {spec.name} v{stored.version}")
    raise typer.Exit(1 if refused else 0)


@library_app.command()
def remove(
    name: str,
    version: Annotated[int | None, typer.Option(help="default: every version")] = None,
    library: LibraryOption = None,
) -> None:
    """Remove a tool (every version, or one)."""
    with _errors_are_bad_input():
        removed = _open(library).remove(name, version)
    print(f"removed {removed} version(s) of {name}")
