"""Compare two golden ``sessions.jsonl`` files with the fields the evidence work added taken
out, so a regenerated golden file shows only the differences it should (issue 12).

    python -m tests.golden.diff_golden OLD.jsonl NEW.jsonl [--explained]

Removed before comparing: per turn ``evidence``; per record ``evidence``; per critic score
``judge_score``, ``bounded_by``, ``citations_ok``, ``bad_citations``. What is left is printed
as ``path: old -> new`` per differing leaf value (exit 1 if any).

``--explained`` also sets aside, and counts, the differences with a known cause: the checks of
the principles added to the checklists (the role-confusion rules), the hashes of the critic
prompts that changed (they ask for turn citations), and the session critic's scores and
rationales (the simulated server's answer is a function of the request, and the critic's
request changed with its prompt).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ADDED_TURN = ("evidence",)
ADDED_RECORD = ("evidence",)
ADDED_SCORE = ("judge_score", "bounded_by", "citations_ok", "bad_citations")


def strip(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` without the fields the evidence work added."""
    out = {k: v for k, v in record.items() if k not in ADDED_RECORD}
    out["turns"] = [{k: v for k, v in t.items() if k not in ADDED_TURN} for t in record["turns"]]
    critic = dict(record["critic"])
    critic["scores"] = [
        {k: v for k, v in s.items() if k not in ADDED_SCORE} for s in critic.get("scores", [])
    ]
    out["critic"] = critic
    return out


def leaves(value: Any, path: str = "") -> dict[str, Any]:
    """Every leaf value of a JSON value by its path."""
    if isinstance(value, dict):
        return {
            k: v for key, item in value.items() for k, v in leaves(item, f"{path}.{key}").items()
        }
    if isinstance(value, list):
        return {
            k: v for i, item in enumerate(value) for k, v in leaves(item, f"{path}[{i}]").items()
        }
    return {path: value}


def differences(old: Path, new: Path) -> list[str]:
    """``path: old -> new`` for every leaf that differs once the added fields are removed."""
    a = [strip(json.loads(line)) for line in old.read_text(encoding="utf-8").splitlines()]
    b = [strip(json.loads(line)) for line in new.read_text(encoding="utf-8").splitlines()]
    if len(a) != len(b):
        return [f"records: {len(a)} -> {len(b)}"]
    out = []
    for n, (x, y) in enumerate(zip(a, b, strict=True)):
        lx, ly = leaves(x, f"[{n}]"), leaves(y, f"[{n}]")
        for key in dict.fromkeys([*lx, *ly]):
            if lx.get(key, "<absent>") != ly.get(key, "<absent>"):
                out.append(f"{key}: {lx.get(key, '<absent>')!r} -> {ly.get(key, '<absent>')!r}")
    return out


NEW_PRINCIPLES = {"no_regreeting", "own_words", "right_address", "no_ai_speech", "no_refusal"}
CHANGED_PROMPTS = ("critic/score.", "critic/judge.")


def explained(old: Path, new: Path) -> tuple[dict[str, int], list[str]]:
    """The differences sorted into known causes (counted) and the rest (listed)."""
    causes = {"checks of the new principles": 0, "critic prompt hashes": 0, "session critic": 0}
    new_checks = {
        f"[{n}].turns[{i}].checks[{k}]"
        for n, line in enumerate(new.read_text(encoding="utf-8").splitlines())
        for i, turn in enumerate(json.loads(line)["turns"])
        for k, c in enumerate(turn["checks"])
        if c["principle"] in NEW_PRINCIPLES
    }
    rest = []
    for d in differences(old, new):
        path = d.split(": ", 1)[0]
        if path.rsplit(".", 1)[0] in new_checks:
            causes["checks of the new principles"] += 1
        elif ".prompt_hashes." in path and any(p in path for p in CHANGED_PROMPTS):
            causes["critic prompt hashes"] += 1
        elif ".critic.scores[" in path:
            causes["session critic"] += 1
        else:
            rest.append(d)
    return causes, rest


if __name__ == "__main__":
    old, new = Path(sys.argv[1]), Path(sys.argv[2])
    if "--explained" in sys.argv:
        causes, found = explained(old, new)
        for cause, n in causes.items():
            print(f"{n:5d} differing values: {cause}")
        print(f"{len(found):5d} differing values: anything else")
    else:
        found = differences(old, new)
    print("\n".join(found) or "identical once the added fields are removed")
    sys.exit(1 if found else 0)
