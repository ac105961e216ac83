"""The graphs' typed routers, on hand-built states."""

from __future__ import annotations

from counselsim.graphs.course import route_next_session
from counselsim.graphs.session import route_after_counselor
from counselsim.graphs.state import Node
from counselsim.labels import Emotion, NextAction
from counselsim.records import ClientTurn, CounselorTurn
from tests.conftest import counselor_turn


def _counselor(index: int, action: NextAction) -> CounselorTurn:
    return counselor_turn(index, "How has your week been?", action=action)


def test_after_counselor_the_client_answers_unless_it_closed():
    client = ClientTurn(index=1, text="Fine.", emotion=[Emotion.NEUTRAL])
    going = {
        "turns": [_counselor(0, NextAction.CONTINUE), client, _counselor(2, NextAction.CONTINUE)]
    }
    closing = {
        "turns": [_counselor(0, NextAction.CONTINUE), client, _counselor(2, NextAction.CLOSE)]
    }
    assert route_after_counselor(going) is Node.CLIENT_RESPOND  # type: ignore[arg-type]
    assert route_after_counselor(closing) is Node.SESSION_END  # type: ignore[arg-type]


def test_next_session_until_all_are_recorded():
    assert route_next_session({"session_index": 3, "n_sessions": 3}) is Node.SESSION_RUN  # type: ignore[arg-type]
    assert route_next_session({"session_index": 4, "n_sessions": 3}) == "__end__"  # type: ignore[arg-type]
