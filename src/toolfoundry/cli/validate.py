"""`toolfoundry validate`: every check on existing code against a spec, no model involved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..checks.validator import CodeValidator
from ..evidence import DEFAULT_PROBES
from .common import EXIT_UNVERIFIED, EXIT_VERIFIED, example_runner, fail, load_specs
from .evidence_options import ProbeSeedOption, ProbesOption, ShowAllOption, evidence_policy


def validate(
    file: Annotated[Path, typer.Argument(help="Python file holding the tool function")],
    spec: Annotated[Path, typer.Option("--spec", help="the spec file the code must meet")],
    tool: Annotated[str | None, typer.Option(help="which spec, when the spec file holds several")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
    probes: ProbesOption = DEFAULT_PROBES,
    probe_seed: ProbeSeedOption = 0,
    show_all_examples: ShowAllOption = False,
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
            raise fail(f"{spec} holds no spec named {tool!r}")
    if len(candidates) > 1:
        raise fail(f"{spec} holds {len(candidates)} specs; choose one with --tool")
    try:
        code = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"cannot read {file}: {error}") from None
    policy = evidence_policy(probes, probe_seed, show_all_examples)
    result = CodeValidator(runner=example_runner(unsafe_no_sandbox), evidence=policy).validate(code, candidates[0])
    status = "verified" if result.verified else "unverified"
    evidence = result.evidence()
    if as_json:
        print(
            json.dumps(
                {
                    "status": status,
                    "reason": result.unverified_reason,
                    "findings": [finding.model_dump() for finding in result.findings],
                    "examples": [outcome.model_dump() for outcome in result.behaviour.outcomes],
                    "evidence": evidence.model_dump(mode="json"),
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
            if outcome.files:
                print("    the folder after it: " + outcome.files.replace("\n", "\n    "))
            if outcome.http:
                print("    its HTTP requests: " + outcome.http.replace("\n", "\n    "))
        for failure in evidence.probes.failures:
            print(f"FAIL probe {failure.call}: {failure.problem} (probes drawn with --probe-seed {probe_seed})")
        for note in evidence.probes.notes:
            print(f"note: {note}")
        print(evidence.line(status) + (f" ({result.unverified_reason})" if result.unverified_reason else ""))
    raise typer.Exit(EXIT_VERIFIED if result.verified else EXIT_UNVERIFIED)
