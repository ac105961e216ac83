"""One practice session: a trainee turn as a stream of events, retries, the end, the debrief.

A :class:`PracticeSession` is a handle; the session itself lives in its checkpoint thread, so
any process (a new terminal, a restarted server) picks it up where it stopped. Each trainee
turn streams :mod:`~counselsim.practice.models` events: the turn echoed, the client's reply
token by token (LangGraph's ``messages`` stream of the ``client_respond`` node, decoded by
:class:`~counselsim.practice.stream.ReplyText`), then hints and any open risk alert.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.runnables import RunnableConfig
from langgraph.types import Command

from counselsim.errors import CounselsimError, PracticeError
from counselsim.graphs.practice import (
    WRAP_UP,
    PracticeNode,
    TraineeInput,
    initial_practice_state,
)
from counselsim.personas.models import ClientProfile
from counselsim.practice import debrief as report
from counselsim.practice.judging import judge_status
from counselsim.practice.models import (
    MAX_TURN_CHARS,
    AlertEvent,
    Debrief,
    DoneEvent,
    ErrorEvent,
    Event,
    Formulation,
    Hint,
    HintEvent,
    PublicPersona,
    PublicTurn,
    ReplyEvent,
    ResetEvent,
    SessionStatus,
    SessionView,
    TokenEvent,
    TurnEvent,
)
from counselsim.practice.stream import ReplyText
from counselsim.records import ClientTurn, Turn

if TYPE_CHECKING:
    from counselsim.practice.room import PracticeRoom

log = logging.getLogger(__name__)


def check_turn_text(text: str) -> str:
    """The trainee's turn, stripped; raises PracticeError (nothing is sent) when unusable."""
    clean = text.strip()
    if not clean:
        raise PracticeError("an empty turn: type what you would say to the client")
    if len(clean) > MAX_TURN_CHARS:
        raise PracticeError(
            f"a turn of {len(clean)} characters: say it in turns of at most {MAX_TURN_CHARS}"
        )
    return clean


def thread_config(session_id: str, max_turns: int = 40) -> RunnableConfig:
    """The session's checkpoint thread (room for every step of ``max_turns`` turns)."""
    return {"configurable": {"thread_id": session_id}, "recursion_limit": 4 * max_turns + 50}


def _text(content: Any) -> str:
    """A message chunk's text (content may be a list of parts)."""
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)


def _public(turn: Turn) -> PublicTurn:
    return PublicTurn(index=turn.index, role=turn.role, text=turn.text)


class PracticeSession:
    """One practice session (a handle: its state lives in the checkpoint)."""

    def __init__(
        self,
        room: PracticeRoom,
        session_id: str,
        profile: ClientProfile,
        course_id: str,
        session_index: int,
    ) -> None:
        self.room, self.id, self.profile = room, session_id, profile
        self.course_id, self.session_index = course_id, session_index
        self.lang = profile.language.value
        self.config = thread_config(session_id, room.options.max_turns)

    async def begin(self) -> None:
        """Run a new session's graph up to the trainee's first turn (no model call)."""
        if not (await self.room.app.aget_state(self.config)).values:
            start = initial_practice_state(
                self.course_id, self.profile, self.session_index, self.room.options.max_turns
            )
            await self.room.app.ainvoke(start, self.config)

    async def snapshot(self) -> tuple[dict[str, Any], tuple[str, ...]]:
        """The session's state values and the nodes to run next."""
        snap = await self.room.app.aget_state(self.config)
        return snap.values, tuple(snap.next)

    async def status(self) -> SessionStatus:
        """Where the session stands (from its checkpoint, so after any restart too)."""
        _, nxt = await self.snapshot()
        if not nxt:
            return SessionStatus.ENDED
        if PracticeNode.CLIENT_RESPOND in nxt:
            return SessionStatus.CLIENT_PENDING
        if WRAP_UP.intersection(nxt):
            return SessionStatus.ENDING
        return SessionStatus.AWAITING_TRAINEE

    async def view(self) -> SessionView:
        """What the trainee's page shows: spoken turns, status, an open risk alert."""
        values, _ = await self.snapshot()
        turns: list[Turn] = values.get("turns", [])
        return SessionView(
            id=self.id,
            persona=PublicPersona.of(self.profile),
            session_index=self.session_index,
            status=await self.status(),
            turns=[_public(t) for t in turns],
            hints_on=self.room.options.hints,
            busy=self.room.lock(self.id).locked(),
            alert=self.room.hints.risk_alert(turns, self.lang),
            max_turns=self.room.options.max_turns,
        )

    def hints_now(self, turns: Sequence[Turn]) -> list[Hint]:
        """Hints on the trainee's last turn (``/hint``, or every turn with hints on)."""
        return list(self.room.hints.turn_hints(turns, self.lang))

    # --- a turn, a retry, the end ------------------------------------------------------------

    async def say(
        self, text: str, seen: int | None = None, hints: bool | None = None
    ) -> AsyncIterator[Event]:
        """The trainee's turn; returns the stream of its events (``hints`` overrides the
        room's setting for this turn).

        Raises:
            PracticeError: an empty or over-long turn, a session not awaiting the trainee,
                or ``seen`` (turns the caller has shown) behind the session.
        """
        clean = check_turn_text(text)
        values, _ = await self.snapshot()
        if seen is not None and seen != len(values.get("turns", [])):
            raise PracticeError("this session moved on in another tab: reload it", "conflict")
        await self._expect(SessionStatus.AWAITING_TRAINEE)
        payload: Command[Any] = Command(resume=TraineeInput(text=clean, end=False))
        show = self.room.options.hints if hints is None else hints
        return await self._guarded(lambda: self._drive(payload, show))

    async def retry(self) -> AsyncIterator[Event]:
        """Continue after a failure: the client's pending reply, or the session's wrap-up."""
        status = await self.status()
        if status is SessionStatus.CLIENT_PENDING:
            return await self._guarded(lambda: self._drive(None, self.room.options.hints))
        if status is SessionStatus.ENDING:
            return await self._guarded(lambda: self._finish(None))
        raise PracticeError("nothing to retry: the session is not waiting on a model", "conflict")

    async def end(
        self, closing: str = "", formulation: Formulation | None = None
    ) -> AsyncIterator[Event]:
        """End the session (with closing words, or none); summarised, scored, remembered and
        recorded, then the debrief is written. Returns the stream of its events."""
        if formulation is not None:
            await self.save_formulation(formulation)
        status = await self.status()
        if status in (SessionStatus.ENDED, SessionStatus.ENDING):
            return await self._guarded(lambda: self._finish(None))
        await self._expect(SessionStatus.AWAITING_TRAINEE)
        clean = check_turn_text(closing) if closing.strip() else ""
        values, _ = await self.snapshot()
        if not values.get("turns") and not clean:
            raise PracticeError("nothing to debrief yet: say something to the client first")
        payload: Command[Any] = Command(resume=TraineeInput(text=clean, end=True))
        return await self._guarded(lambda: self._finish(payload))

    async def save_formulation(self, formulation: Formulation) -> None:
        """Keep the trainee's draft. Raises PracticeError (conflict) once the debrief has
        shown the profile's: a draft written after it would compare against what was read."""
        if await self.status() is SessionStatus.ENDED:
            raise PracticeError("the session has ended: its formulation is final", "conflict")
        self.room.store.save_formulation(self.id, formulation)

    async def debrief(self) -> Debrief:
        """The ended session's debrief. Raises PracticeError (conflict) before the end:
        nothing hidden is shown while the session runs."""
        if await self.status() is not SessionStatus.ENDED:
            raise PracticeError("the debrief opens when the session has ended", "conflict")
        return self.room.store.debrief(self.id) or await self._write_debrief()

    async def _expect(self, want: SessionStatus) -> None:
        status = await self.status()
        if status is not want:
            raise PracticeError(f"the session is {status.value.replace('_', ' ')}", "conflict")

    async def _state(self) -> tuple[SessionStatus, int]:
        values, _ = await self.snapshot()
        return await self.status(), len(values.get("turns", []))

    async def _guarded(self, make: Callable[[], AsyncIterator[Event]]) -> AsyncIterator[Event]:
        """``make()``'s events under the session's lock, if the session is still where it
        was when asked (two tabs may ask at once: the second finds it moved on)."""
        lock = self.room.lock(self.id)
        if lock.locked():
            raise PracticeError("the client is still answering: wait for the reply", "conflict")
        asked = await self._state()

        async def run() -> AsyncIterator[Event]:
            async with lock:
                now = await self._state()
                if now != asked:
                    yield ErrorEvent(message="the session moved on in another tab", retry=False)
                    yield DoneEvent(status=now[0])
                    return
                async for event in make():
                    yield event

        return run()

    async def _drive(self, payload: Command[Any] | None, hints: bool) -> AsyncIterator[Event]:
        """Run to the next interrupt: the trainee's turn echoed, the client's reply streamed,
        then hints (after the reply, never before it) and any open risk alert."""
        decoders: dict[str, ReplyText] = {}
        shown: str | None = None
        try:
            async for mode, data in self.room.app.astream(
                payload, self.config, stream_mode=["messages", "updates"]
            ):
                if mode == "messages":
                    chunk, meta = data
                    if meta.get("langgraph_node") != PracticeNode.CLIENT_RESPOND:
                        continue
                    key = str(chunk.id)
                    delta = decoders.setdefault(key, ReplyText()).feed(_text(chunk.content))
                    if delta:
                        if shown is not None and shown != key:  # a regeneration or a retry
                            yield ResetEvent()
                        shown = key
                        yield TokenEvent(text=delta)
                else:
                    for event in _turn_events(data):
                        yield event
        except CounselsimError as exc:
            log.warning("practice %s: client reply failed: %s", self.id, exc)
            yield ErrorEvent(message=f"The client could not answer ({exc}). Your turn is saved.")
            yield DoneEvent(status=await self.status())
            return
        values, _ = await self.snapshot()
        for event in self._after_reply(values.get("turns", []), hints):
            yield event
        status = await self.status()
        if status is SessionStatus.ENDED and self.room.store.debrief(self.id) is None:
            await self._write_debrief()  # the turn cap ended the session
        yield DoneEvent(status=status)

    def _after_reply(self, turns: Sequence[Turn], hints: bool) -> list[Event]:
        if not turns or not isinstance(turns[-1], ClientTurn):
            return []
        out: list[Event] = []
        if hints:
            out.append(HintEvent(hints=self.hints_now(turns)))
        out.append(AlertEvent(alert=self.room.hints.risk_alert(turns, self.lang)))
        return out

    async def _finish(self, payload: Command[Any] | None) -> AsyncIterator[Event]:
        """Run the wrap-up (notes, scores, memory, record), then write the debrief."""
        try:
            if await self.status() is not SessionStatus.ENDED:
                async for _, data in self.room.app.astream(
                    payload, self.config, stream_mode=["updates"]
                ):
                    for event in _turn_events(data):
                        yield event
            if self.room.store.debrief(self.id) is None:
                await self._write_debrief()
        except CounselsimError as exc:
            log.warning("practice %s: wrap-up failed: %s", self.id, exc)
            yield ErrorEvent(message=f"The session could not be closed ({exc}). Nothing is lost.")
            yield DoneEvent(status=await self.status())
            return
        yield DoneEvent(status=SessionStatus.ENDED)

    async def _write_debrief(self) -> Debrief:
        values, _ = await self.snapshot()
        room = self.room
        record = next(
            r
            for r in room.store.workspace.sessions.records_of(self.course_id)
            if r.session_index == self.session_index
        )
        turns = values["turns"]
        paths = room.store.write_transcripts(
            self.id,
            record.model_dump_json(),
            report.transcript_markdown(self.id, self.profile, turns),
        )
        debrief = report.build_debrief(
            session_id=self.id,
            course_id=self.course_id,
            session_index=self.session_index,
            profile=self.profile,
            turns=turns,
            offered=values["offered"],
            end_reason=record.end_reason,
            scores=record.critic,
            judge=judge_status(room.sim.critic_llm, room.messages[self.lang]),
            checks=room.hints.checks(turns, self.lang),
            formulation=room.store.formulation(self.id),
            transcript=paths,
        )
        room.store.write_debrief(debrief)
        return debrief


def _turn_events(data: Any) -> list[Event]:
    """Turn events from one ``updates`` item: the trainee's turn echoed, the client's reply."""
    out: list[Event] = []
    for node, update in (data or {}).items():
        if not isinstance(update, dict):
            continue
        for turn in update.get("turns", []):
            public = _public(turn)
            if node == PracticeNode.TRAINEE_RESPOND:
                out.append(TurnEvent(turn=public))
            else:
                out.append(ReplyEvent(turn=public))
    return out
