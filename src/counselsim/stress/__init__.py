"""Building blocks of ``counselsim stress-test`` (run by :mod:`counselsim.services.stress`):
the counselor under test as a black box (:mod:`.counselor`) and as the session graph's turn
source (:mod:`.source`), the suite of counselors (:mod:`.suite`), the reachability check
(:mod:`.reach`), the choice of personas (:mod:`.personas`), the failure modes
(:mod:`.failures`), the judging (:mod:`.judging`) and the report's data (:mod:`.analysis`,
:mod:`.report`, :mod:`.results`)."""

from counselsim.stress.counselor import (
    BlackBoxCounselor,
    CounselorError,
    CounselorReply,
    ReplyPolicy,
    chat_messages,
)
from counselsim.stress.suite import (
    REFERENCE,
    CounselorKind,
    CounselorSpec,
    build_counselor,
    load_suite,
    parse_counselor,
    resolve_suite,
)

__all__ = [
    "REFERENCE",
    "BlackBoxCounselor",
    "CounselorError",
    "CounselorKind",
    "CounselorReply",
    "CounselorSpec",
    "ReplyPolicy",
    "build_counselor",
    "chat_messages",
    "load_suite",
    "parse_counselor",
    "resolve_suite",
]
