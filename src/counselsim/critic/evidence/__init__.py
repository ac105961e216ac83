"""The deterministic evidence layer: detectors as data (zh and en), an engine that runs them on
a turn or a transcript, and the safety protocol replies.

    >>> from counselsim.critic.evidence import detect_turn
    >>> from counselsim.labels import Role
    >>> [e.detector for e in detect_turn("Are you thinking about killing yourself?",
    ...                                  Role.COUNSELOR, [], "en")]
    ['risk_question', 'closed_question']
"""

from counselsim.critic.evidence.catalog import Catalog, build_catalog, load_catalog
from counselsim.critic.evidence.engine import (
    EvidenceEngine,
    default_engine,
    detect_session,
    detect_turn,
)
from counselsim.critic.evidence.models import (
    DetectorSpec,
    Evidence,
    EvidenceReport,
    Finding,
    Severity,
    TurnLike,
)

__all__ = [
    "Catalog",
    "DetectorSpec",
    "Evidence",
    "EvidenceEngine",
    "EvidenceReport",
    "Finding",
    "Severity",
    "TurnLike",
    "build_catalog",
    "default_engine",
    "detect_session",
    "detect_turn",
    "load_catalog",
]
