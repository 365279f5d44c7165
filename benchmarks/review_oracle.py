"""What a person's answers are worth: the quality set generated at the default model and effort, then each
tool's questions (or behaviour rows) answered by the reference implementation (the `--oracle` of
`toolfoundry review`) at most 1, 3 and 5 per tool, the answers added as examples, and the tool chosen again
as `review` does (the candidates checked first, else generated again). Every tool is scored on the held-out
cases before and after.

Run: .venv/bin/python benchmarks/review_oracle.py [--model local:qwen2.5-coder-1.5b] [--only NAME ...]

Tools that reach the network are left out of the answering: the reference would need the live service (this
machine has no internet), and a recorded exchange answers only the calls it recorded. Written to
benchmarks/results/review-oracle-<model>.json and printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from quality import MAX_TOKENS, load_quality_set, score

from toolfoundry.checks import SandboxRunner
from toolfoundry.errors import ReviewError
from toolfoundry.generate import FallbackPolicy, GeneratedTool, LLMCodeGenerator
from toolfoundry.review.oracle import ask_oracle
from toolfoundry.review.session import asks_of, earlier_candidates, new_examples, with_examples
from toolfoundry.spec import ToolSpec

HERE = Path(__file__).parent
QUESTIONS = (1, 3, 5)


def references() -> list[ModuleType]:
    modules = []
    for name in ("reference.py", "reference_effects.py"):
        spec = importlib.util.spec_from_file_location(f"quality_{name[:-3]}", HERE / "quality" / name)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules.append(module)
    return modules


def calls_of(tool: GeneratedTool) -> tuple[int, int]:
    """(model calls, tokens) the tool's run made; rechecked candidates are no call."""
    made = [attempt for attempt in tool.report.attempts if attempt.called_model]
    return len(made), tool.report.tokens.total


async def answered(
    spec: ToolSpec, first: GeneratedTool, most: int, oracle: Any, generator: LLMCodeGenerator
) -> dict[str, Any]:
    """The tool after the oracle answered at most `most` of its asks: what was asked, and what it cost."""
    asks = asks_of(first.report, most)
    said: dict[str, Any] = {"asked": len(asks), "kind": asks[0].kind if asks else "", "added": 0, "tool": None}
    try:
        given = [ask_oracle(oracle, spec, ask.input, ask.call, ask.example) for ask in asks]
        examples = new_examples(spec, given, spec.name)
    except ReviewError as error:
        return said | {"problem": str(error)[:300]}
    # What was asked, what the kept candidate gave, and what the oracle said: where the answers helped.
    said["answers"] = [
        {"call": ask.call, "kept": ask.answers[0], "oracle": repr(each.output) if each.raises is None else each.raises}
        for ask, each in zip(asks, given, strict=True)
    ]
    if not examples:
        return said
    tool = await generator.generate_code(with_examples(spec, examples), earlier=earlier_candidates(first.report))
    return said | {"added": len(examples), "tool": tool}


async def run(model: str, names: list[str] | None) -> dict[str, Any]:
    runner = SandboxRunner()
    policy = FallbackPolicy(max_tokens_per_call=MAX_TOKENS)
    generator = LLMCodeGenerator.create(model=model, policy=policy, runner=runner, library=None)
    oracles = {name: getattr(module, name) for module in references() for name in dir(module)}
    rows = []
    for spec, heldout in load_quality_set(names):
        first = await generator.generate_code(spec)
        passed, cases = await asyncio.to_thread(score, first.implementation, heldout, runner)
        calls, tokens = calls_of(first)
        row: dict[str, Any] = {
            "tool": spec.name,
            "cases": cases,
            "before": {"status": first.status, "passed": passed, "calls": calls, "tokens": tokens},
        }
        for most in QUESTIONS:
            if spec.permissions.network or spec.name not in oracles:
                row[f"q{most}"] = row["before"] | {"asked": 0, "added": 0, "calls": 0, "tokens": 0, "skipped": True}
                continue
            after = await answered(spec, first, most, oracles[spec.name], generator)
            tool = after.pop("tool")
            if tool is None:  # nothing added: the tool stays as it was, at no cost
                row[f"q{most}"] = row["before"] | after | {"calls": 0, "tokens": 0}
                continue
            passed_after, _ = await asyncio.to_thread(score, tool.implementation, heldout, runner)
            calls_after, tokens_after = calls_of(tool)
            row[f"q{most}"] = after | {
                "status": tool.status,
                "passed": passed_after,
                "calls": calls_after,
                "tokens": tokens_after,
                "rechosen": calls_after == 0,
            }
        rows.append(row)
        line = " ".join(f"q{m}={row[f'q{m}']['status']}:{row[f'q{m}']['passed']}/{cases}" for m in QUESTIONS)
        print(f"{spec.name:24} before={first.status}:{passed}/{cases} {line}", file=sys.stderr)
    return {"model": model, "rows": rows, "summary": [summary(rows, key) for key in ("before", "q1", "q3", "q5")]}


def summary(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    results = [(row[key], row["cases"]) for row in rows]
    verified = [(result, cases) for result, cases in results if result["status"] == "verified"]
    right = sum(result["passed"] == cases for result, cases in verified)
    return {
        "run": key,
        "tools": len(rows),
        "working": sum(result["passed"] == cases for result, cases in results),
        "verified": len(verified),
        "verified_right": right,
        "verified_precision": round(right / len(verified), 3) if verified else None,
        "asked": sum(result.get("asked", 0) for result, _ in results),
        "questions_asked": sum(result.get("asked", 0) for result, _ in results if result.get("kind") == "question"),
        "examples_added": sum(result.get("added", 0) for result, _ in results),
        "rechosen_without_a_call": sum(bool(result.get("rechosen")) for result, _ in results),
        "model_calls": sum(result["calls"] for result, _ in results),
        "tokens": sum(result["tokens"] for result, _ in results),
        "oracle_problems": sum("problem" in result for result, _ in results),
    }


def table(summaries: list[dict[str, Any]]) -> str:
    lines = [
        "| run | working | verified (right) | verified precision | asked (questions) | examples added "
        "| re-chosen, no call | model calls added | tokens added |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in summaries:
        precision = "n/a" if s["verified_precision"] is None else f"{s['verified_precision']:.0%}"
        label = "generated" if s["run"] == "before" else f"answered at most {s['run'][1:]} per tool"
        lines.append(
            f"| {label} | {s['working']}/{s['tools']} | {s['verified']} ({s['verified_right']}) | {precision} "
            f"| {s['asked']} ({s['questions_asked']}) | {s['examples_added']} | {s['rechosen_without_a_call']} "
            f"| {s['model_calls']} | {s['tokens']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="local:qwen2.5-coder-1.5b")
    parser.add_argument("--only", nargs="*", help="tool names to run (default: the whole set)")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--merge", type=Path, help="an earlier results file: this run's rows replace its rows")
    args = parser.parse_args()
    result = asyncio.run(run(args.model, args.only))
    if args.merge:  # e.g. the tools a fix touched, run again; the rest as they were (the runs are deterministic)
        rows = {row["tool"]: row for row in json.loads(args.merge.read_text())["rows"]}
        rows |= {row["tool"]: row for row in result["rows"]}
        merged = sorted(rows.values(), key=lambda row: row["tool"])
        result = {**result, "rows": merged, "merged_from": str(args.merge), "rerun": sorted(args.only or [])}
        result["summary"] = [summary(merged, key) for key in ("before", "q1", "q3", "q5")]
    label = args.model.removeprefix("local:").replace("/", "_").replace(":", "_")
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / f"review-oracle-{label}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(table(result["summary"]))


if __name__ == "__main__":
    main()
