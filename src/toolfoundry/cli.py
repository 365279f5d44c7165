"""The command line: parse arguments, call the library, print. Exit 0 all verified, 1 some not, 2 bad input."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import __version__
from .agent import save_tool, write_atomically
from .cache import ResponseCache
from .checks import CodeValidator, SandboxRunner
from .cli_library import library_app
from .errors import ConfigError, SpecError, ToolfoundryError
from .fallback import FallbackPolicy
from .generator import GeneratedTool, LLMCodeGenerator
from .library import ToolLibrary, default_library_path
from .models import DEFAULT_MODEL
from .parsing import ToolSpecificationParser
from .pricing import load_price_overrides
from .prompting import PROMPT_VERSION
from .sandbox import sandbox_problem
from .service import LLMService, ProviderLimits
from .settings import default_cache_path, provider_limits
from .spec import ToolSpec
from .targets import TARGETS, TargetError, check_targets, render_targets

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Generate checked Python tools from specs.")
stdout = Console()
stderr = Console(stderr=True)
SPEC_SUFFIXES = {".yaml", ".yml", ".json"}

EXIT_VERIFIED, EXIT_UNVERIFIED, EXIT_BAD_INPUT = 0, 1, 2


def _fail(message: str) -> typer.Exit:
    # Messages quote types such as `list[int]`: escaped, or rich would take them for markup.
    stderr.print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_BAD_INPUT)


def _spec_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(item for item in path.iterdir() if item.suffix in SPEC_SUFFIXES and item.is_file())
            if not found:
                raise _fail(f"{path}: folder holds no .yaml, .yml or .json spec files")
            files += found
        else:
            files.append(path)
    return files


def load_specs(paths: list[Path]) -> list[ToolSpec]:
    """Every spec in every file, or exit 2 listing every problem in every file."""
    parser = ToolSpecificationParser()
    specs: list[ToolSpec] = []
    errors: list[str] = []
    for path in _spec_files(paths):
        try:
            specs += parser.parse_file(path)
        except SpecError as error:
            errors.append(str(error))
    names = [spec.name for spec in specs]
    clashes = sorted({name for name in names if names.count(name) > 1})
    if clashes:
        errors.append(f"several specs are named {clashes}: their output files would overwrite each other")
    if errors:
        raise _fail("\n".join(errors))
    return specs


def _print_summary(tools: list[GeneratedTool], output: Path) -> None:
    if not stdout.is_terminal:
        for tool in tools:
            report = tool.report
            print(
                f"{report.status}\t{report.tool}\tattempts={len(report.attempts)}\ttokens={report.tokens.total}\t"
                f"seconds={report.seconds:.1f}\t{report.reason}"
            )
        return
    table = Table(title=f"toolfoundry: {len(tools)} tool(s) in {output}")
    for column in ("tool", "status", "attempts", "tokens", "seconds", "why not verified"):
        table.add_column(column)
    colours = {"verified": "green", "unverified": "yellow", "stub": "red"}
    for tool in tools:
        report = tool.report
        table.add_row(
            report.tool,
            f"[{colours[report.status]}]{report.status}[/]",
            str(len(report.attempts)),
            str(report.tokens.total),
            f"{report.seconds:.1f}",
            report.reason,
        )
    stdout.print(table)


def _runner(unsafe_no_sandbox: bool) -> SandboxRunner:
    problem = sandbox_problem()
    if problem and not unsafe_no_sandbox:
        stderr.print(
            f"[yellow]warning:[/] {problem}; examples will not run, so no tool can be verified", highlight=False
        )
    if unsafe_no_sandbox:
        stderr.print("[bold red]WARNING:[/] generated code will run WITHOUT a sandbox", highlight=False)
    return SandboxRunner(unsandboxed=unsafe_no_sandbox)


@app.command()
def generate(
    specs: Annotated[list[Path], typer.Argument(help="spec files (.yaml, .yml, .json) or folders of them")],
    output: Annotated[Path, typer.Option("--output", "-o", help="folder for <name>.py and <name>.report.json")] = Path(
        "tools"
    ),
    model: Annotated[str, typer.Option(help="model string, e.g. local:smollm2 or local:/path/model.gguf")] = (
        DEFAULT_MODEL
    ),
    fallback_model: Annotated[
        list[str] | None, typer.Option("--fallback-model", help="model to escalate to; repeatable")
    ] = None,
    rounds: Annotated[int, typer.Option(min=1, help="initial round plus repair rounds, per model")] = 3,
    samples: Annotated[int, typer.Option(min=1, help="candidates sampled per round")] = 3,
    max_tokens_total: Annotated[int | None, typer.Option(min=1, help="stop before spending more tokens")] = None,
    budget_usd: Annotated[float | None, typer.Option(min=0, help="stop before spending more dollars")] = None,
    prices: Annotated[Path | None, typer.Option(help="YAML/JSON: model string -> [prompt, completion] USD/M")] = None,
    cache: Annotated[bool, typer.Option("--cache/--no-cache", help="reuse replies to identical requests")] = True,
    use_library: Annotated[
        bool, typer.Option("--library/--no-library", help="reuse, retrieve from and add to the tool library")
    ] = True,
    fresh: Annotated[bool, typer.Option(help="generate even when the library holds this exact spec")] = False,
    timeout: Annotated[float, typer.Option(min=1, help="seconds allowed for one model call")] = 120.0,
    deadline: Annotated[
        float | None, typer.Option(min=1, help="seconds allowed for one call with all its retries")
    ] = None,
    target: Annotated[
        list[str] | None,
        typer.Option("--target", "-t", help=f"what to write besides the module; repeatable: {', '.join(TARGETS)}"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the reports as JSON")] = False,
    unsafe_no_sandbox: Annotated[
        bool,
        typer.Option(
            "--unsafe-run-generated-code-without-sandbox",
            help="run examples in a plain subprocess when bubblewrap is missing: generated code can then touch "
            "your files, network and secrets",
        ),
    ] = False,
) -> None:
    """Generate a checked tool module and report for every spec."""
    tool_specs = load_specs(specs)
    try:
        targets = check_targets(target or ["module"], tool_specs)
    except TargetError as error:
        raise _fail(str(error)) from None
    if output.exists() and not output.is_dir():
        raise _fail(f"--output {output} exists and is not a folder")
    try:
        price_table = load_price_overrides(prices) if prices else None
        limits = {name: ProviderLimits(**values) for name, values in provider_limits().items()}
        service = LLMService(
            timeout_s=timeout,
            deadline_s=deadline,
            limits=limits,
            max_tokens_total=max_tokens_total,
            max_cost_usd=budget_usd,
            cache=ResponseCache(default_cache_path()) if cache else None,
            prompt_version=PROMPT_VERSION,
        )
        generator = LLMCodeGenerator.create(
            model=model,
            fallback_models=tuple(fallback_model or ()),
            policy=FallbackPolicy(rounds=rounds, samples_per_round=samples),
            llm_service=service,
            runner=_runner(unsafe_no_sandbox),
            prices=price_table,
            library=ToolLibrary(default_library_path()) if use_library else None,
            fresh=fresh,
        )
    except ConfigError as error:
        raise _fail(str(error)) from None
    unpriced = [item.name for item in generator.models if item.usd_per_million_tokens is None]
    if budget_usd is not None and unpriced:
        raise _fail(f"--budget-usd needs a price for {', '.join(unpriced)}: give one with --prices FILE")
    tools: list[GeneratedTool] = []
    for spec in tool_specs:
        try:
            tool = asyncio.run(generator.generate_code(spec))
        except ToolfoundryError as error:
            raise _fail(f"{spec.name}: {error}") from None
        save_tool(tool, output)
        tools.append(tool)
    for filename, text in render_targets(targets, [tool.spec for tool in tools]).items():
        write_atomically(output / filename, text)
    if as_json:
        print(json.dumps([tool.report.model_dump(mode="json") for tool in tools], indent=2))
    else:
        _print_summary(tools, output)
    raise typer.Exit(EXIT_VERIFIED if all(tool.status == "verified" for tool in tools) else EXIT_UNVERIFIED)


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="Python file holding the tool function")],
    spec: Annotated[Path, typer.Option("--spec", help="the spec file the code must meet")],
    tool: Annotated[str | None, typer.Option(help="which spec, when the spec file holds several")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
    unsafe_no_sandbox: Annotated[
        bool,
        typer.Option("--unsafe-run-generated-code-without-sandbox", help="run examples without bubblewrap (dangerous)"),
    ] = False,
) -> None:
    """Run every check on existing code against a spec."""
    candidates = load_specs([spec])
    if tool is not None:
        candidates = [candidate for candidate in candidates if candidate.name == tool]
        if not candidates:
            raise _fail(f"{spec} holds no spec named {tool!r}")
    if len(candidates) > 1:
        raise _fail(f"{spec} holds {len(candidates)} specs; choose one with --tool")
    try:
        code = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise _fail(f"cannot read {file}: {error}") from None
    result = CodeValidator(runner=_runner(unsafe_no_sandbox)).validate(code, candidates[0])
    status = "verified" if result.verified else "unverified"
    if as_json:
        print(
            json.dumps(
                {
                    "status": status,
                    "reason": result.unverified_reason,
                    "findings": [finding.model_dump() for finding in result.findings],
                    "examples": [outcome.model_dump() for outcome in result.behaviour.outcomes],
                },
                indent=2,
            )
        )
    else:
        for finding in result.findings:
            print(f"{file}:{finding.line or 0}: {finding.severity}: [{finding.rule}] {finding.message}")
        for outcome in result.behaviour.outcomes:
            mark = "pass" if outcome.passed else "FAIL"
            print(f"{mark} {outcome.call}: expected {outcome.expected}, got {outcome.got}")
        print(f"{status}" + (f": {result.unverified_reason}" if result.unverified_reason else ""))
    raise typer.Exit(EXIT_VERIFIED if result.verified else EXIT_UNVERIFIED)


app.add_typer(library_app, name="library")
cache_app = typer.Typer(help="The response cache (a second identical run makes no model call).")
app.add_typer(cache_app, name="cache")


@cache_app.command("stats")
def cache_stats() -> None:
    """Entries, size and location of the response cache."""
    for key, value in ResponseCache(default_cache_path()).stats().items():
        if key not in {"hits", "misses"}:
            print(f"{key}: {value}")


@cache_app.command("clear")
def cache_clear() -> None:
    """Remove every cached response."""
    print(f"removed {ResponseCache(default_cache_path()).clear()} cached responses")


@app.command()
def version() -> None:
    """Print the version."""
    print(__version__)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
