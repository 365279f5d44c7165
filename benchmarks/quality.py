"""The quality set: how often a generated tool really works, scored on cases the generator never saw.

Run: .venv/bin/python benchmarks/quality.py [--mode baseline|pipeline|both] [--model local:smollm2]

- baseline: the raw model. One plain prompt per spec (signature, description, examples), the first code
  block of the reply, no checks, no repair.
- pipeline: toolfoundry's generator (context, prefill, checks, sandboxed examples, repair, sampling) with
  no tool library, so nothing is reused and no generated tool helps the next one.

Both use the same model object, the same max tokens per call and no response cache. Every tool is then
scored in the sandbox on the held-out cases in benchmarks/quality/heldout.yaml. Figures are written to
benchmarks/results/quality-<mode>.json and printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from toolfoundry.checks import SandboxRunner
from toolfoundry.evidence import DEFAULT_PROBES, EvidencePolicy
from toolfoundry.generate import PROMPT_STYLES, FallbackPolicy, LLMCodeGenerator
from toolfoundry.models import load_model
from toolfoundry.models.base import ChatModel, CompletionRequest, Message
from toolfoundry.spec import Example, ToolSpec, ToolSpecificationParser

HERE = Path(__file__).parent
SPECS = HERE / "specs"
HELDOUT = HERE / "quality" / "heldout.yaml"
MAX_TOKENS = 512
FENCED = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)


def load_quality_set(
    names: list[str] | None = None, first_example_only: bool = False
) -> list[tuple[ToolSpec, ToolSpec]]:
    """(spec as the generator sees it, the same spec with the held-out cases as its examples). With
    `first_example_only` each spec keeps only its first example, as users write them."""
    parser = ToolSpecificationParser()
    heldout = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))
    pairs = []
    for path in sorted(SPECS.glob("*.yaml")):
        (spec,) = parser.parse_file(path)
        if names and spec.name not in names:
            continue
        cases = [Example.model_validate(case) for case in heldout[spec.name]]
        given = spec.model_copy(update={"examples": spec.examples[:1]}) if first_example_only else spec
        pairs.append((given, spec.model_copy(update={"examples": cases})))
    return pairs


def raw_prompt(spec: ToolSpec) -> list[Message]:
    """What a user would type to a chat model: no context, no rules, no prefill."""
    examples = "\n".join(
        f"{spec.name}({', '.join(f'{k}={v!r}' for k, v in example.input.items())}) -> "
        + (repr(example.output) if example.expects_output else f"raises {example.raises}")
        for example in spec.examples
    )
    return [
        Message(
            role="user",
            content=f"Write a Python function:\n\n{spec.signature()}\n\n{spec.description}\n"
            f"Returns {spec.output_format}.\n\nExamples:\n{examples}\n\nReply with the code in a ```python block.",
        )
    ]


def first_code_block(reply: str) -> str:
    match = FENCED.search(reply)
    return match.group(1) if match else reply


async def baseline(spec: ToolSpec, model: ChatModel) -> dict[str, Any]:
    started = time.monotonic()
    completion = await model.complete(
        CompletionRequest(messages=tuple(raw_prompt(spec)), temperature=0.0, max_tokens=MAX_TOKENS, seed=0)
    )
    return {
        "code": first_code_block(completion.text),
        "status": "unchecked",
        "tokens": completion.usage.total_tokens,
        "seconds": time.monotonic() - started,
        "calls": 1,
    }


async def pipeline(spec: ToolSpec, generator: LLMCodeGenerator) -> dict[str, Any]:
    tool = await generator.generate_code(spec)
    return {
        "code": tool.implementation,
        "status": tool.status,
        "tokens": tool.report.tokens.total,
        "seconds": tool.report.seconds,
        "calls": len(tool.report.attempts),
        "stopped": tool.report.stopped,
        # Each attempt's place and effect: a run that uses every attempt tells what any earlier stop would
        # have cost and kept (the attempts before a stop are the same calls).
        "attempts": [
            {
                "kind": attempt.kind,
                "strategy": attempt.strategy,
                "tokens": attempt.prompt_tokens + attempt.completion_tokens,
                "seconds": attempt.seconds,
                "examples_passed": attempt.examples_passed,
                "probes_failed": attempt.probes_failed,
                "verified": attempt.verified,
                "same_as": attempt.same_as,
                "code": attempt.code,
            }
            for attempt in tool.report.attempts
        ],
    }


def score(code: str, heldout: ToolSpec, runner: SandboxRunner) -> tuple[int, int]:
    """(held-out cases passed, held-out cases) for one tool, run in the sandbox."""
    result = runner.run_examples(code, heldout)
    return sum(outcome.passed for outcome in result.outcomes), len(heldout.examples)


def summarize(mode: str, model: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    cases = sum(row["cases"] for row in rows)
    passed_cases = sum(row["passed"] for row in rows)
    working = [row for row in rows if row["passed"] == row["cases"]]
    verified = [row for row in rows if row["status"] == "verified"]
    tokens, seconds = sum(row["tokens"] for row in rows), sum(row["seconds"] for row in rows)

    def per(count: int, total: float, digits: int = 0) -> float | None:
        return round(total / count, digits or None) if count else None

    return {
        "mode": mode,
        "model": model,
        "tools": len(rows),
        "heldout_case_pass_rate": round(passed_cases / cases, 3) if cases else 0.0,
        "tools_passing_all_heldout": len(working),
        "verified": len(verified),
        "verified_precision": (
            round(sum(row["passed"] == row["cases"] for row in verified) / len(verified), 3) if verified else None
        ),
        "tokens": tokens,
        "seconds": round(seconds, 1),
        "model_calls": sum(row["calls"] for row in rows),
        # A working tool passes every held-out case; only the pipeline can tell which tools are verified.
        "tokens_per_working_tool": per(len(working), tokens),
        "seconds_per_working_tool": per(len(working), seconds, 1),
        "tokens_per_verified_tool": per(len(verified), tokens),
        "seconds_per_verified_tool": per(len(verified), seconds, 1),
        "rows": rows,
    }


async def run(
    mode: str,
    model_name: str,
    names: list[str] | None,
    policy: FallbackPolicy,
    prompt_style: str | None,
    evidence: EvidencePolicy,
    first_example_only: bool,
) -> dict[str, Any]:
    model = load_model(model_name)
    runner = SandboxRunner()
    generator = LLMCodeGenerator.create(
        model=model, policy=policy, runner=runner, library=None, prompt_style=prompt_style, evidence=evidence
    )
    rows = []
    for spec, heldout in load_quality_set(names, first_example_only):
        result = await (baseline(spec, model) if mode == "baseline" else pipeline(spec, generator))
        passed, cases = await asyncio.to_thread(score, result["code"], heldout, runner)
        row = {"tool": spec.name, "tool_type": spec.effective_tool_type.value, "passed": passed, "cases": cases}
        rows.append(row | {key: result[key] for key in ("status", "tokens", "seconds", "calls", "code")})
        rows[-1] |= {key: result[key] for key in ("stopped", "attempts") if key in result}
        print(f"{mode:9} {spec.name:24} {result['status']:10} held-out {passed}/{cases}", file=sys.stderr)
    summary = summarize(mode, model_name, rows)
    summary["prompt_style"] = "plain" if mode == "baseline" else generator.prompt_builder.style
    return summary


def table(summaries: list[dict[str, Any]]) -> str:
    lines = [
        "| run | held-out cases passed | tools passing all held-out | verified | verified precision "
        "| model calls | tokens | tokens (seconds) per working tool | tokens (seconds) per verified tool |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in summaries:
        precision = "n/a" if s["verified_precision"] is None else f"{s['verified_precision']:.0%}"
        verified = "n/a (no checks)" if s["mode"] == "baseline" else str(s["verified"])
        if s["mode"] != "baseline":
            rounds, samples = s["policy"]["rounds"], s["policy"]["samples_per_round"]
            s = s | {"mode": f"pipeline ({rounds} rounds x {samples} samples)"}
        lines.append(
            f"| {s['mode']} | {s['heldout_case_pass_rate']:.1%} | {s['tools_passing_all_heldout']}/{s['tools']} "
            f"| {verified} | {precision} | {s['model_calls']} | {s['tokens']} "
            f"| {s['tokens_per_working_tool']} ({s['seconds_per_working_tool']} s) "
            f"| {s['tokens_per_verified_tool']} ({s['seconds_per_verified_tool']} s) |"
        )
    return "\n".join(lines)


def _evidence_label(args: argparse.Namespace) -> str:
    """What differs from the default evidence, in a results file's name."""
    parts = [f"probes{args.probes}"] if args.probes != DEFAULT_PROBES else []
    parts += ["spec-tests"] if args.spec_tests else []
    parts += ["show-all"] if args.show_all_examples else []
    parts += [f"agree{args.agreeing}"] if args.agreeing != 1 else []
    return "".join(f"-{part}" for part in parts) or "-evidence"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["baseline", "pipeline", "both"], default="both")
    parser.add_argument("--model", default="local:smollm2")
    parser.add_argument("--only", nargs="*", help="tool names to run (default: the whole set)")
    parser.add_argument("--rounds", type=int, default=FallbackPolicy.rounds)
    parser.add_argument("--samples", type=int, default=FallbackPolicy.samples_per_round)
    parser.add_argument("--repair-samples", type=int, default=FallbackPolicy.repair_samples)
    parser.add_argument("--patience", type=int, default=FallbackPolicy.patience, help="0: every attempt")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--prompt-style", choices=PROMPT_STYLES, help="default: the model's own preference")
    parser.add_argument("--no-prefill", action="store_true", help="never start a reply with the signature")
    parser.add_argument("--temperatures", type=float, nargs="+", help="per sample (the first initial one is 0)")
    parser.add_argument("--probes", type=int, default=DEFAULT_PROBES, help="probes per candidate (0: none)")
    parser.add_argument("--spec-tests", action="store_true", help="one more call for tests from the spec's words")
    parser.add_argument("--show-all-examples", action="store_true", help="hold no example back")
    parser.add_argument("--agreeing", type=int, default=1, help="agreeing candidates needed for verified")
    parser.add_argument("--first-example", action="store_true", help="cut every spec to its first example")
    parser.add_argument("--before", action="store_true", help="no evidence beyond the examples (before issue 15)")
    parser.add_argument("--tag", help="appended to the results file's name, to keep a run apart")
    args = parser.parse_args()
    if args.before:
        args.probes, args.spec_tests, args.show_all_examples = 0, False, True
    evidence = EvidencePolicy(
        show_all_examples=args.show_all_examples,
        probes=args.probes,
        min_agreeing=args.agreeing,
        spec_tests=args.spec_tests,
    )
    policy = FallbackPolicy(
        rounds=args.rounds,
        samples_per_round=args.samples,
        max_tokens_per_call=MAX_TOKENS,
        prefill=not args.no_prefill,
        patience=args.patience,
        repair_samples=args.repair_samples,
    )
    if args.temperatures:
        policy = replace(policy, temperatures=tuple(args.temperatures))
    modes = ["baseline", "pipeline"] if args.mode == "both" else [args.mode]
    args.results.mkdir(parents=True, exist_ok=True)
    summaries = []
    for mode in modes:
        summary = asyncio.run(run(mode, args.model, args.only, policy, args.prompt_style, evidence, args.first_example))
        summary["evidence"] = evidence.describe()
        summary["first_example_only"] = args.first_example
        summary["policy"] = (
            {"rounds": 1, "samples_per_round": 1}
            if mode == "baseline"
            else {
                "rounds": policy.rounds,
                "samples_per_round": policy.samples_per_round,
                "repair_samples": policy.repair_samples,
            }
        )
        label = mode if mode == "baseline" else f"pipeline-{policy.rounds}x{policy.samples_per_round}"
        label += "-compact" if summary["prompt_style"] == "compact" else ""
        label += "-no-prefill" if args.no_prefill else ""
        label += f"-patience{args.patience}" if mode != "baseline" and args.patience != FallbackPolicy.patience else ""
        label += f"-repair{args.repair_samples}" if args.repair_samples != FallbackPolicy.repair_samples else ""
        label += f"-t{'-'.join(map(str, args.temperatures))}" if args.temperatures else ""
        if mode != "baseline":
            label += "-before" if args.before else _evidence_label(args)
        label += "-first-example" if args.first_example else ""
        label += f"-{args.tag}" if args.tag else ""
        if args.model != "local:smollm2":  # the first results, SmolLM2's, keep their names
            label = f"{args.model.removeprefix('local:').replace('/', '_').replace(':', '_')}-{label}"
        summary["mode"] = label
        (args.results / f"quality-{label}.json").write_text(json.dumps(summary, indent=2) + "\n")
        summaries.append(summary)
    print(table(summaries))


if __name__ == "__main__":
    main()
