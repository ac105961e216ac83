"""``counselsim score``: a rubric on a run directory or an imported corpus, repeated.

Writes ``OUT/scores/<rubric>.jsonl`` (one :class:`~counselsim.records.RubricScore` per unit,
rewritten atomically after each, so a rerun resumes) and ``<rubric>.summary.json`` (per item
the mean over units, the spread between units and the judge's own spread between repeats,
and, given human labels, the agreement with them).
"""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from counselsim.critic.agreement import HumanLabel, agreement
from counselsim.critic.compare import PairJudge
from counselsim.critic.judge import RubricJudge
from counselsim.critic.rubric import Rubric
from counselsim.critic.tally import run_evidence
from counselsim.critic.units import ScoreUnit, units_from_dialogues, units_from_records
from counselsim.errors import DataError
from counselsim.output import RUN_FILE, SESSIONS_FILE, write_atomic
from counselsim.personas.models import ClientProfile
from counselsim.records import Comparison, RubricScore, SessionRecord

log = logging.getLogger(__name__)
SCORES_DIR = "scores"


def _run_profiles(run_dir: Path) -> dict[str, ClientProfile]:
    """Profiles a run directory recorded in its run.json (simulate: ``profile``;
    reconstruct: ``profiles``)."""
    try:
        info = json.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    raw = ([info["profile"]] if "profile" in info else []) + list(info.get("profiles", []))
    out = {}
    for p in raw:
        try:
            prof = ClientProfile.model_validate(p)
        except ValidationError:
            continue
        out[prof.id] = prof
    return out


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text") from None


def read_records(path: Path) -> list[SessionRecord]:
    """Session records of a ``sessions.jsonl``.

    Raises:
        DataError: unreadable, or a line that is not a session record (named by number).
    """
    lines = _lines(path)
    records = []
    for n, line in enumerate(lines, 1):
        if line.strip():
            try:
                records.append(SessionRecord.model_validate_json(line))
            except ValueError:
                raise DataError(f"{path}:{n}: not a counselsim session record") from None
    return records


def load_units(src: Path, fmt: str | None = None) -> list[ScoreUnit]:
    """What to score: a run directory, a ``sessions.jsonl``, or (``fmt``) an imported corpus.

    Raises:
        DataError: missing input, unreadable records, or nothing to score.
    """
    if fmt:
        from counselsim.reconstruction import load_corpus

        dialogues, failures = asyncio.run(load_corpus(src, fmt))
        if failures:
            raise DataError(f"{failures[0]} ({len(failures)} unreadable record(s) in all)")
        units = units_from_dialogues(dialogues)
    elif src.is_dir():
        if not (src / SESSIONS_FILE).is_file():
            raise DataError(f"{src}: no {SESSIONS_FILE} here; give a run directory or --format")
        units = units_from_records(read_records(src / SESSIONS_FILE), _run_profiles(src))
    elif src.is_file():
        units = units_from_records(read_records(src), _run_profiles(src.parent))
    else:
        raise DataError(f"{src}: no such file or directory")
    if not units:
        raise DataError(f"{src}: empty corpus, nothing to score")
    return units


class ScoreFile:
    """``scores/<rubric>.jsonl``: one line per unit, rewritten atomically on every write."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.scores: dict[str, RubricScore] = {}
        if path.exists():
            for n, line in enumerate(_lines(path), 1):
                if line.strip():
                    try:
                        s = RubricScore.model_validate_json(line)
                    except ValueError:
                        raise DataError(f"{path}:{n}: not a rubric score record") from None
                    self.scores[s.unit] = s

    def done(self, unit: str, repeats: int) -> bool:
        """A unit already judged with as many repeats (failed units are judged again)."""
        s = self.scores.get(unit)
        return s is not None and s.repeats == repeats and s.status != "failed"

    def write(self, score: RubricScore) -> None:
        self.scores[score.unit] = score
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, "".join(s.model_dump_json() + "\n" for s in self.scores.values()))


async def run_scoring(
    judge: RubricJudge,
    units: Sequence[ScoreUnit],
    out_dir: Path,
    repeats: int,
    seed: int = 0,
    on_done: Callable[[RubricScore], None] | None = None,
) -> list[RubricScore]:
    """Judge every unit not already in the score file; returns the scores of ``units``."""
    name = judge.rubric.name.replace(":", "-")
    sink = ScoreFile(out_dir / SCORES_DIR / f"{name}.jsonl")
    for unit in units:
        if sink.done(unit.id, repeats):
            continue
        score = await judge.score(unit, repeats, seed)
        await asyncio.to_thread(sink.write, score)
        if on_done is not None:
            on_done(score)
    return [sink.scores[u.id] for u in units if u.id in sink.scores]


def summarize(
    rubric: Rubric, scores: Sequence[RubricScore], human: Sequence[HumanLabel] | None = None
) -> dict[str, Any]:
    """Per value over the units: mean, spread between units, the judge's mean spread between
    repeats; counts of scored, partial and failed units; agreement with human labels."""
    ok = [s for s in scores if s.status != "failed"]
    out: dict[str, Any] = {
        "rubric": rubric.name,
        "units": len(scores),
        "scored": sum(s.status == "scored" for s in scores),
        "partial": sum(s.status == "partial" for s in scores),
        "failed": sum(s.status == "failed" for s in scores),
        "repeats": max((s.repeats for s in scores), default=0),
    }
    for part in ("items", "groups", "counts", "ratios"):
        keys = dict.fromkeys(k for s in ok for k in getattr(s, part))
        block = {}
        for k in keys:
            stats = [getattr(s, part)[k] for s in ok if k in getattr(s, part)]
            means = [st.mean for st in stats]
            block[k] = {
                "mean": round(statistics.fmean(means), 4),
                "sd_between_units": round(statistics.stdev(means), 4) if len(means) > 1 else 0.0,
                "judge_sd": round(statistics.fmean(st.sd for st in stats), 4),
                "n": len(means),
            }
        out[part] = block
    out["evidence"] = run_evidence(s.evidence for s in scores).model_dump(mode="json")
    if human:
        judged = {(s.unit, k): st.mean for s in ok for k, st in s.items.items()}
        bounds = {d.name: (d.min, d.max) for d in rubric.dimensions}
        for phase in ("pre", "post"):  # a before/after rubric's items carry their phase
            bounds |= {f"{phase}.{d.name}": (d.min, d.max) for d in rubric.dimensions}
        out["agreement"] = agreement(judged, list(human), bounds)
    return out


def write_summary(summary: dict[str, Any], out_dir: Path) -> Path:
    """Write ``scores/<rubric>.summary.json`` atomically."""
    path = out_dir / SCORES_DIR / f"{summary['rubric'].replace(':', '-')}.summary.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    return path


def pair_units(
    a: Sequence[ScoreUnit], b: Sequence[ScoreUnit]
) -> tuple[list[tuple[ScoreUnit, ScoreUnit]], list[str]]:
    """Units of two runs matched by persona and session (or dialogue id); the keys found on
    one side only are returned too, to be reported."""
    by_key = {u.pair_key: u for u in b}
    pairs = [(u, by_key[u.pair_key]) for u in a if u.pair_key in by_key]
    matched = {x.pair_key for x, _ in pairs}
    unmatched = [u.pair_key for u in [*a, *b] if u.pair_key not in matched]
    return pairs, unmatched


async def run_comparison(
    judge: PairJudge,
    pairs: Sequence[tuple[ScoreUnit, ScoreUnit]],
    out_dir: Path,
    repeats: int,
    seed: int = 0,
    on_done: Callable[[Comparison], None] | None = None,
) -> list[Comparison]:
    """Compare every pair not already in ``scores/<rubric>.compare.jsonl`` (rewritten
    atomically after each)."""
    path = out_dir / SCORES_DIR / f"{judge.rubric.name.replace(':', '-')}.compare.jsonl"
    done: dict[tuple[str, str], Comparison] = {}
    if path.exists():
        for n, line in enumerate(_lines(path), 1):
            if line.strip():
                try:
                    c = Comparison.model_validate_json(line)
                except ValueError:
                    raise DataError(f"{path}:{n}: not a comparison record") from None
                done[(c.unit_a, c.unit_b)] = c
    for a, b in pairs:
        old = done.get((a.id, b.id))
        if old is not None and old.repeats == repeats and old.status != "failed":
            continue
        done[(a.id, b.id)] = await judge.compare(a, b, repeats, seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "".join(c.model_dump_json() + "\n" for c in done.values())
        await asyncio.to_thread(write_atomic, path, text)
        if on_done is not None:
            on_done(done[(a.id, b.id)])
    return [done[(a.id, b.id)] for a, b in pairs]


def summarize_comparisons(rubric: Rubric, comparisons: Sequence[Comparison]) -> dict[str, Any]:
    """Per item: A's wins, B's wins, ties and A's win rate (a tie counts half); the mean
    position consistency and the pooled first-position rate over the pairs."""
    ok = [c for c in comparisons if c.status != "failed"]
    items = {}
    for d in rubric.dimensions:
        a = sum(c.wins[d.name]["a"] for c in ok)
        b = sum(c.wins[d.name]["b"] for c in ok)
        tie = sum(c.wins[d.name]["tie"] for c in ok)
        n = a + b + tie
        items[d.name] = {
            "a": a,
            "b": b,
            "tie": tie,
            "a_win_rate": round((a + tie / 2) / n, 4) if n else None,
        }
    consistency = [c.position_consistency for c in ok if c.position_consistency is not None]
    first = [c.first_position_rate for c in ok if c.first_position_rate is not None]
    return {
        "rubric": rubric.name,
        "pairs": len(comparisons),
        "failed": len(comparisons) - len(ok),
        "items": items,
        "position_consistency": round(statistics.fmean(consistency), 4) if consistency else None,
        "first_position_rate": round(statistics.fmean(first), 4) if first else None,
    }
