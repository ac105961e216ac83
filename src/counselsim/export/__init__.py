"""Fine-tuning data from a run: ``counselsim export`` (the service is
:func:`counselsim.services.export.export_run`).

**Input.** ``DIR/sessions.jsonl`` (or a ``sessions.jsonl`` given directly). One file may hold
many courses: records are grouped by ``course_id`` and ordered by ``session_index``. Client
profiles are looked up by ``profile_id``, optionally: ``run.json`` (``profile``, or
``profiles`` as a list or an id→profile mapping), then ``profiles/<profile_id>.yaml|yml|json``
next to the sessions file. Without one, the system prompt is the generic one (counted).

**Roles.** ``side="counselor"`` (default): the counselor is the assistant and the client the
user. ``side="client"``: the reverse, for a client simulator; its system prompt is built from
the profile (with the hidden facts and when they may be told). User messages only ever hold
spoken words or a bracketed session cue, never a plan or reasoning; the client side never
carries the counselor's plan or reasoning anywhere.

**Shape of a sample.** A system message, then user and assistant strictly alternating,
starting with user and ending with assistant (what LLaMA-Factory's sharegpt converter and
most chat templates require):

- a session whose first turn is the assistant's (a counselor opening, on the counselor side)
  starts with a user cue, ``[Session k of N begins.]`` / ``【第k次咨询开始（共N次）】``;
- consecutive turns of one speaker are merged into one message (a blank line between);
- a trailing user message is dropped; a sample left without an assistant message is skipped
  and counted.

**Units.** ``unit="session"`` (default): one sample per session; the system prompt says which
session of how many it is and, for sessions after the first, carries the earlier sessions'
notes (the scribe's summaries, written from the spoken words only: what the counselor and the
client both know). ``unit="course"``: one sample per course, its sessions in order in one
conversation; every session after the first opens with the bracketed cue (merged into the
client's first words when the client speaks first), and the system prompt states the course
length and carries no notes (the earlier sessions are in the conversation). A course is
exported only when every one of its sessions passes the filters: a course with a missing
session would teach a history that never happened.

**Reasoning** (``reasoning=True``, counselor side only): every assistant message is::

    <think>
    Session plan: stage …; goals: …; approach: …; focus: …   (first message of a session)
    Observation: …
    Client emotion: …
    Strategy: …
    Reasoning: …
    </think>

    REPLY

(labels per language, ``prompts/export/think.{zh,en}.j2``; zh names the Psy-Insight labels in
Chinese). The session plan goes into the first think block of its session, not into the system
prompt: it is the counselor's own hidden step, so a trained model learns to plan, and a course
sample does not reveal later sessions' plans up front. The system prompt then describes the
format. Without reasoning an assistant message is just the reply.

**Chat-template tokens.** Control tokens of chat templates found in a profile or a turn
(``<|im_start|>``, ``<|im_end|>``, ``<|endoftext|>`` and any other ``<|…|>``, ``[INST]``,
``[/INST]``, ``<<SYS>>``, ``<s>``, ``</s>``, ``<start_of_turn>``) are removed from every
message, never copied: a tokenizer would read them as turn boundaries. The summary warns with
their number, and ``export.json`` counts them (``template_tokens_removed``).

**Filters.** The critic score of a session is its share of the possible points,
``Σ(score − min) / Σ(max − min)`` over the rubric's items, in [0, 1] (so 0.75 means three
quarters of the possible points whatever the rubric). ``min_score`` keeps sessions scoring at
least that; ``min_items`` keeps sessions whose named items score at least the given values on
the items' own scales. With any score filter, sessions whose critic failed are excluded. With
``drop_flagged``, sessions with any turn (either role) carrying ``flags`` from the turn checks
or the checklist are excluded. Each excluded session is counted under the first reason that
applies, in this order: critic failed, below min score, item not scored, below min item,
flagged.

**Formats** (every file written atomically; ``export.json`` records options, counts, ids and
the files written, and lets ``overwrite`` remove exactly the previous export's files):

- ``sharegpt``: ``train.jsonl``, ``{"id", "language", "conversations": [{"from":
  "system|human|gpt", "value"}]}``;
- ``openai``: ``train.jsonl``, ``{"messages": [{"role": "system|user|assistant",
  "content"}]}`` and nothing else per line (the fine-tuning API's shape);
- ``llamafactory``: ``counselsim_<side>.jsonl`` (the sharegpt lines) and a
  ``dataset_info.json`` declaring it (formatting ``sharegpt``, column ``messages`` =
  ``conversations``, tags from/value/human/gpt/system): use the folder as ``dataset_dir`` and
  ``dataset: counselsim_<side>``;
- ``hf``: ``data/train.jsonl`` (``messages`` plus metadata: ``id``, ``language``, ``side``,
  ``unit``, ``reasoning``, ``course_id``, ``profile_id``, ``sessions``, ``critic_score``) and
  a ``README.md`` dataset card whose YAML header declares the config, so
  ``datasets.load_dataset(OUT)`` works. JSON Lines rather than Parquet: the same bytes
  whether or not pyarrow is installed, and readable with a text editor.

Sample ids are deterministic: ``course_id#session_index`` (the unit id ``counselsim score``
uses) or ``course_id``.
"""

from counselsim.export.formats import render_files
from counselsim.export.options import (
    FORMATS,
    MANIFEST,
    REASONS,
    SIDES,
    UNITS,
    ExportOptions,
    parse_min_items,
)
from counselsim.export.samples import (
    TEMPLATE_TOKEN_RE,
    ExportStats,
    Message,
    ProfileSource,
    Sample,
    build_samples,
    check_min_items,
    critic_score,
    strip_template_tokens,
)

__all__ = [
    "FORMATS",
    "MANIFEST",
    "REASONS",
    "SIDES",
    "TEMPLATE_TOKEN_RE",
    "UNITS",
    "ExportOptions",
    "ExportStats",
    "Message",
    "ProfileSource",
    "Sample",
    "build_samples",
    "check_min_items",
    "critic_score",
    "parse_min_items",
    "render_files",
    "strip_template_tokens",
]
