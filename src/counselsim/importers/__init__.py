"""Importers: real-world profile and dialogue formats -> masked counselsim records.

One interface (:class:`Importer`), one small adapter per format, looked up by name::

    from counselsim.importers import get_importer, run_import, read_dialogues

    report = run_import("transcript", Path("cpsycoune.jsonl"), Path("imp"))
    dialogues = read_dialogues("imp")          # imp/dialogues.jsonl -> list[Dialogue]

Profiles land in ``DIR/profiles/<id>.yaml`` (load them with
:func:`counselsim.personas.load_profile`), dialogues in ``DIR/dialogues.jsonl``, and a
description of the run (counts, per-record failures) in ``DIR/import.json``.
Every text is masked with a fresh :class:`~counselsim.privacy.Masker` per record.
"""

from counselsim.importers.base import (
    ImportContext,
    Imported,
    Importer,
    ImportEvent,
    ImportFailure,
    RecordError,
    Skipped,
    SourceRecord,
    detect_language,
)
from counselsim.importers.registry import FORMATS, IMPORTERS, get_importer
from counselsim.importers.run import ImportReport, import_source, run_import
from counselsim.importers.store import (
    DIALOGUES_FILE,
    IMPORT_FILE,
    PROFILES_DIR,
    iter_dialogues,
    read_dialogues,
)

__all__ = [
    "DIALOGUES_FILE",
    "FORMATS",
    "IMPORTERS",
    "IMPORT_FILE",
    "PROFILES_DIR",
    "ImportContext",
    "ImportEvent",
    "ImportFailure",
    "ImportReport",
    "Imported",
    "Importer",
    "RecordError",
    "Skipped",
    "SourceRecord",
    "detect_language",
    "get_importer",
    "import_source",
    "iter_dialogues",
    "read_dialogues",
    "run_import",
]
