"""Evidence beyond the examples a model was shown: held-back examples and probes built from the types.

"Verified" means a candidate passed what it was shown and also what it never saw. This package decides that
evidence before any code exists (plan.py: holdout.py, probes.py, types.py), reads what the sandbox reports
back into one ProbeResult (judging.py), and states it in the report (summary.py); the checks run it
(checks/behaviour.py). What is weighed across candidates (tests from the spec's words, agreement) is the
repair loop's, in generate/.
"""

from .judging import ProbeFailure, ProbeResult
from .plan import DEFAULT_PROBES, EvidencePlan, EvidencePolicy, plan_evidence
from .probes import Probe, ProbePlan
from .summary import Evidence, SpecTestEvidence

__all__ = [
    "DEFAULT_PROBES",
    "Evidence",
    "EvidencePlan",
    "EvidencePolicy",
    "Probe",
    "ProbeFailure",
    "ProbePlan",
    "ProbeResult",
    "SpecTestEvidence",
    "plan_evidence",
]
