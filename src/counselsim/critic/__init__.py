"""The critic: every judging layer (see ``critic/README.md``).

In the loop, on every attempt of a generated turn: form checks (:mod:`.form`), rules
(:mod:`.rules`), the checklist (:mod:`.checklist`), reconstruction's turn checks
(:mod:`.turn_check`), run by one check-and-retry loop (:mod:`.loop`). After the fact: the
session judge (:mod:`.session_judge`), the rubric judge (:mod:`.judge`), pairwise comparison
(:mod:`.compare`) and agreement with people (:mod:`.agreement`).

Only the rubric is imported here: the layers that call a model import the agents' deps, and
the agents import the loop, so each layer is imported from its own module.
"""

from counselsim.critic.rubric import Dimension, Rubric, RubricView, load_rubric

__all__ = ["Dimension", "Rubric", "RubricView", "load_rubric"]
