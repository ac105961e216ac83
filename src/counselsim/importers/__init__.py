"""Importers: real-world profile and dialogue formats -> masked counselsim records.

One interface (:class:`Importer`), one small adapter per format, looked up by name::

    from counselsim.importers import get_importer, run_import, read_dialogues

    report = run_import("transcript", Path("cpsycoune.jsonl"), Path("imp"))
    dialogues = read_dialogues("imp")          # imp/dialogues.jsonl -> list[Dialogue]

A source is a file, a folder, or a Hugging Face dataset ``hf:NAME[:SPLIT]`` (a Hub id or a
local dataset folder, read through the optional ``datasets`` library; one record per row).

Profiles land in ``DIR/profiles/<id>.yaml`` (load them with
:func:`counselsim.personas.load_profile`), dialogues in ``DIR/dialogues.jsonl``, and a
description of the run (counts, per-record failures) in ``DIR/import.json``.
Every text is masked with a fresh :class:`~counselsim.privacy.Masker` per record.
"""

from counselsim.importers.base import (
    DialogueImporter,
    ImportContext,
    Imported,
    Importer,
    ImportEvent,
    ImportFailure,
    RawDialogue,
    RecordError,
    Skipped,
    SourceRecord,
    detect_language,
)
from counselsim.importers.registry import FORMATS, IMPORTERS, get_importer, guess_format
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
    "DialogueImporter",
    "ImportContext",
    "ImportEvent",
    "ImportFailure",
    "ImportReport",
    "Imported",
    "Importer",
    "RawDialogue",
    "RecordError",
    "Skipped",
    "SourceRecord",
    "detect_language",
    "get_importer",
    "guess_format",
    "import_source",
    "iter_dialogues",
    "read_dialogues",
    "run_import",
]
