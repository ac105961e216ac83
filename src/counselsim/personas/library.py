"""The packaged persona library: difficult clients, each kind in Chinese and English.

The profiles are package data (``personas/library/*.yaml``), read with
:mod:`importlib.resources` so they work from an installed wheel, and validated by the same
:func:`~counselsim.personas.load.load_profile` as any user file. Ids are ``zh-<kind>`` and
``en-<kind>``; every profile is synthetic and already masked.
"""

from __future__ import annotations

import difflib
from functools import cache
from importlib import resources
from pathlib import Path

from counselsim.errors import ProfileError
from counselsim.personas.load import load_profile
from counselsim.personas.models import ClientProfile, Language


@cache
def _load_all() -> tuple[ClientProfile, ...]:
    root = resources.files("counselsim.personas") / "library"
    files = sorted((f for f in root.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
    profiles: dict[str, ClientProfile] = {}
    for res in files:
        with resources.as_file(res) as path:  # a real file even if installed zipped
            profile = load_profile(path)
        if profile.id in profiles:
            raise ProfileError(f"persona library: duplicate id '{profile.id}' in {res.name}")
        profiles[profile.id] = profile
    return tuple(profiles[k] for k in sorted(profiles))


def list_personas(language: Language | None = None) -> list[ClientProfile]:
    """Every packaged persona, sorted by id; only those in ``language`` when it is given."""
    return [p for p in _load_all() if language is None or p.language is language]


def get_persona(persona_id: str) -> ClientProfile:
    """The packaged persona with this id.

    Raises:
        ProfileError: no such persona; the one-line message names the closest ids.
    """
    by_id = {p.id: p for p in _load_all()}
    if persona_id in by_id:
        return by_id[persona_id]
    query = persona_id.strip().lower()
    same_kind = [i for i in by_id if query and i.split("-", 1)[-1].startswith(query)]
    prefixed = [i for i in by_id if query and i.startswith(query)]
    close = difflib.get_close_matches(query, list(by_id), n=3, cutoff=0.6)
    matches = list(dict.fromkeys(same_kind + prefixed + close))[:4]
    hint = f"did you mean {', '.join(matches)}?" if matches else f"{len(by_id)} ids known"
    raise ProfileError(f"unknown persona '{persona_id}': {hint} (see 'counselsim personas list')")


def resolve_profile(spec: str) -> ClientProfile:
    """A profile file's path, or the id of a packaged persona (``zh-crisis-risk``).

    Raises:
        ProfileError: neither an existing file nor a known persona id.
    """
    path = Path(spec)
    if path.exists() or path.suffix.lower() in (".yaml", ".yml", ".json") or "/" in spec:
        return load_profile(path)
    return get_persona(spec)
