"""Profile sets for ``generate``: a folder, files, persona ids, the library, Cactus forms."""

from __future__ import annotations

import logging
from pathlib import Path

from counselsim.errors import ConfigError, DataError
from counselsim.personas.models import ClientProfile
from counselsim.runs import RunDir

log = logging.getLogger(__name__)
PROFILE_SUFFIXES = (".yaml", ".yml", ".json")


def load_profile_set(spec: str, out: Path, flag: str = "--profiles") -> list[ClientProfile]:
    """Profiles from ``spec``: a folder (every profile file under it), a profile file,
    ``library`` / ``library:zh`` / ``library:en`` (the packaged personas), ``cactus:PATH``
    (Cactus intake forms, imported and masked into the run directory ``out``'s ``intake/``
    first), or persona ids separated by commas. Error messages name the option as ``flag``.

    Raises:
        ProfileError: an invalid profile file or unknown persona id.
        DataError: no profiles, or two with the same id.
        ConfigError: an unknown library language.
    """
    from counselsim.personas.library import list_personas, resolve_profile
    from counselsim.personas.load import load_profile
    from counselsim.personas.models import Language

    path = Path(spec)
    if spec.startswith("library"):
        _, _, lang = spec.partition(":")
        if lang and lang not in ("zh", "en"):
            raise ConfigError(f"{flag} {spec}: the library's languages are zh and en")
        profiles = list_personas(Language(lang) if lang else None)
    elif spec.startswith("cactus:"):
        profiles = import_cactus(Path(spec.removeprefix("cactus:")), RunDir(out).intake_dir)
    elif path.is_dir():
        files = sorted(f for f in path.rglob("*") if f.suffix.lower() in PROFILE_SUFFIXES)
        profiles = [load_profile(f) for f in files]
    else:
        profiles = [resolve_profile(s.strip()) for s in spec.split(",") if s.strip()]
    if not profiles:
        raise DataError(f"{flag} {spec}: no profiles found")
    seen: set[str] = set()
    for p in profiles:
        if p.id in seen:
            raise DataError(f"{flag} {spec}: two profiles have the id '{p.id}'")
        seen.add(p.id)
    return profiles


def import_cactus(src: Path, dest: Path) -> list[ClientProfile]:
    """Cactus intake forms as masked profiles (rule-based import, no model), kept in
    ``dest/profiles`` so a rerun reads the same set."""
    from counselsim.importers.run import run_import
    from counselsim.personas.load import load_profile

    if not src.exists():
        raise DataError(f"{src}: Cactus intake file not found")
    folder = dest / "profiles"
    if not folder.is_dir():
        report = run_import("cactus", src, dest)
        if report.failed:
            log.warning("cactus import: %d records failed", report.failed)
    return [load_profile(f) for f in sorted(folder.glob("*.yaml"))]
