"""A dialogue corpus read in place, unmasked: the sources ``reconstruct`` rewrites (it masks
each one itself and audits its output against it), and the corpora ``score`` and
``metrics`` read."""

from __future__ import annotations

from pathlib import Path

from counselsim.errors import ConfigError
from counselsim.importers.base import ImportContext, Imported, ImportFailure
from counselsim.importers.registry import get_importer
from counselsim.importers.store import read_dialogues
from counselsim.privacy import Masker
from counselsim.records import Dialogue


async def load_corpus(src: Path, fmt: str) -> tuple[list[Dialogue], list[str]]:
    """Read a dialogue corpus in any dialogue importer format, *unmasked*, or a
    ``dialogues.jsonl`` that ``profiles import`` wrote (``fmt="dialogues"``, already masked).

    Returns:
        The dialogues and one ``file:line: reason`` line per record that could not be read.

    Raises:
        ConfigError: an unknown format or one that yields profiles, not dialogues.
    """
    if fmt == "dialogues":
        return read_dialogues(src), []
    importer = get_importer(fmt)
    if importer.produces != "dialogue":
        raise ConfigError(f"format '{fmt}' yields profiles, not dialogues; it is not a corpus")
    ctx = ImportContext(make_masker=lambda _id: Masker(detectors=()))
    dialogues: list[Dialogue] = []
    failures: list[str] = []
    async for event in importer.run(src, ctx):
        if isinstance(event, Imported) and isinstance(event.item, Dialogue):
            dialogues.append(event.item)
        elif isinstance(event, ImportFailure):
            failures.append(str(event))
    return dialogues, failures
