"""How the client behaves this turn: engage, or one of its defenses — decided by a policy.

Resistance is not just a word in the client's prompt. Before each client turn a seeded
policy draws a *stance*: ``engage`` or one of the profile's defenses (deny, downplay,
deflect, blame, ...). The chance of defending starts from the profile's resistance level,
falls as rapport builds (the counselor's recent empathic moves, and sessions already
shared) and rises right after directive moves (suggestions, information), to which some
defenses react most. The stance becomes a concrete behavioral instruction in the client's
prompt and is recorded on the client turn.

Hidden facts follow the same logic: a fact's content is not in the client's prompt at all
until the course has reached the fact's ``min_session`` and the client is engaging with
enough rapport; only then is it offered for disclosure. So a resistant client cannot
blurt out its secret in the first exchange, whatever the model does.

The policy reads the counselor's spoken moves through their strategy labels (what an
observer would code from the words). It never reads the counselor's plan, observation or
reasoning, and none of it reaches the client's prompt except the resulting instruction.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from counselsim.labels import Defense, Stance, Strategy
from counselsim.personas.models import ClientProfile, HiddenFact
from counselsim.records import CounselorTurn, Turn

# Chance of defending at rapport 0 in the first session, by resistance level.
BASE_DEFENSE: dict[int, float] = {1: 0.05, 2: 0.2, 3: 0.4, 4: 0.65, 5: 0.85}
# Defenses a profile without its own list falls back to, by resistance level.
DEFAULT_DEFENSES: dict[int, tuple[Defense, ...]] = {
    1: (Defense.DOWNPLAY,),
    2: (Defense.DOWNPLAY,),
    3: (Defense.DOWNPLAY, Defense.DEFLECT),
    4: (Defense.DOWNPLAY, Defense.DEFLECT, Defense.BLAME),
    5: (Defense.DENY, Defense.DEFLECT, Defense.BLAME),
}
EMPATHIC = frozenset({Strategy.REFLECTION, Strategy.RESTATEMENT, Strategy.AFFIRMATION})
DIRECTIVE = frozenset({Strategy.SUGGESTION, Strategy.INFORMATION})
# Defenses that a directive move provokes most ("yes, but", "I'll try" without meaning it).
PROVOKED = frozenset({Defense.HELP_REJECT, Defense.SUSTAIN, Defense.PLEASE, Defense.BLAME})
RAPPORT_WINDOW = 6  # counselor turns looked back on
RAPPORT_RELIEF = 0.6  # full rapport removes this share of the defense chance
SESSION_RELIEF = 0.1  # each earlier session removes this share
DIRECTIVE_PUSH = 0.2  # added right after a directive move
DISCLOSURE_RAPPORT = 0.12  # rapport needed per resistance level above 1 to disclose


class StanceDecision(BaseModel):
    """The policy's outcome for one client turn."""

    model_config = ConfigDict(frozen=True)

    stance: Stance
    rapport: float
    p_defend: float
    disclose: HiddenFact | None = None


def rapport(turns: Sequence[Turn], session_index: int) -> float:
    """Rapport in [0, 1]: how many of the counselor's last ``RAPPORT_WINDOW`` moves this
    session were empathic (so it builds over turns: one reflection is not enough), plus a
    little per session already shared."""
    recent = [t for t in turns if isinstance(t, CounselorTurn)][-RAPPORT_WINDOW:]
    empathic = sum(1 for t in recent if EMPATHIC.intersection(t.strategy))
    return min(1.0, empathic / RAPPORT_WINDOW + 0.1 * (session_index - 1))


def _last_directive(turns: Sequence[Turn]) -> bool:
    last = next((t for t in reversed(turns) if isinstance(t, CounselorTurn)), None)
    return last is not None and bool(DIRECTIVE.intersection(last.strategy))


def defend_probability(profile: ClientProfile, turns: Sequence[Turn], session_index: int) -> float:
    """The chance that the client defends rather than engages on this turn."""
    p = BASE_DEFENSE[profile.resistance]
    p *= 1 - RAPPORT_RELIEF * rapport(turns, session_index)
    p *= max(0.0, 1 - SESSION_RELIEF * (session_index - 1))
    if _last_directive(turns):
        p += DIRECTIVE_PUSH * (profile.resistance - 1) / 4
    return min(0.95, max(0.02, p))


def _disclosable(
    profile: ClientProfile, session_index: int, level: float, rng: random.Random
) -> HiddenFact | None:
    """A fact the course has reached: the most recently unlocked ones first (older ones had
    their sessions), a random one among equals."""
    if level < DISCLOSURE_RAPPORT * (profile.resistance - 1):
        return None
    reached = [h for h in profile.hidden if session_index >= h.min_session]
    if not reached:
        return None
    newest = max(h.min_session for h in reached)
    return rng.choice([h for h in reached if h.min_session == newest])


def choose_stance(
    profile: ClientProfile, turns: Sequence[Turn], session_index: int, seed: int
) -> StanceDecision:
    """Draw this turn's stance (deterministic for a seed) and the fact it may disclose."""
    rng = random.Random(seed)
    level = rapport(turns, session_index)
    p = defend_probability(profile, turns, session_index)
    if rng.random() >= p:
        fact = _disclosable(profile, session_index, level, rng)
        return StanceDecision(stance=Stance.ENGAGE, rapport=level, p_defend=p, disclose=fact)
    defenses = list(profile.defenses) or list(DEFAULT_DEFENSES[profile.resistance])
    if _last_directive(turns):
        defenses = [d for d in defenses if d in PROVOKED] or defenses
    return StanceDecision(
        stance=Stance(rng.choice(defenses).value), rapport=level, p_defend=p, disclose=None
    )
