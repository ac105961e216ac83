"""What each role may see: the agents' transcripts are turned into model input here.

- the client sees the spoken words only, plus its own memories;
- the counselor sees the spoken words, the intake, its plan and its current thought;
- the scribe (session notes) sees the spoken words only, so client memory never holds
  the counselor's hidden reasoning;
- the critic sees what its rubric's ``view`` allows: the words, with the strategy and
  emotion labels for an ``annotated`` rubric, never the reasoning
  (:func:`counselsim.critic.units.unit_text`, which numbers the turns for citations).
"""

from __future__ import annotations

from collections.abc import Sequence

from counselsim.labels import Role
from counselsim.personas.models import ClientProfile
from counselsim.records import Turn

SPEAKER = {
    "zh": {Role.COUNSELOR: "咨询师", Role.CLIENT: "来访者"},
    "en": {Role.COUNSELOR: "Counselor", Role.CLIENT: "Client"},
}


def window(turns: Sequence[Turn], size: int) -> Sequence[Turn]:
    """At most ``size`` recent turns, so prompts stay bounded however long a session runs.

    The window's start moves in steps of half its size, not by one turn per call: between
    steps each prompt extends the previous one, so a server's prefix cache (or llama.cpp's KV
    reuse) skips the transcript already seen. The view holds between ``size // 2 + 1`` and
    ``size`` turns.
    """
    if size <= 0 or len(turns) <= size:
        return turns
    step = max(1, size // 2)
    start = -(-(len(turns) - size) // step) * step  # the first multiple of step that fits
    return turns[start:]


def spoken_text(turns: Sequence[Turn], lang: str) -> str:
    """A plain transcript of the spoken words, one ``Speaker: text`` line per turn."""
    names = SPEAKER[lang]
    return "\n".join(f"{names[t.role]}: {t.text}" for t in turns)


def intake(profile: ClientProfile) -> dict[str, object]:
    """What a counselor knows before meeting the client: an intake, not the inner profile."""
    d = profile.demographics
    return {
        "age_range": d.age_range,
        "gender": d.gender,
        "occupation": d.occupation,
        "presenting_problem": profile.presenting_problem,
        "risk_flags": [r.value for r in profile.risk_flags],
    }
