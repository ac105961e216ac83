"""``run.json``: what a run is (its kind, resolved config, provenance and profiles)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from counselsim.personas.models import ClientProfile

SCHEMA_VERSION = 1
"""The layout version of ``run.json`` and of the summaries counselsim writes. Files without
one were written before it was recorded and are read as version 1."""


class RunKind(StrEnum):
    """Which command made a run directory."""

    SIMULATE = "simulate"
    GENERATE = "generate"
    RECONSTRUCT = "reconstruct"
    PRACTICE = "practice"  # a trainee's sessions with simulated clients
    STRESS = "stress"  # counselor models tested on the same clients (and each one's courses)


class Manifest(BaseModel):
    """``DIR/run.json``. ``resume_key`` is what must match for a rerun to continue the run;
    the rest records how it was made. Fields a newer or older counselsim wrote are kept."""

    model_config = ConfigDict(extra="allow")

    schema_version: int = Field(default=SCHEMA_VERSION, ge=1)
    kind: RunKind | None = Field(default=None, description="None: a run from before 'kind'")
    resume_key: str = Field(default="", description="empty in a run.json written by hand")
    config: dict[str, Any] = Field(default_factory=dict, description="the resolved RunConfig")
    provenance: dict[str, Any] = Field(default_factory=dict)
    profile_id: str | None = Field(default=None, description="simulate: the one profile")
    profile: dict[str, Any] | None = None
    profiles: list[Any] | dict[str, Any] = Field(
        default_factory=list, description="generate, reconstruct: the profile set"
    )
    # generate
    courses: int | None = None
    profile_source: str | None = None
    profile_ids: list[str] = Field(default_factory=list)
    profile_digests: dict[str, str] = Field(default_factory=dict)
    course_seed: str | None = None
    model_ids: list[str] = Field(default_factory=list)
    endpoints: list[str] = Field(default_factory=list)
    shards: int | None = Field(default=None, ge=1, description="ray: fixed by the first run")
    # reconstruct
    corpus_dialogues: int | None = None

    @property
    def planned_sessions(self) -> int:
        """Sessions per course from the recorded config (0 when not recorded)."""
        sessions = self.config.get("sessions")
        return sessions if isinstance(sessions, int) and sessions > 0 else 0

    def client_profiles(self) -> dict[str, ClientProfile]:
        """The profiles the run played, by id (simulate's ``profile``, generate's and
        reconstruct's ``profiles`` as a list or an id -> profile mapping); an entry that is
        not a valid profile is left out."""
        raw: list[Any] = [self.profile] if self.profile is not None else []
        listed = self.profiles
        raw += list(listed.values()) if isinstance(listed, dict) else list(listed)
        found: dict[str, ClientProfile] = {}
        for item in raw:
            try:
                profile = ClientProfile.model_validate(item)
            except ValidationError:
                continue
            found.setdefault(profile.id, profile)
        return found

    def dump(self) -> dict[str, Any]:
        """The JSON object written to ``run.json`` (fields the run's kind leaves empty are left
        out)."""
        data = self.model_dump(mode="json", exclude_none=True)
        return {k: v for k, v in data.items() if v != [] and v != {}}
