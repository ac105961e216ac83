"""Automatic corpus metrics: LDD and Distinct-n, turn and utterance lengths, minimal
responses, label distributions, repetition and identifier counts.

:func:`load_input` reads an input (sessions.jsonl, PsyDial JSONL, cal_LDD folder or any
dialogue importer format) into :class:`MetricDialogue`; :func:`compute_metrics` measures one
or several inputs; :func:`write_metrics` writes the result as ``metrics.json``.
"""

from counselsim.metrics.corpus import MetricDialogue, MetricsError, MetricTurn, load_input
from counselsim.metrics.lexical import LDD, LDDAt, distinct, ldd, ldd_at, ldd_tokens, words
from counselsim.metrics.measures import (
    BACKCHANNELS,
    BRIEF_CJK_CHARS,
    BRIEF_EN_WORDS,
    NEAR_REPEAT,
    avg_turns,
    compute_metrics,
    identifier_counts,
    is_backchannel,
    is_brief_reflection,
    label_distribution,
    minimal_response,
    placeholders,
    repetition,
    sentences,
    turn_counts,
    utterance_length,
    write_metrics,
)

__all__ = [
    "BACKCHANNELS",
    "BRIEF_CJK_CHARS",
    "BRIEF_EN_WORDS",
    "LDD",
    "NEAR_REPEAT",
    "LDDAt",
    "MetricDialogue",
    "MetricTurn",
    "MetricsError",
    "avg_turns",
    "compute_metrics",
    "distinct",
    "identifier_counts",
    "is_backchannel",
    "is_brief_reflection",
    "label_distribution",
    "ldd",
    "ldd_at",
    "ldd_tokens",
    "load_input",
    "minimal_response",
    "placeholders",
    "repetition",
    "sentences",
    "turn_counts",
    "utterance_length",
    "words",
    "write_metrics",
]
