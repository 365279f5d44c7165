"""What every command shares: how a bad input is reported (exit 2), spec files read, and the sandbox chosen."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from ..checks.behaviour import SandboxRunner
from ..errors import SpecError
from ..sandbox import sandbox_problem
from ..spec import ToolSpec, ToolSpecificationParser

stdout = Console()
stderr = Console(stderr=True)
SPEC_SUFFIXES = {".yaml", ".yml", ".json"}

EXIT_VERIFIED, EXIT_UNVERIFIED, EXIT_BAD_INPUT = 0, 1, 2


def fail(message: str) -> typer.Exit:
    # Messages quote types such as `list[int]`: escaped, or rich would take them for markup.
    stderr.print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_BAD_INPUT)


def _spec_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(item for item in path.iterdir() if item.suffix in SPEC_SUFFIXES and item.is_file())
            if not found:
                raise fail(f"{path}: folder holds no .yaml, .yml or .json spec files")
            files += found
        else:
            files.append(path)
    return files


def load_specs(paths: list[Path]) -> list[ToolSpec]:
    """Every spec in every file, or exit 2 listing every problem in every file."""
    return [spec for spec, _ in load_specs_from(paths)]


def load_specs_from(paths: list[Path]) -> list[tuple[ToolSpec, Path]]:
    """Every spec in every file with the file it is in, or exit 2 listing every problem in every file."""
    parser = ToolSpecificationParser()
    specs: list[tuple[ToolSpec, Path]] = []
    errors: list[str] = []
    for path in _spec_files(paths):
        try:
            specs += [(spec, path) for spec in parser.parse_file(path)]
        except SpecError as error:
            errors.append(str(error))
    names = [spec.name for spec, _ in specs]
    clashes = sorted({name for name in names if names.count(name) > 1})
    if clashes:
        errors.append(f"several specs are named {clashes}: their output files would overwrite each other")
    if errors:
        raise fail("\n".join(errors))
    return specs


def example_runner(unsafe_no_sandbox: bool) -> SandboxRunner:
    problem = sandbox_problem()
    if problem and not unsafe_no_sandbox:
        stderr.print(
            f"[yellow]warning:[/] {problem}; examples will not run, so no tool can be verified", highlight=False
        )
    if unsafe_no_sandbox:
        stderr.print("[bold red]WARNING:[/] generated code will run WITHOUT a sandbox", highlight=False)
    return SandboxRunner(unsandboxed=unsafe_no_sandbox)
