"""The terminal mode, fed lines as a trainee would type them (no real terminal)."""

from __future__ import annotations

import io

from rich.console import Console

from counselsim.memory.embeddings import HashingEmbedding
from counselsim.personas.library import get_persona
from counselsim.practice.models import SessionStatus
from counselsim.practice.room import PracticeOptions, PracticeRoom
from counselsim.practice.terminal import Terminal
from tests.unit.practice_support import practice_sim


def typed(*lines: str):
    """A reader that answers with ``lines``, then the end of input (Ctrl-D)."""
    queue = list(lines)

    def read(prompt: str) -> str:
        if not queue:
            raise EOFError
        return queue.pop(0)

    return read


async def play(out, *lines: str) -> tuple[str, object, object]:
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, color_system=None)
    room_cm = PracticeRoom.open(practice_sim(), out, PracticeOptions(), HashingEmbedding())
    async with room_cm as room:
        session = await room.start(get_persona("en-crisis-risk"))
        debrief = await Terminal(session, console, typed(*lines)).run()
        status = await session.status()
    return buffer.getvalue(), debrief, status


async def test_a_session_in_the_terminal_ends_in_the_debrief(tmp_path):
    text, debrief, status = await play(
        tmp_path / "p",
        "/help",
        "",
        "What brings you here today?",
        "/hint",
        "/formulate",
        "",
        "I am failing my kids",
        "",
        "",
        "guilt",
        "suicidal_ideation, nonsense",
        "/pause",
        "/end Thank you for coming.",
    )
    assert status is SessionStatus.ENDED and debrief is not None
    assert "/formulate" in text and "an empty turn" in text
    assert "client> I don't know, I'm tired" in text
    assert "hint: Your turn read as: question." in text
    assert "formulation saved" in text and "unknown command /pause" in text
    assert "Debrief: session 1" in text and "not been validated" in text
    assert [t.text for t in debrief.turns][-1] == "Thank you for coming."
    fields = {f.field: f for f in debrief.formulation}
    assert fields["core_beliefs"].matched[0] and fields["risk"].yours == "suicidal_ideation"


async def test_leaving_with_ctrl_d_keeps_the_session_for_the_next_run(tmp_path):
    text, debrief, status = await play(tmp_path / "p", "What brings you here today?")
    assert debrief is None and status is SessionStatus.AWAITING_TRAINEE
    assert "run the same command to resume" in text
    text, debrief, _ = await play(tmp_path / "p", "/end")
    assert "counselor> What brings you here today?" in text  # the transcript so far
    assert debrief is not None and len(debrief.turns) == 2
