"""A practice directory: a run directory (:class:`~counselsim.runs.RunDir`, kind ``practice``)
and what practice keeps in it.

Like every run, ``OUT/`` holds ``run.json`` (with the profiles practised, so ``counselsim
score OUT`` can read them), ``sessions.jsonl`` (one record per finished session),
``checkpoints.sqlite`` (a LangGraph thread per session) and ``memory/`` (the clients'
ChromaDB memory), shared through :class:`counselsim.services.course.Workspace`. Practice adds
``practice.json`` (the sessions started), the trainee's formulation drafts, the debriefs
(``debrief.json`` the latest) and the transcripts; :class:`~counselsim.runs.RunDir` names
every path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from chromadb.api.types import Documents, EmbeddingFunction
from pydantic import BaseModel, ConfigDict, ValidationError

from counselsim.errors import OutputError
from counselsim.personas.models import ClientProfile
from counselsim.practice.models import Debrief, Formulation
from counselsim.runs import Manifest, RunDir
from counselsim.services.course import Workspace

RESUME_KEY = "counselsim-practice"  # any practice directory accepts any persona and model


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
    """The practice directory ``run`` and its shared workspace."""

    run: RunDir
    workspace: Workspace

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        out: Path,
        manifest: Manifest,
        embedder: EmbeddingFunction[Documents] | None = None,
    ) -> AsyncIterator[PracticeStore]:
        """Create or reopen ``out`` with ``manifest`` (kind ``practice``, resume key
        :data:`RESUME_KEY`); a directory holding another run or other files is refused.

        Raises:
            OutputError: ``out`` is not usable for practice.
        """
        run = RunDir(out)
        run.open_run(manifest)
        async with Workspace.open(run, embedder) as ws:
            yield cls(run, ws)

    # --- sessions and profiles ----------------------------------------------------------------

    def started(self) -> list[StartedSession]:
        """Every session started here, in the order started."""
        path = self.run.practice_file
        if not path.exists():
            return []
        try:
            return _Index.model_validate_json(path.read_bytes()).sessions
        except (OSError, ValidationError):
            raise OutputError(f"{path}: unreadable practice index") from None

    def register(self, session: StartedSession, profile: ClientProfile) -> None:
        """Note a new session, and its profile in ``run.json`` (for scoring later)."""
        index = _Index(sessions=[*self.started(), session])
        self.run.write_text(self.run.practice_file, index.model_dump_json(indent=2) + "\n")
        manifest = self.run.manifest()
        if manifest is None or profile.id in manifest.client_profiles():
            return
        listed = manifest.profiles
        profiles = list(listed.values()) if isinstance(listed, dict) else list(listed)
        profiles.append(profile.model_dump(mode="json"))
        self.run.write_manifest(manifest.model_copy(update={"profiles": profiles}))

    # --- the trainee's drafts, debriefs and transcripts ------------------------------------

    def save_formulation(self, session_id: str, formulation: Formulation) -> None:
        """Keep the trainee's formulation draft (rewritten as they type)."""
        path = self.run.session_file(RunDir.FORMULATIONS, session_id)
        self.run.write_text(path, formulation.model_dump_json(indent=2) + "\n")

    def formulation(self, session_id: str) -> Formulation:
        """The latest draft (empty when none was saved)."""
        path = self.run.session_file(RunDir.FORMULATIONS, session_id)
        if not path.exists():
            return Formulation()
        return Formulation.model_validate_json(path.read_bytes())

    def write_debrief(self, debrief: Debrief) -> None:
        """``debriefs/<id>.json``, and ``debrief.json`` as the latest."""
        text = debrief.model_dump_json(indent=2) + "\n"
        self.run.write_text(self.run.session_file(RunDir.DEBRIEFS, debrief.id), text)
        self.run.write_text(self.run.debrief_file, text)

    def debrief(self, session_id: str) -> Debrief | None:
        """A session's debrief, if it was written."""
        path = self.run.session_file(RunDir.DEBRIEFS, session_id)
        if not path.exists():
            return None
        return Debrief.model_validate_json(path.read_bytes())

    def write_transcripts(self, session_id: str, record_json: str, markdown: str) -> dict[str, str]:
        """The session as JSONL (its record) and Markdown; returns format -> path under OUT."""
        texts = {"jsonl": record_json + "\n", "md": markdown}
        paths: dict[str, str] = {}
        for fmt, text in texts.items():
            path = self.run.session_file(RunDir.TRANSCRIPTS, session_id, f".{fmt}")
            self.run.write_text(path, text)
            paths[fmt] = path.relative_to(self.run.root).as_posix()
        return paths

    def transcript(self, session_id: str, fmt: str) -> Path | None:
        """A written transcript file (``jsonl`` or ``md``), if any."""
        path = self.run.session_file(RunDir.TRANSCRIPTS, session_id, f".{fmt}")
        return path if fmt in ("jsonl", "md") and path.exists() else None
