"""Automatic corpus metrics: LDD and Distinct-n, turn and utterance lengths, minimal
responses, label distributions, repetition and identifier counts.

:func:`load_input` reads an input (sessions.jsonl, PsyDial JSONL, cal_LDD folder or any
dialogue importer format) into :class:`MetricDialogue`; :func:`compute_metrics` measures one
or several inputs; :func:`write_metrics` writes the result as ``metrics.json``. The single
measures are in :mod:`.lexical` (LDD, Distinct-n) and :mod:`.measures` (the rest).
"""

from counselsim.metrics.corpus import MetricDialogue, MetricsError, MetricTurn, load_input
from counselsim.metrics.measures import compute_metrics, write_metrics

__all__ = [
    "MetricDialogue",
    "MetricTurn",
    "MetricsError",
    "compute_metrics",
    "load_input",
    "write_metrics",
]
