"""The practice service: a practice directory opened once per process, and its sessions.

:class:`PracticeRoom` wires the practice graph over the directory's checkpointer, client
memory and record sink, lists the personas a trainee may pick, and starts or finds sessions
(:class:`~counselsim.practice.session.PracticeSession`). The terminal, the scripted mode and
the web page all go through here; none of them sees more than the session's events and
views.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction

from counselsim.agents.scribe import ScribeAgent
from counselsim.errors import PracticeError
from counselsim.graphs.practice import PracticeDeps, build_practice_graph
from counselsim.personas.library import list_personas
from counselsim.personas.models import ClientProfile
from counselsim.practice.coding import code_strategies
from counselsim.practice.hints import EvidenceHints, HintSource, load_messages
from counselsim.practice.judging import RubricSessionJudge
from counselsim.practice.models import PublicPersona, SessionInfo, SessionStatus
from counselsim.practice.session import PracticeSession, thread_config
from counselsim.practice.store import RESUME_KEY, PracticeStore, StartedSession
from counselsim.runs import RunKind
from counselsim.services.compose import Simulation


@dataclass(frozen=True)
class PracticeOptions:
    """How sessions run: hints on every turn, the turn cap, the crisis text file."""

    hints: bool = False
    max_turns: int = 40
    crisis_file: Path | None = None


def course_of(profile: ClientProfile) -> str:
    """A client's course id in a practice directory (the same profile, the same course)."""
    digest = hashlib.sha256(profile.model_dump_json().encode()).hexdigest()[:10]
    return f"{profile.id}-{digest}"


class PracticeRoom:
    """A practice directory's sessions, with the models and graph they run on."""

    def __init__(
        self,
        sim: Simulation,
        store: PracticeStore,
        options: PracticeOptions,
        hints: HintSource | None = None,
        profiles: Sequence[ClientProfile] = (),
    ) -> None:
        self.sim, self.store, self.options = sim, store, options
        self.messages = load_messages(options.crisis_file)
        self.hints = hints or EvidenceHints(self.messages)
        ws, cfg = store.workspace, sim.config
        deps = PracticeDeps(
            client=sim.client_agent(ws.memory),
            scribe=ScribeAgent(sim.critic_deps()),
            judge=RubricSessionJudge(sim.critic_deps(), sim.rubric, cfg.seed),
            sink=ws.sessions,
            provenance=sim.provenance(),
            code=code_strategies,
            seed=cfg.seed,
        )
        self.app: Any = build_practice_graph(deps).compile(checkpointer=ws.saver)
        self.profiles = {p.id: p for p in [*list_personas(), *profiles]}
        self._locks: dict[str, asyncio.Lock] = {}
        self._starting = asyncio.Lock()  # two tabs starting one session register it once

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        sim: Simulation,
        out: Path,
        options: PracticeOptions,
        embedder: EmbeddingFunction[Documents] | None = None,
        hints: HintSource | None = None,
        profiles: Sequence[ClientProfile] = (),
    ) -> AsyncIterator[PracticeRoom]:
        """Open (or create) the practice directory ``out``."""
        manifest = sim.manifest(RunKind.PRACTICE, RESUME_KEY)
        async with PracticeStore.open(out, manifest, embedder) as store:
            yield cls(sim, store, options, hints, profiles)

    def lock(self, session_id: str) -> asyncio.Lock:
        """One turn at a time per session (a second tab waits or is told to)."""
        return self._locks.setdefault(session_id, asyncio.Lock())

    def personas(self) -> list[PublicPersona]:
        """What the persona picker lists."""
        return [PublicPersona.of(p) for p in self.profiles.values()]

    def persona(self, persona_id: str) -> ClientProfile:
        """A listed persona. Raises PracticeError (not_found) for another id."""
        if persona_id not in self.profiles:
            raise PracticeError(f"unknown persona '{persona_id}'", "not_found")
        return self.profiles[persona_id]

    async def start(
        self, profile: ClientProfile, session_index: int | None = None
    ) -> PracticeSession:
        """Session ``session_index`` of ``profile``'s course (resumed if started); by default
        the unfinished one, else the next."""
        async with self._starting:
            return await self._start(profile, session_index)

    async def _start(self, profile: ClientProfile, session_index: int | None) -> PracticeSession:
        course = course_of(profile)
        mine = [s for s in self.store.started() if s.course_id == course]
        if session_index is None:
            for s in mine:
                found = await self.session(s.id)
                if await found.status() is not SessionStatus.ENDED:
                    return found
            session_index = max((s.session_index for s in mine), default=0) + 1
        for s in mine:
            if s.session_index == session_index:
                return await self.session(s.id)
        sid = f"{course}.s{session_index}"
        self.store.register(
            StartedSession(
                id=sid, course_id=course, profile_id=profile.id, session_index=session_index
            ),
            profile,
        )
        session = PracticeSession(self, sid, profile, course, session_index)
        await session.begin()
        return session

    async def session(self, session_id: str) -> PracticeSession:
        """A started session. Raises PracticeError (not_found) for an unknown id."""
        found = next((s for s in self.store.started() if s.id == session_id), None)
        if found is None:
            raise PracticeError(f"no practice session '{session_id}' here", "not_found")
        snapshot = await self.app.aget_state(thread_config(session_id))
        profile = snapshot.values.get("profile") or self.persona(found.profile_id)
        session = PracticeSession(self, found.id, profile, found.course_id, found.session_index)
        await session.begin()
        return session

    async def sessions(self) -> list[SessionInfo]:
        """Every session started here, with its status."""
        out = []
        for s in self.store.started():
            session = await self.session(s.id)
            values, _ = await session.snapshot()
            out.append(
                SessionInfo(
                    id=s.id,
                    persona_id=s.profile_id,
                    session_index=s.session_index,
                    status=await session.status(),
                    turns=len(values.get("turns", [])),
                )
            )
        return out
