"""`toolfoundry generate`: options in, one generator and one batch run, the run's files and exit status out."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from pathlib import Path
from typing import Annotated

import typer

from ..batch import BatchRunner
from ..errors import ConfigError, TargetError
from ..evidence import DEFAULT_PROBES, EvidencePolicy
from ..generate import LLMCodeGenerator, PromptStyle, RepairPolicy
from ..library import ToolLibrary, default_library_path
from ..models import DEFAULT_MODEL
from ..models.prices import load_price_overrides
from ..output import TARGETS, check_targets
from ..service import ProviderLimits, ResponseCache, ServiceSettings
from ..settings import default_cache_path, provider_limits
from .common import EXIT_UNVERIFIED, EXIT_VERIFIED, example_runner, fail, load_specs_from, stderr, stdout
from .evidence_options import (
    AgreeingOption,
    ProbeSeedOption,
    ProbesOption,
    ShowAllOption,
    SpecTestsOption,
    evidence_policy,
)
from .progress import LiveProgress, print_summary


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
    samples: Annotated[int, typer.Option(min=1, help="candidates sampled in the first round")] = 3,
    repair_samples: Annotated[
        int, typer.Option(min=1, help="candidates per repair round, the warmest of a round's samples first")
    ] = RepairPolicy.repair_samples,
    patience: Annotated[
        int,
        typer.Option(
            min=0,
            help="repairs with new code in a row that do not beat the best before a model is given up (a "
            "repair round that only repeats checked code also ends it; 0: every attempt)",
        ),
    ] = RepairPolicy.patience,
    probes: ProbesOption = DEFAULT_PROBES,
    probe_seed: ProbeSeedOption = 0,
    show_all_examples: ShowAllOption = False,
    agreeing: AgreeingOption = 1,
    spec_tests: SpecTestsOption = EvidencePolicy.spec_tests,
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
        bool,
        typer.Option(
            "--resume/--no-resume",
            help="skip tools verified before for the same spec, model, prompt version and evidence options",
        ),
    ] = True,
    timeout: Annotated[
        float, typer.Option(min=1, help="seconds allowed for one model call")
    ] = ServiceSettings.timeout_s,
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
    sourced = load_specs_from(specs)
    tool_specs = [spec for spec, _ in sourced]
    for spec in tool_specs:
        if note := spec.undeclared_access:
            stderr.print(f"[yellow]note:[/] {note} (declare `permissions:` if it must)", highlight=False)
    try:
        targets = check_targets(target or ["module"], tool_specs)
    except TargetError as error:
        raise fail(str(error)) from None
    if output.exists() and not output.is_dir():
        raise fail(f"--output {output} exists and is not a folder")
    try:
        generator = LLMCodeGenerator.create(
            model=model,
            fallback_models=tuple(fallback_model or ()),
            policy=RepairPolicy(
                rounds=rounds, samples_per_round=samples, repair_samples=repair_samples, patience=patience
            ),
            runner=example_runner(unsafe_no_sandbox),
            evidence=evidence_policy(probes, probe_seed, show_all_examples, agreeing, spec_tests),
            prompt_style=prompt_style.value if prompt_style else None,
            library=ToolLibrary(default_library_path()) if use_library else None,
            fresh=fresh,
            prices=load_price_overrides(prices) if prices else None,
            service=ServiceSettings(
                timeout_s=timeout,
                deadline_s=deadline,
                max_tokens_total=max_tokens_total,
                max_cost_usd=budget_usd,
                cache=ResponseCache(default_cache_path()) if cache else None,
                limits={name: ProviderLimits(**values) for name, values in provider_limits().items()},
            ),
        )
    except ConfigError as error:
        raise fail(str(error)) from None
    unpriced = [item.name for item in generator.models if item.usd_per_million_tokens is None]
    if budget_usd is not None and unpriced:
        raise fail(f"--budget-usd needs a price for {', '.join(unpriced)}: give one with --prices FILE")
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
    # The run is over: a Ctrl-C now would only cut the last reports short, so it is ignored while they are written.
    previous_handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        spec_files = {spec.name: str(path.resolve()) for spec, path in sourced}
        run = runner.write_run_files(tool_specs, targets, time.monotonic() - started, interrupted, spec_files)
    finally:
        signal.signal(signal.SIGINT, previous_handler)
    if as_json:
        print(json.dumps(run, indent=2))
    elif progress is None:
        print_summary(summaries)
    counts = run["summary"]
    stderr.print(
        f"{len(summaries)} tool(s): {counts['verified']} verified, {counts['unverified']} unverified, "
        f"{counts['stub']} stub, {counts['failed']} failed; reports in {output}",
        highlight=False,
        soft_wrap=True,
    )
    if interrupted:
        finished = sum(1 for summary in summaries if summary.state in {"done", "skipped"})
        stderr.print(f"interrupted: {finished} tool(s) finished and kept in {output}")
        raise typer.Exit(130)
    raise typer.Exit(EXIT_VERIFIED if all(s.status == "verified" for s in summaries) else EXIT_UNVERIFIED)
