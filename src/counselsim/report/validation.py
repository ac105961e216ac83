"""The report's judge-validation section, from the run's ``validation.json`` when present
(written by ``counselsim judge validate --out RUN_DIR``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from counselsim.critic.validation import tables
from counselsim.critic.validation.models import ValidationReport
from counselsim.errors import DataError, field_error
from counselsim.runs import RunDir


def load_validation(run: RunDir, path: Path | None = None) -> ValidationReport | None:
    """The run's validation report (or the one at ``path``); None when there is none.

    Raises:
        DataError: the file is there but unreadable or not a validation report.
    """
    path = path or run.validation_file
    try:
        return ValidationReport.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror}") from None
    except ValidationError as exc:
        loc, msg = field_error(exc)
        raise DataError(f"{path}: not a validation report: field '{loc}': {msg}") from None


@dataclass
class ValidationTable:
    """A numbered table of the section: caption, header, rows, text columns on the left."""

    number: int
    caption: str
    head: list[str]
    rows: list[list[str]]
    left: int = 2


@dataclass
class ValidationSection:
    """What the template shows: a summary line, the tables, the notes."""

    report: ValidationReport
    summary: str
    tables: list[ValidationTable]


_CAPTIONS = {
    "known": "Known groups: per item, the share of pairs in which the judge scored the good "
    "reply above the bad one (a tie counts half; 0.5 is chance) and the mean good-minus-bad "
    "gap, each with a bootstrap 95 % CI over pairs; G-Eval and sampled figures come from the "
    "same judge calls.",
    "kinds": "Known groups by failure kind: per pair the accuracy averaged over items, then "
    "the mean over the kind's pairs with a bootstrap 95 % CI.",
    "agreement": "Agreement with human labels: Spearman and Kendall's τ-b with bootstrap 95 % "
    "CIs over units (pooled: a unit resampled with all its items), Cohen's weighted κ (both "
    "sides rounded to the item's integer scale) and the mean absolute difference.",
    "stability": "Stability: the mean per-unit SD over repeats, the share of units whose "
    "repeats agree exactly (sampled scores), and the order slope (score change from first to "
    "last place in the item list; 0 = no order effect).",
}


def validation_section(run: RunDir, tab: Iterator[int]) -> ValidationSection | None:
    """The section, numbering its tables from ``tab``; None without ``validation.json``."""
    report = load_validation(run)
    if report is None:
        return None
    blocks = [
        ("known", tables.KNOWN_GROUPS_HEAD, tables.known_groups_rows(report)),
        ("kinds", tables.KINDS_HEAD, tables.kind_rows(report)),
        ("agreement", tables.AGREEMENT_HEAD, tables.agreement_rows(report)),
        ("stability", tables.STABILITY_HEAD, tables.stability_rows(report)),
    ]
    made = [
        ValidationTable(next(tab), _CAPTIONS[key], head, rows) for key, head, rows in blocks if rows
    ]
    ds = report.dataset
    summary = (
        f"Rubric {report.rubric} judged by {report.model} on the {ds.source} known-groups set: "
        f"{ds.pairs} pairs ({', '.join(ds.languages)}) over {len(ds.kinds)} failure kinds, "
        f"{report.repeats} judgement(s) per reply, seed {report.seed}. "
        + tables.method_line(report)
        + "."
    )
    return ValidationSection(report, summary, made)
