"""Options shared by the services: which model (the model flags), resolved into a config,
and the choices of command options (kept here, light to import, so the CLI can offer them)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

from counselsim.config import RunConfig, load_config


@dataclass(frozen=True)
class ModelFlags:
    """Where the model comes from: a config file and the command-line model flags.

    Precedence: ``base_url`` (a server) > ``model_path`` (a GGUF) > ``packaged`` (default).
    API keys come from the environment only (``COUNSELSIM_API_KEY``, ``OPENAI_API_KEY``).
    """

    config: Path | None = None
    packaged: str | None = None
    model_path: Path | None = None
    base_url: str | None = None
    model: str | None = None
    n_threads: int | None = None

    def given(self) -> bool:
        """Whether any flag (or a config file) was given."""
        return any(getattr(self, f.name) is not None for f in fields(self))

    def resolve(self, **run: Any) -> RunConfig:
        """The run config: defaults < ``config`` file < ``COUNSELSIM_*`` env < these flags and
        the run settings ``run`` (``sessions=3``, ...; ``None`` means not given).

        Raises:
            ConfigError: an unreadable config file, unknown keys or out-of-range values.
        """
        model = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "config"}
        return load_config(self.config, {**run, "model": model}, flags=True)


class Executor(StrEnum):
    """Where ``generate`` runs its courses."""

    LOCAL = "local"  # asyncio in this process
    RAY = "ray"  # shards on a Ray cluster


class ExportFormat(StrEnum):
    """The data formats ``export`` writes."""

    SHAREGPT = "sharegpt"
    OPENAI = "openai"
    LLAMAFACTORY = "llamafactory"
    HF = "hf"


class ExportSide(StrEnum):
    """Who the assistant is in exported samples."""

    COUNSELOR = "counselor"
    CLIENT = "client"


class ExportUnit(StrEnum):
    """One exported sample per session or per course."""

    SESSION = "session"
    COURSE = "course"
