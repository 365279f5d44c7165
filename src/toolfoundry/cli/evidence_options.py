"""The evidence options, shared by `generate` and `validate`: what "verified" asks for beyond the examples."""

from __future__ import annotations

from typing import Annotated

import typer

from ..evidence import EvidencePolicy

ProbesOption = Annotated[
    int, typer.Option(min=0, help="inputs built from the param types to run each candidate on; 0: none")
]
ProbeSeedOption = Annotated[int, typer.Option(help="seed of the probes: the report's seed reproduces them")]
AgreeingOption = Annotated[
    int,
    typer.Option(
        "--agreeing",
        min=1,
        help="verified only when this many sampled candidates pass everything and agree on every probe",
    ),
]
SpecTestsOption = Annotated[
    bool,
    typer.Option(
        "--spec-tests/--no-spec-tests",
        help="one more call per spec for test cases from its words, weighed across candidates",
    ),
]
ShowAllOption = Annotated[
    bool,
    typer.Option(
        "--show-all-examples",
        help="show the model every example (by default a third of them, from 3 up, are held back as a test)",
    ),
]


def evidence_policy(
    probes: int, probe_seed: int, show_all_examples: bool, agreeing: int = 1, spec_tests: bool = True
) -> EvidencePolicy:
    return EvidencePolicy(
        show_all_examples=show_all_examples,
        probes=probes,
        probe_seed=probe_seed,
        min_agreeing=agreeing,
        spec_tests=spec_tests,
    )
