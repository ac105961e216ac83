"""``counselsim export``: a run as fine-tuning data (what the data looks like is described in
:mod:`counselsim.export`). Everything is checked and built before anything is written, so a
bad input or option leaves no output directory behind."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import Field

from counselsim import __version__
from counselsim.errors import DataError, OutputError
from counselsim.export import (
    MANIFEST,
    REASONS,
    ExportOptions,
    ExportStats,
    ProfileSource,
    build_samples,
    check_min_items,
    render_files,
)
from counselsim.export.options import filters
from counselsim.runs import RunDir, Summary, refuse_same_path
from counselsim.runs.files import cannot_write, write_atomic


class ExportSummary(Summary):
    """What an export wrote: where, in which shape, how many samples, and what was read,
    left out and skipped."""

    out: Path
    fmt: str
    side: str
    unit: str
    reasoning: bool
    samples: int
    stats: ExportStats
    files: list[str] = Field(default_factory=list)

    def summary(self) -> str:
        """One line: samples written, sessions read, sessions left out by reason."""
        s = self.stats
        text = (
            f"wrote {self.samples} samples ({self.fmt}, {self.side}, one per {self.unit}"
            f"{', reasoning' if self.reasoning else ''}) to {self.out}; "
            f"{s.sessions_read} sessions of {s.courses_read} courses read; "
            f"filtered out: {s.filtered_text()}"
        )
        if s.courses_dropped:
            text += f"; {s.courses_dropped} courses dropped (a session was filtered out)"
        if s.no_assistant:
            text += f"; {s.no_assistant} skipped without an assistant turn"
        if s.generic_system:
            text += f"; {s.generic_system} with a generic system prompt (no profile found)"
        if s.template_tokens:
            text += (
                f"; warning: {s.template_tokens} chat-template tokens (<|im_start|>, [INST], ...) "
                "removed from profiles and turns"
            )
        return text


def check_out(out: Path, overwrite: bool) -> None:
    """Raises OutputError if ``out`` is a file, or a non-empty directory without
    ``overwrite``."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise OutputError(f"{out}: exists and is not empty; choose another --out or --overwrite")


def _remove_previous(out: Path) -> None:
    """Remove the files a previous export listed in its manifest (nothing else)."""
    try:
        files = json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("files", [])
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        return
    root = out.resolve()
    for rel in files if isinstance(files, list) else []:
        if not isinstance(rel, str):
            continue
        path = (out / rel).resolve()
        if path.is_file() and path.is_relative_to(root) and path != root / MANIFEST:
            path.unlink()
            if path.parent != root and not any(path.parent.iterdir()):
                path.parent.rmdir()


def write_files(out: Path, files: dict[str, str], overwrite: bool) -> None:
    """Write every file atomically (the manifest last, so it only names finished files)."""
    check_out(out, overwrite)
    path = out
    try:
        out.mkdir(parents=True, exist_ok=True)
        if overwrite:
            _remove_previous(out)
        for rel, text in files.items():
            path = out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, text)
    except OSError as exc:
        raise cannot_write(path, exc) from None


def export_run(
    src: Path, out: Path, options: ExportOptions, *, overwrite: bool = False
) -> ExportSummary:
    """Export the run at ``src`` (a run directory or a sessions file) to ``out``.

    Raises:
        ConfigError: bad options (format, side, unit, score filters), or ``out`` is ``src``.
        DataError: unreadable input, or no sample left to write.
        OutputError: ``out`` exists and is not empty (without ``overwrite``), or not writable.
    """
    options.check()
    refuse_same_path(out, src)
    run = RunDir.at(src)
    refuse_same_path(out, run.root)
    records = run.sessions()
    check_min_items(options, records)
    check_out(out, overwrite)
    samples, stats = build_samples(records, options, ProfileSource(run), run.planned_sessions())
    if not samples:
        raise DataError(
            f"{run.sessions_file}: no samples to write: {stats.sessions_read} sessions read, "
            f"filtered out: {stats.filtered_text()}, courses dropped: {stats.courses_dropped}, "
            f"without an assistant turn: {stats.no_assistant}"
        )
    files = render_files(samples, stats, options, records)
    body = {
        "counselsim_version": __version__,
        "source": str(run.sessions_file),
        "format": options.fmt,
        "side": options.side,
        "unit": options.unit,
        "reasoning": options.reasoning,
        "filters": filters(options),
        "counts": {
            "samples": len(samples),
            "sessions_read": stats.sessions_read,
            "courses_read": stats.courses_read,
            "excluded": {k: stats.excluded[k] for k in REASONS if stats.excluded.get(k)},
            "courses_dropped": stats.courses_dropped,
            "no_assistant_turn": stats.no_assistant,
            "generic_system_prompt": stats.generic_system,
            "template_tokens_removed": stats.template_tokens,
            "languages": dict(sorted(stats.languages.items())),
        },
        "files": sorted(files),
        "ids": [s.id for s in samples],
    }
    files[MANIFEST] = json.dumps(body, ensure_ascii=False, indent=2) + "\n"
    write_files(out, files, overwrite)
    return ExportSummary(
        out=out,
        fmt=options.fmt,
        side=options.side,
        unit=options.unit,
        reasoning=options.reasoning,
        samples=len(samples),
        stats=stats,
        files=sorted(files),
    )
