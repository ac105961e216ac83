"""``counselsim simulate``: one multi-session course into a run directory."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from chromadb.api.types import Documents, EmbeddingFunction

from counselsim.config import CheckMode, RunConfig
from counselsim.personas.models import ClientProfile
from counselsim.records import SessionRecord
from counselsim.runs import RunDir, RunKind
from counselsim.services.compose import Simulation
from counselsim.services.course import Progress, Workspace, run_course_in
from counselsim.services.options import ModelFlags

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SimulateOptions:
    """``counselsim simulate``: the profile (a file or a persona id), the run directory, the
    run settings (``None``: from the config) and the model flags."""

    profile: str
    out: Path
    sessions: int | None = None
    max_turns: int | None = None
    seed: int | None = None
    checklist: CheckMode | None = None
    model: ModelFlags = field(default_factory=ModelFlags)

    def load(self) -> tuple[ClientProfile, RunConfig]:
        """The profile and the resolved config, both validated before any model is loaded.

        Raises:
            ProfileError: the profile is missing, invalid or an unknown persona id.
            ConfigError: a bad config file or flag.
        """
        from counselsim.personas.library import resolve_profile

        profile = resolve_profile(self.profile)
        cfg = self.model.resolve(
            sessions=self.sessions,
            max_turns=self.max_turns,
            seed=self.seed,
            checklist=self.checklist,
        )
        return profile, cfg


@dataclass(frozen=True)
class SimulateResult:
    """The course's records (finished now or before) and what was repaired on open."""

    out: Path
    records: list[SessionRecord]
    resumed: bool
    repairs: list[str]


async def simulate(
    sim: Simulation,
    profile: ClientProfile,
    out: Path,
    embedder: EmbeddingFunction[Documents] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> SimulateResult:
    """Run (or resume) ``profile``'s course into the run directory ``out``.

    Raises:
        OutputError: ``out`` holds something else or another run, or cannot be written.
    """
    run = RunDir(out)
    course_id = sim.course_id(profile)
    manifest = sim.manifest(
        RunKind.SIMULATE,
        course_id,
        profile_id=profile.id,
        profile=profile.model_dump(mode="json"),  # synthetic or masked; judges read it
    )
    resumed = run.open_run(manifest)
    if resumed:
        log.info("resuming course %s in %s", course_id, out)
    async with Workspace.open(run, embedder) as ws:
        await run_course_in(sim, ws, course_id, profile, sim.config.seed, on_progress)
        records = ws.sessions.records_of(course_id)
    return SimulateResult(out, records, resumed, list(run.repairs))
