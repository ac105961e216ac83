"""Building blocks of ``counselsim stress-test``: the counselor under test as a black box,
the suite of counselors, the reachability check and the choice of personas."""

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
