"""What ``export`` writes and which sessions it keeps: the options, checked."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from counselsim.errors import ConfigError
from counselsim.services.options import ExportFormat, ExportSide, ExportUnit

FORMATS = tuple(f.value for f in ExportFormat)
SIDES = tuple(s.value for s in ExportSide)
UNITS = tuple(u.value for u in ExportUnit)
MANIFEST = "export.json"

# Why a session was left out, in the order they are checked, with the words the summary uses.
REASONS = {
    "critic_failed": "critic failed",
    "below_min_score": "below --min-score",
    "item_not_scored": "--min-item not scored",
    "below_min_item": "below --min-item",
    "flagged": "flagged turns",
}


def _choices(values: Sequence[str]) -> str:
    return ", ".join(values[:-1]) + f" or {values[-1]}"


@dataclass(frozen=True)
class ExportOptions:
    """What to export and which sessions to keep (see the module docstring)."""

    fmt: str
    side: str = "counselor"
    unit: str = "session"
    reasoning: bool = False
    min_score: float | None = None
    min_items: tuple[tuple[str, float], ...] = ()
    drop_flagged: bool = False

    @property
    def score_filter(self) -> bool:
        return self.min_score is not None or bool(self.min_items)

    def check(self) -> None:
        """Raises ConfigError for an unknown format, side or unit, reasoning on the client
        side, or a min score outside [0, 1]."""
        if self.fmt not in FORMATS:
            raise ConfigError(f"unknown --format '{self.fmt}': choose {_choices(FORMATS)}")
        if self.side not in SIDES:
            raise ConfigError(f"unknown --side '{self.side}': choose {_choices(SIDES)}")
        if self.unit not in UNITS:
            raise ConfigError(f"unknown --unit '{self.unit}': choose {_choices(UNITS)}")
        if self.reasoning and self.side != "counselor":
            raise ConfigError(
                "--reasoning is for --side counselor only: the client side never carries the "
                "counselor's reasoning"
            )
        if self.min_score is not None and not (0.0 <= self.min_score <= 1.0):
            raise ConfigError(
                f"--min-score {self.min_score:g} is outside 0-1 (the critic's share of the "
                "possible points)"
            )


def parse_min_items(specs: Iterable[str]) -> tuple[tuple[str, float], ...]:
    """``["empathy=4", "safety=2"]`` as ``(("empathy", 4.0), ("safety", 2.0))``.

    Raises:
        ConfigError: not ``NAME=V``, V not a number, or a name given twice.
    """
    out: dict[str, float] = {}
    for spec in specs:
        name, sep, value = (part.strip() for part in spec.partition("="))
        if not sep or not name or not value:
            raise ConfigError(f"--min-item '{spec}': expected NAME=V, e.g. empathy=4")
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(f"--min-item '{spec}': '{value}' is not a number") from None
        if not math.isfinite(number):
            raise ConfigError(f"--min-item '{spec}': '{value}' is not a finite number")
        if name in out:
            raise ConfigError(f"--min-item '{name}' given twice")
        out[name] = number
    return tuple(out.items())


def filters(options: ExportOptions) -> dict[str, object]:
    """The session filters in effect, as recorded in ``export.json`` and the dataset card."""
    out: dict[str, object] = {}
    if options.min_score is not None:
        out["min_score"] = options.min_score
    if options.min_items:
        out["min_items"] = dict(options.min_items)
    if options.drop_flagged:
        out["drop_flagged"] = True
    return out
