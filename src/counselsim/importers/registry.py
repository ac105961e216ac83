"""Every importer by its ``--format`` name."""

from __future__ import annotations

import difflib
from typing import Any

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


# Checked in this order: the specific shapes first (a transcript's {"text"} would also pass
# for a post), so the first format that recognises a record is the likeliest.
_GUESS_ORDER = ("psydial", "psyinsight", "cactus", "counselsim", "transcript", "psyqa")


def guess_format(record: Any) -> Importer | None:
    """The importer whose records look like ``record`` (a parsed JSON value; for a list, its
    first element is tried), or None."""
    if isinstance(record, list):
        record = record[0] if record else None
    for name in _GUESS_ORDER:
        if IMPORTERS[name].recognizes(record):
            return IMPORTERS[name]()
    return None
