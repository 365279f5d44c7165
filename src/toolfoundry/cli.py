"""The command line: parse arguments, call the library, print. Exit 0 all verified, 1 some not, 2 bad input."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from . import __version__
from .agent import write_atomically
from .batch import BatchRunner, ToolSummary, run_report
from .cache import ResponseCache
from .checks import CodeValidator, SandboxRunner
from .cli_library import library_app
from .errors import ConfigError, SpecError
from .fallback import FallbackPolicy
from .generator import LLMCodeGenerator
from .library import ToolLibrary, default_library_path
from .models import DEFAULT_MODEL
from .parsing import ToolSpecificationParser
from .pricing import load_price_overrides
from .prompting import PROMPT_VERSION, PromptStyle
from .report_html import write_html_report
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


def _print_summary(summaries: list[ToolSummary]) -> None:
    """Plain, stable lines when the output is not a terminal: one per tool."""
    for summary in summaries:
        status = summary.status or summary.state
        print(
            f"{status}\t{summary.tool}\tattempts={summary.attempts}\ttokens={summary.tokens}\t"
            f"seconds={summary.seconds:.1f}\t{summary.reason}"
        )


class LiveProgress:
    """A live table of every tool's state, attempts, tokens and cost, for terminals."""

    def __init__(self, console: Console) -> None:
        self.rows: dict[str, ToolSummary] = {}
        self.live = Live(console=console, refresh_per_second=8, transient=False)

    def __enter__(self) -> LiveProgress:
        self.live.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.live.update(self._table())
        self.live.__exit__(*exc_info)

    def update(self, summary: ToolSummary) -> None:
        self.rows[summary.tool] = summary
        self.live.update(self._table())

    def _table(self) -> Table:
        table = Table(title="toolfoundry")
        for column in ("tool", "state", "attempts", "tokens", "cost", "seconds", "why not verified"):
            table.add_column(column)
        colours = {"verified": "green", "unverified": "yellow", "stub": "red", "failed": "red"}
        for row in self.rows.values():
            label = row.status or row.state
            cost = "?" if row.cost_usd is None else f"${row.cost_usd:.4f}"
            table.add_row(
                row.tool,
                f"[{colours.get(label, 'cyan')}]{escape(label)}[/]",
                str(row.attempts),
                str(row.tokens),
                cost,
                f"{row.seconds:.1f}",
                escape(row.reason),
            )
        return table


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
    concurrency: Annotated[int, typer.Option(min=1, help="model calls in flight at once")] = 4,
    prompt_style: Annotated[
        PromptStyle | None,
        typer.Option(help="full: context and rules; compact: signature, description, examples [default: the model's]"),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume/--no-resume", help="skip tools verified before with the same spec and model")
    ] = True,
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
            prompt_style=prompt_style.value if prompt_style else None,
        )
    except ConfigError as error:
        raise _fail(str(error)) from None
    unpriced = [item.name for item in generator.models if item.usd_per_million_tokens is None]
    if budget_usd is not None and unpriced:
        raise _fail(f"--budget-usd needs a price for {', '.join(unpriced)}: give one with --prices FILE")
    output.mkdir(parents=True, exist_ok=True)
    progress = LiveProgress(stdout) if stdout.is_terminal and not as_json else None
    runner = BatchRunner(
        generator, output, concurrency=concurrency, resume=resume, on_change=progress.update if progress else None
    )
    started, interrupted = time.monotonic(), False
    with progress or contextlib.nullcontext():
        try:
            summaries = asyncio.run(runner.run(tool_specs))
        except KeyboardInterrupt:
            # Finished tools are on disk already (written atomically); say what happened and keep them.
            interrupted, summaries = True, list(runner.summaries.values())
    # Tools this run finished: a module left by an earlier run for a spec that failed now does not count.
    finished = {summary.tool for summary in summaries if summary.state in {"done", "skipped"}}
    # The run is over: a Ctrl-C now would only cut the last reports short, so it is ignored while they are written.
    previous_handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for filename, text in render_targets(targets, [spec for spec in tool_specs if spec.name in finished]).items():
            write_atomically(output / filename, text)
        run = run_report(
            summaries,
            model=generator.models[0].name,
            seconds=time.monotonic() - started,
            interrupted=interrupted,
            service=generator.llm_service.snapshot(),
            prompt_version=generator.prompt_builder.version,
        )
        write_atomically(output / "report.json", json.dumps(run, indent=2) + "\n")
        write_html_report(output, run)
    finally:
        signal.signal(signal.SIGINT, previous_handler)
    if as_json:
        print(json.dumps(run, indent=2))
    elif progress is None:
        _print_summary(summaries)
    if interrupted:
        stderr.print(f"interrupted: {len(finished)} tool(s) finished and kept in {output}")
        raise typer.Exit(130)
    raise typer.Exit(EXIT_VERIFIED if all(s.status == "verified" for s in summaries) else EXIT_UNVERIFIED)


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
