"""What each stop rule of the repair loop would have cost and kept, from one quality-set run that used every
attempt (`benchmarks/quality.py --patience 0`, whose rows carry their attempts).

A rule only ends a spec's attempts earlier, and the attempts before a stop are the same calls (same prompts,
seeds and temperatures), so a rule's run is a prefix of that one. Each attempt's code is scored on the held-out
cases in the sandbox. Run:

    .venv/bin/python benchmarks/effort/simulate_stops.py RUN.json RAW.json

RAW.json is the raw model's run on the same set (its tokens per working tool are the yardstick).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("quality", HERE.parent / "quality.py")
quality = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(quality)

from toolfoundry.checks import SandboxRunner  # noqa: E402

RULES: dict[str, dict[str, Any]] = {
    "every attempt (patience 0)": {"patience": 0},
    "at most 3 calls (1 round x 3 samples)": {"patience": 0, "cap": 3},
    "patience 1: repairs without progress, repeats counted": {"patience": 1},
    "patience 2: repairs without progress, repeats counted": {"patience": 2},
    "patience 2: any attempt after the first, repeats counted": {"patience": 2, "initial": True},
    "patience 2: new code only; 2 repeats in a row": {"patience": 2, "apart": True, "repeats": 2},
    "patience 2: new code only; 3 repeats in a row (the default until 2026-12-02)": {
        "patience": 2,
        "apart": True,
        "repeats": 3,
    },
    "patience 1: new code only; 2 repeats in a row": {"patience": 1, "apart": True, "repeats": 2},
    "at most 2 calls": {"patience": 0, "cap": 2},
    "at most 5 calls": {"patience": 0, "cap": 5},
    "the default, and at most 6 calls": {"patience": 2, "apart": True, "repeats": 3, "cap": 6},
    "the default until 2026-12-02 (later): and probe failures alone asked about once": {
        "patience": 2,
        "apart": True,
        "repeats": 3,
        "probes_once": True,
    },
    "as the default, and repair rounds without the near-greedy sample": {
        "patience": 2,
        "apart": True,
        "repeats": 3,
        "probes_once": True,
        "repair_samples": (1, 2),
    },
    "as that, and 2 repeats in a row": {
        "patience": 2,
        "apart": True,
        "repeats": 2,
        "probes_once": True,
        "repair_samples": (1, 2),
    },
    "as that, patience 1": {
        "patience": 1,
        "apart": True,
        "repeats": 2,
        "probes_once": True,
        "repair_samples": (1, 2),
    },
    "repair rounds of the warmest sample only": {
        "patience": 2,
        "apart": True,
        "repeats": 2,
        "probes_once": True,
        "repair_samples": (2,),
    },
    "repair rounds of the warmest sample only, and a repeat ends them": {
        "patience": 2,
        "apart": True,
        "repeats": 1,
        "probes_once": True,
        "repair_samples": (2,),
    },
    "the default since 2026-12-02 (later): every repair one warm draw, and a repeat ends them": {
        "patience": 2,
        "apart": True,
        "repeats": 1,
        "probes_once": True,
        "repair_samples": (2,),
        "warm_probe_repair": True,
    },
    "as the default, and no repair for probe failures alone": {
        "patience": 2,
        "apart": True,
        "repeats": 3,
        "probes_once": True,
        "probe_repairs": 0,
    },
}


def replay(row: dict[str, Any], rule: dict[str, Any], works, examples: int) -> tuple[bool, bool, int, int]:
    """(working, verified, tokens, calls) for one spec had `rule` stopped it. `probes_once`: once the best meets
    all `examples` and only probes fail, the initial round's other samples are skipped and one repair is made
    (a repair round's other samples cannot be replayed: the run drew them from the older prompt). `repair_samples`:
    the slots of a repair round drawn (the run drew 3), `warm_probe_repair`: the probe repair too."""
    best: tuple[tuple[int, int], str] | None = None
    stalled = repeats = tokens = calls = 0
    probe_repairs = repairs = 0
    for attempt in row["attempts"]:
        only_probes = rule.get("probes_once") and best is not None and best[0][0] == examples
        sample = repairs % 3  # the run drew 3 samples per repair round
        repairs += attempt["kind"] == "repair"
        if only_probes and attempt["kind"] == "initial":
            continue
        skipped = attempt["kind"] == "repair" and sample not in rule.get("repair_samples", (0, 1, 2))
        if only_probes and attempt["kind"] == "repair" and not (skipped and rule.get("warm_probe_repair")):
            if probe_repairs >= rule.get("probe_repairs", 1):
                break
            probe_repairs += 1
        elif skipped:
            continue
        calls += 1
        tokens += attempt["tokens"]
        if attempt["verified"]:
            return works(row["tool"], attempt["code"]), True, tokens, calls
        repeated = attempt["same_as"] is not None
        rank = (attempt["examples_passed"], -attempt["probes_failed"])
        if attempt["code"] and not repeated and (best is None or rank > best[0]):
            best, stalled, repeats = (rank, attempt["code"]), 0, 0
        elif repeated and rule.get("apart"):
            repeats += attempt["kind"] == "repair"
        else:
            repeats = 0 if not repeated else repeats
            stalled += attempt["kind"] == "repair" or rule.get("initial", False)
        patience = rule["patience"]
        if patience and (stalled >= patience or repeats >= rule.get("repeats", 99)):
            break
        if calls >= rule.get("cap", 99):
            break
    return (works(row["tool"], best[1]) if best else False), False, tokens, calls


def main() -> None:
    run, raw = (json.loads(Path(path).read_text()) for path in sys.argv[1:3])
    yardstick = raw["tokens"] / raw["tools_passing_all_heldout"]
    pairs = quality.load_quality_set()
    heldout = {spec.name: cases for spec, cases in pairs}
    examples = {spec.name: len(spec.examples) for spec, _ in pairs}
    runner, scores = SandboxRunner(), {}

    def works(tool: str, code: str | None) -> bool:
        if not code:
            return False
        if (tool, code) not in scores:
            passed, cases = quality.score(code, heldout[tool], runner)
            scores[tool, code] = passed == cases
        return scores[tool, code]

    print("| stop rule | working tools | verified (right) | calls | tokens | tokens per working tool (x raw) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, rule in RULES.items():
        results = [replay(row, rule, works, examples[row["tool"]]) for row in run["rows"]]
        working = sum(w for w, *_ in results)
        verified = sum(v for _, v, *_ in results)
        right = sum(w and v for w, v, *_ in results)
        tokens, calls = sum(r[2] for r in results), sum(r[3] for r in results)
        per = tokens / working
        ratio = f"{per:,.0f} ({per / yardstick:.2f}x)"
        print(f"| {name} | {working} | {verified} ({right}) | {calls} | {tokens:,} | {ratio} |")


if __name__ == "__main__":
    main()
