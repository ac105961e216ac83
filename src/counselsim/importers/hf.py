"""Hugging Face datasets as an importer source: ``hf:NAME[:SPLIT]``.

NAME is a dataset id on the Hub (``org/name``) or a local folder that ``datasets`` reads:
data files (JSON Lines, JSON, CSV, Parquet; files named ``train.*``/``test.*`` become
splits) or a folder written by ``save_to_disk``. Each row is one record, handed to the
format's converter as a mapping of its columns, so a dataset whose rows have a format's
fields imports like that format's files (``transcript``: ``id`` with ``text`` or
``utterances``; ``psydial``: ``messages``; ``psyqa``: ``question``/``description`` or
``text``; ...). Without SPLIT, ``train`` is read, or the only split there is. A record's
"line" in failures is its row number (from 1).

Needs the optional ``datasets`` library (``pip install 'counselsim[hf]'``). Every problem is
one line: :class:`~counselsim.errors.ConfigError` (no ``datasets``, no name) or
:class:`~counselsim.errors.SourceError` (a dataset not found or unreadable, a missing split).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from counselsim.errors import ConfigError, SourceError

PREFIX = "hf:"
DEFAULT_SPLIT = "train"


@dataclass(frozen=True)
class HFSource:
    """A dataset and, optionally, one of its splits."""

    name: str
    split: str | None = None

    def __str__(self) -> str:
        return f"{PREFIX}{self.name}" + (f":{self.split}" if self.split else "")


def parse_hf(src: str | Path) -> HFSource | None:
    """The dataset of an ``hf:NAME[:SPLIT]`` source; None for any other source. The split is
    what follows the first ``:`` after the name (dataset ids hold none).

    Raises:
        ConfigError: ``hf:`` without a name.
    """
    text = str(src)
    if not text.startswith(PREFIX):
        return None
    name, _, split = text.removeprefix(PREFIX).partition(":")
    if not name.strip():
        raise ConfigError(f"'{text}': name a dataset after hf: (hf:NAME or hf:NAME:SPLIT)")
    return HFSource(name.strip(), split.strip() or None)


def _datasets() -> Any:
    try:
        import datasets
    except ImportError:
        raise ConfigError(
            "hf: sources need the datasets library: pip install 'counselsim[hf]'"
        ) from None
    datasets.disable_progress_bars()  # one line per problem, not a progress bar per split
    return datasets


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _choose(source: HFSource, splits: list[str]) -> str:
    if source.split is not None:
        if source.split in splits:
            return source.split
        raise SourceError(f"{source}: no split '{source.split}' (splits: {', '.join(splits)})")
    if DEFAULT_SPLIT in splits or len(splits) == 1:
        return DEFAULT_SPLIT if DEFAULT_SPLIT in splits else splits[0]
    raise SourceError(f"{source}: several splits ({', '.join(splits)}); name one: {source}:SPLIT")


def _load(datasets: Any, source: HFSource) -> Any:
    """The split's ``datasets.Dataset``: from a ``save_to_disk`` folder, else through
    ``load_dataset`` (which reads data-file folders and Hub ids alike)."""
    local = Path(source.name).expanduser()
    if (local / "dataset_dict.json").is_file() or (local / "state.json").is_file():
        data = datasets.load_from_disk(str(local))
        if isinstance(data, datasets.DatasetDict):
            return data[_choose(source, list(data))]
        if source.split is not None:
            raise SourceError(f"{source}: no split '{source.split}' (the dataset has no splits)")
        return data
    if source.split is None:
        data = datasets.load_dataset(source.name)
        return data[_choose(source, list(data))]
    try:
        return datasets.load_dataset(source.name, split=source.split)
    except ValueError as exc:
        if "split" not in str(exc).lower():
            raise
        raise SourceError(f"{source}: no split '{source.split}' ({_first_line(exc)})") from None


@functools.lru_cache(maxsize=4)
def load_rows(source: HFSource) -> Iterable[Mapping[str, Any]]:
    """The rows of the source's split, loaded once per process (checking a source before a
    model loads and reading it afterwards load it once).

    Raises:
        ConfigError: ``datasets`` is not installed.
        SourceError: the dataset is not found or cannot be read, or has no such split.
    """
    datasets = _datasets()
    try:
        rows: Iterable[Mapping[str, Any]] = _load(datasets, source)
    except (FileNotFoundError, ConnectionError) as exc:
        # DatasetNotFoundError is a FileNotFoundError; an unreachable Hub a ConnectionError
        raise SourceError(f"{source}: dataset not found ({_first_line(exc)})") from None
    except (datasets.exceptions.DatasetsError, ValueError, OSError) as exc:
        raise SourceError(f"{source}: cannot read the dataset: {_first_line(exc)}") from None
    return rows


__all__ = ["DEFAULT_SPLIT", "PREFIX", "HFSource", "load_rows", "parse_hf"]
