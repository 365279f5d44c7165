"""The one reuse rule: a result made before stands only for the same spec, model, prompt version and evidence
options, and only when it was verified."""

from __future__ import annotations

import dataclasses

import pytest

from tests.helpers import SLUG_SPEC
from toolfoundry.evidence import Evidence
from toolfoundry.report import GeneratorIdentity, ToolReport, reusable, up_to_date
from toolfoundry.spec import ToolSpecificationParser

SPEC = ToolSpecificationParser().parse(SLUG_SPEC)
TODAY = GeneratorIdentity(model="scripted", prompt_version="2", evidence_options="probes=100 seed=0")


def report_made_under(identity: GeneratorIdentity, status: str = "verified", spec_hash: str = "") -> ToolReport:
    return ToolReport(
        tool=SPEC.name,
        status=status,
        spec_hash=spec_hash or SPEC.spec_hash(),
        model=identity.model,
        prompt_version=identity.prompt_version,
        evidence=Evidence(policy=identity.evidence_options),
    )


def test_a_verified_report_for_the_same_spec_and_identity_is_reused() -> None:
    report = report_made_under(TODAY)
    assert GeneratorIdentity.of(report) == TODAY
    assert reusable(report, SPEC, TODAY)


@pytest.mark.parametrize("changed", ["model", "prompt_version", "evidence_options"])
def test_any_part_of_the_identity_that_differs_means_no_reuse(changed: str) -> None:
    other = dataclasses.replace(TODAY, **{changed: "something else"})
    assert not reusable(report_made_under(other), SPEC, TODAY)


def test_another_spec_a_result_short_of_verified_or_no_report_means_no_reuse() -> None:
    assert not reusable(report_made_under(TODAY, spec_hash="0" * 64), SPEC, TODAY)
    for status in ("unverified", "stub", "failed"):
        assert not reusable(report_made_under(TODAY, status=status), SPEC, TODAY)
    assert not reusable(None, SPEC, TODAY)
    # A tool imported from files carries no report of how it was made: it cannot show it matches today's.
    assert ToolReport.from_data({"status": "verified", "imported_from": "shared/"}) is None


def test_resume_reads_the_report_beside_the_module_and_applies_the_rule(tmp_path) -> None:
    assert up_to_date(SPEC, tmp_path, TODAY) is None  # nothing there
    (tmp_path / "slugify.report.json").write_text(report_made_under(TODAY).to_json())
    assert up_to_date(SPEC, tmp_path, TODAY) is None  # a report without its module is no tool
    (tmp_path / "slugify.py").write_text("def slugify(text): ...\n")
    assert up_to_date(SPEC, tmp_path, TODAY) == report_made_under(TODAY)
    assert up_to_date(SPEC, tmp_path, dataclasses.replace(TODAY, model="other")) is None
    (tmp_path / "slugify.report.json").write_text("{not json")
    assert up_to_date(SPEC, tmp_path, TODAY) is None
