"""Can the judge tell a good counselor reply from a bad one, sampled vs G-Eval?

Runs ``counselsim judge validate`` (:mod:`counselsim.services.judge_validate`) on the
shipped known-groups set (30 scenarios × zh/en = 60 pairs over 10 failure kinds) for each
rubric, with G-Eval asked for, and prints per item the known-groups accuracy (good above
bad, a tie counts half: 0.5 = chance) and the mean good-minus-bad gap, each with its 95 %
bootstrap CI, by the sampled score and by G-Eval side by side (both from the same judge
calls), plus the seconds per judge call. Judgements are kept in ``--out`` so a stopped run
resumes.

Usage:  .venv/bin/python benchmarks/judge_probe.py [--rubric core --rubric safety]
            [--language zh] [--limit N] [--per-kind N] [--out DIR]
            [--base-url URL --model NAME | --model-path F.gguf]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from counselsim.critic.validation.models import ValidationReport
from counselsim.critic.validation.tables import interval
from counselsim.labels import ScoreMethod
from counselsim.personas.models import Language
from counselsim.services.compose import build_judge_llm
from counselsim.services.judge_validate import ValidateOptions, plan_validate, validate
from counselsim.services.options import ModelFlags

HEAD = ("item", "pairs", "acc sampled", "acc G-Eval", "acc +bounds", "gap sampled",
        "gap G-Eval", "gap +bounds")  # fmt: skip


def rows(report: ValidationReport) -> list[tuple[str, ...]]:
    """Per item: pairs, then accuracy and gap by the sampled score, by G-Eval, and by the
    better of them bounded by the evidence (— where a method did not run)."""
    by = {(kg.method, kg.bounded, it.item): it for kg in report.known_groups for it in kg.items}
    bounded = {item: it for (_, b, item), it in by.items() if b}
    out = []
    for (method, b, item), s in by.items():
        if (method, b) != ("sampled", False):
            continue
        got = [s, by.get(("geval", False, item)), bounded.get(item)]
        out.append(
            (
                item,
                str(s.n),
                *(interval(g.accuracy if g else None) for g in got),
                *(interval(g.gap if g else None) for g in got),
            )
        )
    return out


def show(report: ValidationReport, seconds_per_call: float | None) -> None:
    """The figures as a plain table."""
    print(f"\n{report.rubric} on {report.model}: {report.dataset.pairs} pairs")
    widths = (16, 6, *(22,) * 6)
    print("".join(h.ljust(w) for h, w in zip(HEAD, widths, strict=True)))
    for row in rows(report):
        print("".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
    m = report.methods
    print(f"judgements: {m.geval} G-Eval, {m.sampled} sampled, {m.failed} failed")
    for cause, n in m.fallbacks.items():
        print(f"  G-Eval fell back ({n}): {cause}")
    if seconds_per_call is not None:
        print(f"{seconds_per_call:.1f} s per judge call")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rubric", action="append", help="default: core, safety")
    parser.add_argument("--language", type=Language, choices=list(Language))
    parser.add_argument("--limit", type=int, help="only the first N scenarios")
    parser.add_argument("--per-kind", type=int, help="only the first N scenarios of each kind")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "judge-probe")
    parser.add_argument("--model-path", type=Path)
    parser.add_argument("--base-url")
    parser.add_argument("--model")
    args = parser.parse_args()
    flags = ModelFlags(model_path=args.model_path, base_url=args.base_url, model=args.model)
    llm = build_judge_llm(flags.resolve())  # loaded once, shared by every rubric's judge
    for name in args.rubric or ["core", "safety"]:
        opts = ValidateOptions(
            args.out / name,
            name,
            ScoreMethod.GEVAL,
            language=args.language,
            limit=args.limit,
            per_kind=args.per_kind,
            model=flags,
        )
        job = plan_validate(opts)
        started, calls = time.perf_counter(), llm.usage.calls
        result = asyncio.run(validate(job, llm=llm))
        fresh = llm.usage.calls - calls  # 0 when every reply was already judged
        show(result.report, (time.perf_counter() - started) / fresh if fresh else None)


if __name__ == "__main__":
    main()
