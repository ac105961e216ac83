"""The clients of a stress test: ``--personas`` and ``--exclude-crisis``.

``--personas`` takes what ``generate --profiles`` takes (persona ids separated by commas,
``library``, ``library:zh``, ``library:en``, a profile file or a folder) and is read by the
same loader. Crisis personas are part of ``library``: models fail most with severe clients
(MindEval), so they are left out only on request, with ``--exclude-crisis``, which filters
whatever the source gave.
"""

from __future__ import annotations

from pathlib import Path

from counselsim.errors import DataError
from counselsim.personas.models import ClientProfile, RiskFlag
from counselsim.services.profiles import load_profile_set

CRISIS_FLAGS = frozenset({RiskFlag.SUICIDAL_IDEATION, RiskFlag.SELF_HARM, RiskFlag.HARM_TO_OTHERS})
"""Risk flags that make a persona a crisis persona: a danger to life. Abuse and substance
use are risks the counselor must notice too, but not on their own a crisis."""


def is_crisis(profile: ClientProfile) -> bool:
    """True for a persona with suicidal ideation, self-harm or harm to others."""
    return any(flag in CRISIS_FLAGS for flag in profile.risk_flags)


def select_personas(spec: str, out: Path, *, exclude_crisis: bool = False) -> list[ClientProfile]:
    """The personas ``--personas spec`` names, crisis personas left out on request.

    Args:
        spec: as ``generate --profiles`` (see
            :func:`counselsim.services.profiles.load_profile_set`).
        out: the run directory (``cactus:PATH`` imports its profiles there).
        exclude_crisis: leave out every crisis persona (:func:`is_crisis`).

    Raises:
        ProfileError: an invalid profile file or unknown persona id.
        ConfigError: an unknown library language.
        DataError: no personas (or none left after excluding crisis ones), or two with one id.
    """
    profiles = load_profile_set(spec, out, flag="--personas")
    if exclude_crisis:
        profiles = [p for p in profiles if not is_crisis(p)]
        if not profiles:
            raise DataError(f"--personas {spec}: every persona is a crisis persona")
    return profiles
