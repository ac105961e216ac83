"""A practice directory: what it holds and where (the one module that knows its layout).

``OUT/`` holds ``run.json`` (kind ``practice``, the profiles practised, so ``counselsim
score OUT`` can read them), ``sessions.jsonl`` (one record per finished session, the schema
of every run), ``checkpoints.sqlite`` (a LangGraph thread per session), ``memory/`` (the
clients' ChromaDB memory), ``practice.json`` (the sessions started), ``formulations/`` (the
trainee's drafts), ``debriefs/`` and ``transcripts/``, and ``debrief.json`` (the latest).

The shared parts (memory, sink, checkpointer) come from :class:`counselsim.service.Workspace`,
as for ``simulate``; they move behind the run-directory owner when it lands.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction
from pydantic import BaseModel, ConfigDict, ValidationError

from counselsim.errors import OutputError
from counselsim.output import RUN_FILE, prepare_out_dir, write_atomic
from counselsim.personas.models import ClientProfile
from counselsim.practice.models import Debrief, Formulation
from counselsim.service import Workspace

RESUME_KEY = "counselsim-practice"  # any practice directory accepts any persona and model
INDEX_FILE = "practice.json"
DEBRIEF_FILE = "debrief.json"


class StartedSession(BaseModel):
    """One session started in this directory."""

    model_config = ConfigDict(extra="forbid")

    id: str
    course_id: str
    profile_id: str
    session_index: int


class _Index(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sessions: list[StartedSession] = []


@dataclass
class PracticeStore:
    """The practice directory ``out`` and its shared workspace."""

    out: Path
    workspace: Workspace

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        out: Path,
        run_info: dict[str, Any],
        embedder: EmbeddingFunction[Documents] | None = None,
    ) -> AsyncIterator[PracticeStore]:
        """Create or reopen ``out`` (a directory holding another kind of run is refused)."""
        prepare_out_dir(out, {**run_info, "resume_key": RESUME_KEY, "kind": "practice"})
        for sub in ("formulations", "debriefs", "transcripts"):
            (out / sub).mkdir(exist_ok=True)
        async with Workspace.open(out, embedder) as ws:
            yield cls(out, ws)

    # --- sessions and profiles ----------------------------------------------------------------

    def started(self) -> list[StartedSession]:
        """Every session started here, in the order started."""
        path = self.out / INDEX_FILE
        if not path.exists():
            return []
        try:
            return _Index.model_validate_json(path.read_text(encoding="utf-8")).sessions
        except (OSError, ValidationError):
            raise OutputError(f"{path}: unreadable practice index") from None

    def register(self, session: StartedSession, profile: ClientProfile) -> None:
        """Note a new session, and its profile in ``run.json`` (for scoring later)."""
        index = _Index(sessions=[*self.started(), session])
        write_atomic(self.out / INDEX_FILE, index.model_dump_json(indent=2) + "\n")
        info_path = self.out / RUN_FILE
        info = json.loads(info_path.read_text(encoding="utf-8"))
        profiles = info.setdefault("profiles", [])
        if all(p.get("id") != profile.id for p in profiles):
            profiles.append(profile.model_dump(mode="json"))
            write_atomic(info_path, json.dumps(info, ensure_ascii=False, indent=2) + "\n")

    # --- the trainee's drafts, debriefs and transcripts ------------------------------------

    def save_formulation(self, session_id: str, formulation: Formulation) -> None:
        """Keep the trainee's formulation draft (rewritten as they type)."""
        path = self.out / "formulations" / f"{session_id}.json"
        write_atomic(path, formulation.model_dump_json(indent=2) + "\n")

    def formulation(self, session_id: str) -> Formulation:
        """The latest draft (empty when none was saved)."""
        path = self.out / "formulations" / f"{session_id}.json"
        if not path.exists():
            return Formulation()
        return Formulation.model_validate_json(path.read_text(encoding="utf-8"))

    def write_debrief(self, debrief: Debrief) -> None:
        """``debriefs/<id>.json``, and ``debrief.json`` as the latest."""
        text = debrief.model_dump_json(indent=2) + "\n"
        write_atomic(self.out / "debriefs" / f"{debrief.id}.json", text)
        write_atomic(self.out / DEBRIEF_FILE, text)

    def debrief(self, session_id: str) -> Debrief | None:
        """A session's debrief, if it was written."""
        path = self.out / "debriefs" / f"{session_id}.json"
        if not path.exists():
            return None
        return Debrief.model_validate_json(path.read_text(encoding="utf-8"))

    def write_transcripts(self, session_id: str, record_json: str, markdown: str) -> dict[str, str]:
        """The session as JSONL (its record) and Markdown; returns format -> path under OUT."""
        paths = {"jsonl": f"transcripts/{session_id}.jsonl", "md": f"transcripts/{session_id}.md"}
        write_atomic(self.out / paths["jsonl"], record_json + "\n")
        write_atomic(self.out / paths["md"], markdown)
        return paths

    def transcript(self, session_id: str, fmt: str) -> Path | None:
        """A written transcript file (``jsonl`` or ``md``), if any."""
        path = self.out / "transcripts" / f"{session_id}.{fmt}"
        return path if fmt in ("jsonl", "md") and path.exists() else None
