"""When a result made before stands for today's: the one reuse rule, for a tool an output folder holds
(`--resume`) and for a tool the library holds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..spec import ToolSpec
from .tool import ToolReport


@dataclass(frozen=True)
class GeneratorIdentity:
    """What a generator makes its results under, and what every report records of it."""

    model: str  # the first model of the chain (escalation is the loop's choice, not the user's)
    prompt_version: str  # the templates' version and the prompt style
    evidence_options: str  # EvidencePolicy.describe(): what "verified" asked for beyond the examples

    @classmethod
    def of(cls, report: ToolReport) -> GeneratorIdentity:
        return cls(model=report.model, prompt_version=report.prompt_version, evidence_options=report.evidence.policy)


def reusable(report: ToolReport | None, spec: ToolSpec, today: GeneratorIdentity) -> bool:
    """The one reuse rule: a result made before is reused only when it was verified, for this exact spec (its
    hash), under today's model, prompt version and evidence options. A tool verified on fewer probes, or written
    for another model or prompt, is not what today's run would stand behind. Resume trusts the report on disk on
    that, since a skipped tool is left as it was; the generator checks a library tool again as well, since
    reusing one writes a new report, whose claim is made today."""
    return (
        report is not None
        and report.status == "verified"
        and report.spec_hash == spec.spec_hash()
        and GeneratorIdentity.of(report) == today
    )


def up_to_date(spec: ToolSpec, output: Path, today: GeneratorIdentity) -> ToolReport | None:
    """The report of the tool `output` holds for this spec, when the reuse rule keeps it."""
    if not (output / f"{spec.name}.py").is_file():
        return None
    report = ToolReport.read(output / f"{spec.name}.report.json")
    return report if reusable(report, spec, today) else None
