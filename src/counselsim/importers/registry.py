"""Every importer by its ``--format`` name."""

from __future__ import annotations

import difflib

from counselsim.errors import ConfigError
from counselsim.importers.base import Importer
from counselsim.importers.cactus import CactusImporter
from counselsim.importers.native import CounselsimImporter
from counselsim.importers.psydial import PsyDialImporter
from counselsim.importers.psyinsight import PsyInsightImporter
from counselsim.importers.psyqa import PsyQAImporter
from counselsim.importers.transcript import TranscriptImporter
from counselsim.importers.turns import TurnsImporter

IMPORTERS: dict[str, type[Importer]] = {
    cls.name: cls
    for cls in (
        CactusImporter,
        CounselsimImporter,
        PsyDialImporter,
        PsyInsightImporter,
        PsyQAImporter,
        TranscriptImporter,
        TurnsImporter,
    )
}
FORMATS: tuple[str, ...] = tuple(sorted(IMPORTERS))


def get_importer(name: str) -> Importer:
    """A new importer for a format name.

    Raises:
        ConfigError: an unknown name; the one-line message lists the formats.
    """
    cls = IMPORTERS.get(name.strip().lower())
    if cls is None:
        close = difflib.get_close_matches(name.strip().lower(), FORMATS, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ConfigError(f"unknown format '{name}'{hint}; choose one of: {', '.join(FORMATS)}")
    return cls()
