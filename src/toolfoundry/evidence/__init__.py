"""Evidence beyond the examples a model was shown: held-back examples and probes built from the types.

"Verified" means a candidate passed what it was shown and also what it never saw. This package decides that
evidence (plan.py: holdout.py, probes.py), and reads what the sandbox reports back (judging.py); the checks
run it (checks/behaviour.py), and the report states it (summary.py).
"""

from .agreement import Agreement, agreement
from .judging import ProbeFailure, ProbeResult
from .plan import DEFAULT_PROBES, EvidencePlan, EvidencePolicy, plan_evidence
from .probes import Probe, ProbePlan
from .summary import Evidence, ProbeEvidence, SpecTestEvidence

__all__ = [
    "DEFAULT_PROBES",
    "Agreement",
    "Evidence",
    "EvidencePlan",
    "EvidencePolicy",
    "Probe",
    "ProbeEvidence",
    "ProbeFailure",
    "ProbePlan",
    "ProbeResult",
    "SpecTestEvidence",
    "agreement",
    "plan_evidence",
]
