"""How well do the evidence detectors fire? Precision and recall on a labelled set, and speed.

``benchmarks/data/evidence_labelled.jsonl`` (see ``evidence_labelled.md``) holds zh and en
turns, each with its context and every detector that should fire on it. Each turn is run
through ``detect_turn`` with its context as history; a detector that fires counts as a true
positive when expected and a false positive otherwise. Per detector and language the script
prints support (expected hits), TP/FP/FN, precision and recall; then micro-averaged figures
per language and overall. ``missed_crisis`` is a session-level finding, not a per-turn one,
so it is not in this table (it is built from ``risk_cue`` and ``risk_question``, which are).

Speed: ``detect_session`` on a synthetic transcript of ``--turns`` turns (labelled texts in
turn, roles alternating), and ``detect_turn`` on each of its turns with the whole history,
as the generation loop would call it.

``--set heldout`` scores ``evidence_heldout.jsonl`` instead: 94 turns written after the
patterns had been tuned on the main set, and scored once, so its figures are the honest
estimate for unseen wording.

Usage:  .venv/bin/python benchmarks/detectors.py [--set labelled|heldout] [--errors]
            [--json OUT.json] [--turns 1000]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from counselsim.critic.evidence import default_engine
from counselsim.labels import Role
from counselsim.records import DialogueTurn

DATA = Path(__file__).parent / "data"
SETS = {
    "labelled": DATA / "evidence_labelled.jsonl",
    "heldout": DATA / "evidence_heldout.jsonl",
    "risk": DATA / "evidence_risk_blind.jsonl",
}


def rows(path: Path) -> list[dict[str, Any]]:
    """The labelled turns of one set."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def fired(row: dict[str, Any]) -> set[str]:
    """The detectors that fire on a labelled row's turn, in its context."""
    history = [DialogueTurn(role=Role(t["role"]), text=t["text"]) for t in row["context"]]
    found = default_engine().detect_turn(row["text"], Role(row["role"]), history, row["lang"])
    return {e.detector for e in found}


def score(data: list[dict[str, Any]]) -> tuple[dict[tuple[str, str], Counter[str]], list[str]]:
    """TP/FP/FN per (detector, language), and one line per wrong row."""
    engine = default_engine()
    turn_level = [d.id for d in engine.catalog.detectors if d.spec.level == "turn"]
    tally: dict[tuple[str, str], Counter[str]] = {}
    errors = []
    for row in data:
        got, want = fired(row), set(row["expect"])
        for det in turn_level:
            c = tally.setdefault((det, row["lang"]), Counter())
            c["tp"] += det in got and det in want
            c["fp"] += det in got and det not in want
            c["fn"] += det in want and det not in got
        if got != want:
            extra, miss = sorted(got - want), sorted(want - got)
            errors.append(f"{row['id']} +{extra} -{miss}  {row['text'][:70]!r}")
    return tally, errors


def ratio(a: int, b: int) -> float | None:
    """a / b, or None when b is 0."""
    return a / b if b else None


def fmt(x: float | None) -> str:
    """A ratio as a 3-decimal figure, '-' when undefined."""
    return "  -  " if x is None else f"{x:.3f}"


def table(tally: dict[tuple[str, str], Counter[str]]) -> dict[str, Any]:
    """Print the per-detector table and the micro averages; return them as data."""
    out: dict[str, Any] = {"detectors": {}, "micro": {}}
    head = ("detector", "lang", "sup", "tp", "fp", "fn", "prec", "rec")
    print("{:20} {:4} {:>4} {:>4} {:>4} {:>4} {:>6} {:>6}".format(*head))
    for (det, lang), c in sorted(tally.items()):
        p, r = ratio(c["tp"], c["tp"] + c["fp"]), ratio(c["tp"], c["tp"] + c["fn"])
        sup = c["tp"] + c["fn"]
        print(
            f"{det:20} {lang:4} {sup:4} {c['tp']:4} {c['fp']:4} {c['fn']:4} {fmt(p):>6} {fmt(r):>6}"
        )
        out["detectors"][f"{det}/{lang}"] = {**c, "precision": p, "recall": r}
    print()
    for lang in ("zh", "en", "all"):
        c = Counter[str]()
        for (_, lg), cc in tally.items():
            if lang in ("all", lg):
                c.update(cc)
        p, r = ratio(c["tp"], c["tp"] + c["fp"]), ratio(c["tp"], c["tp"] + c["fn"])
        print(
            f"micro {lang:3}  tp {c['tp']:4}  fp {c['fp']:4}  fn {c['fn']:4}  "
            f"precision {fmt(p)}  recall {fmt(r)}"
        )
        out["micro"][lang] = {**c, "precision": p, "recall": r}
    return out


def speed(data: list[dict[str, Any]], n: int) -> dict[str, float]:
    """Turns per second of detect_session and of per-turn detect_turn on an n-turn transcript."""
    roles = (Role.COUNSELOR, Role.CLIENT)
    texts = [r["text"] for r in data if r["lang"] == "zh" and r["text"].strip()]
    # every text made unique (texts repeat every len(texts) turns): no scan is a cache hit
    turns = [DialogueTurn(role=roles[i % 2], text=f"{texts[i % len(texts)]} {i}") for i in range(n)]
    engine = default_engine()
    engine.clear_cache()
    t0 = time.perf_counter()
    report = engine.detect_session(turns, "zh")
    session_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(0, n, 10):  # every 10th turn: the loop's cost grows with its history
        engine.detect_turn(turns[i].text, turns[i].role, turns[:i], "zh")
    turn_s = (time.perf_counter() - t0) / len(range(0, n, 10))
    print(
        f"\ndetect_session, {n} zh turns: {session_s:.2f} s = {n / session_s:,.0f} turns/s "
        f"({len(report.evidence)} evidence, {len(report.findings)} findings)"
    )
    print(f"detect_turn with the full history (mean over every 10th turn): {1000 * turn_s:.1f} ms")
    return {"session_turns_per_s": n / session_s, "detect_turn_ms": 1000 * turn_s}


def main() -> None:
    """Run the benchmark."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", choices=sorted(SETS), default="labelled", help="which labelled set")
    ap.add_argument("--errors", action="store_true", help="list the rows the detectors got wrong")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    ap.add_argument("--turns", type=int, default=1000, help="synthetic transcript length")
    args = ap.parse_args()
    data = rows(SETS[args.set])
    print(f"{len(data)} labelled turns ({sum(r['lang'] == 'zh' for r in data)} zh)\n")
    tally, errors = score(data)
    figures = table(tally)
    if args.errors:
        print("\n" + "\n".join(errors))
    figures["speed"] = speed(data, args.turns)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
