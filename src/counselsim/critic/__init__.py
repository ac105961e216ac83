"""Rubrics as data files, and the critic that applies them."""

from counselsim.critic.rubric import Dimension, Rubric, RubricView, load_rubric

__all__ = ["Dimension", "Rubric", "RubricView", "load_rubric"]
