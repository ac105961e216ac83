"""``counselsim export``: a run directory as supervised fine-tuning data.

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

from __future__ import annotations

import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from counselsim import __version__
from counselsim.errors import ConfigError, DataError, OutputError, ProfileError, field_error
from counselsim.jsonl import json_lines
from counselsim.labels import Role
from counselsim.output import RUN_FILE, SESSIONS_FILE, write_atomic
from counselsim.personas.models import ClientProfile
from counselsim.prompts import PromptLibrary
from counselsim.records import ClientTurn, CounselorTurn, CriticReport, SessionPlan, SessionRecord

FORMATS = ("sharegpt", "openai", "llamafactory", "hf")
SIDES = ("counselor", "client")
UNITS = ("session", "course")
MANIFEST = "export.json"
PROFILES_DIR = "profiles"
_EPS = 1e-9  # score comparisons: 0.7 must pass --min-score 0.7 despite float rounding

# Why a session was left out, in the order they are checked, with the words the summary uses.
REASONS = {
    "critic_failed": "critic failed",
    "below_min_score": "below --min-score",
    "item_not_scored": "--min-item not scored",
    "below_min_item": "below --min-item",
    "flagged": "flagged turns",
}
SHAREGPT_ROLE = {"system": "system", "user": "human", "assistant": "gpt"}
MessageRole = Literal["system", "user", "assistant"]


def _choices(values: Sequence[str]) -> str:
    return ", ".join(values[:-1]) + f" or {values[-1]}"


@dataclass(frozen=True)
class ExportOptions:
    """What to export and which sessions to keep (see the module docstring)."""

    fmt: str
    side: str = "counselor"
    unit: str = "session"
    reasoning: bool = False
    min_score: float | None = None
    min_items: tuple[tuple[str, float], ...] = ()
    drop_flagged: bool = False

    @property
    def score_filter(self) -> bool:
        return self.min_score is not None or bool(self.min_items)

    def check(self) -> None:
        """Raises ConfigError for an unknown format, side or unit, reasoning on the client
        side, or a min score outside [0, 1]."""
        if self.fmt not in FORMATS:
            raise ConfigError(f"unknown --format '{self.fmt}': choose {_choices(FORMATS)}")
        if self.side not in SIDES:
            raise ConfigError(f"unknown --side '{self.side}': choose {_choices(SIDES)}")
        if self.unit not in UNITS:
            raise ConfigError(f"unknown --unit '{self.unit}': choose {_choices(UNITS)}")
        if self.reasoning and self.side != "counselor":
            raise ConfigError(
                "--reasoning is for --side counselor only: the client side never carries the "
                "counselor's reasoning"
            )
        if self.min_score is not None and not (0.0 <= self.min_score <= 1.0):
            raise ConfigError(
                f"--min-score {self.min_score:g} is outside 0-1 (the critic's share of the "
                "possible points)"
            )


def parse_min_items(specs: Iterable[str]) -> tuple[tuple[str, float], ...]:
    """``["empathy=4", "safety=2"]`` as ``(("empathy", 4.0), ("safety", 2.0))``.

    Raises:
        ConfigError: not ``NAME=V``, V not a number, or a name given twice.
    """
    out: dict[str, float] = {}
    for spec in specs:
        name, sep, value = (part.strip() for part in spec.partition("="))
        if not sep or not name or not value:
            raise ConfigError(f"--min-item '{spec}': expected NAME=V, e.g. empathy=4")
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(f"--min-item '{spec}': '{value}' is not a number") from None
        if not math.isfinite(number):
            raise ConfigError(f"--min-item '{spec}': '{value}' is not a finite number")
        if name in out:
            raise ConfigError(f"--min-item '{name}' given twice")
        out[name] = number
    return tuple(out.items())


# --- reading ----------------------------------------------------------------------------------


@dataclass
class RunData:
    """The session records of a run and what else the run directory says about them."""

    sessions_path: Path
    records: list[SessionRecord]
    run_dir: Path
    run_info: dict[str, Any]

    @property
    def planned_sessions(self) -> int:
        """Sessions per course from run.json's config (0 when not recorded)."""
        config = self.run_info.get("config")
        sessions = config.get("sessions") if isinstance(config, dict) else None
        return sessions if isinstance(sessions, int) and sessions > 0 else 0

    def courses(self) -> dict[str, list[SessionRecord]]:
        """Records per course, each in session order (courses in id order)."""
        out: dict[str, list[SessionRecord]] = {}
        for rec in self.records:
            out.setdefault(rec.course_id, []).append(rec)
        return out


def load_run(src: Path) -> RunData:
    """Read a run directory's ``sessions.jsonl`` (or that file given directly).

    Raises:
        DataError: missing, unreadable, a bad or duplicated line (``file:line``), or empty.
    """
    if src.is_dir():
        path, run_dir = src / SESSIONS_FILE, src
        if not path.is_file():
            raise DataError(f"{src}: no {SESSIONS_FILE} here; give a run directory or the file")
    elif src.is_file():
        path, run_dir = src, src.parent
    else:
        raise DataError(f"{src}: no such file or directory")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror}") from None
    records: list[SessionRecord] = []
    seen: dict[tuple[str, int], int] = {}
    for n, value, reason in json_lines(raw):
        if reason is not None:
            raise DataError(f"{path}:{n}: {reason}")
        try:
            rec = SessionRecord.model_validate(value)
        except ValidationError as exc:
            loc, msg = field_error(exc)
            raise DataError(f"{path}:{n}: not a session record: field '{loc}': {msg}") from None
        key = (rec.course_id, rec.session_index)
        if key in seen:
            raise DataError(
                f"{path}:{n}: session {rec.course_id}#{rec.session_index} "
                f"is already on line {seen[key]}"
            )
        seen[key] = n
        records.append(rec)
    if not records:
        raise DataError(f"{path}: no session records")
    records.sort(key=lambda r: (r.course_id, r.session_index))
    return RunData(path, records, run_dir, _read_run_info(run_dir))


def _read_run_info(run_dir: Path) -> dict[str, Any]:
    """``run.json`` as a mapping; ``{}`` when absent or unreadable (it is optional here)."""
    try:
        info = json.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return info if isinstance(info, dict) else {}


class ProfileSource:
    """Client profiles by id: ``run.json`` first, then ``profiles/<id>.{yaml,yml,json}``.
    Anything missing or invalid is simply not found (the export degrades to a generic
    system prompt)."""

    def __init__(self, run: RunData) -> None:
        self._dir = run.run_dir / PROFILES_DIR
        self._known: dict[str, ClientProfile | None] = {}
        info = run.run_info
        raw: list[Any] = [info["profile"]] if "profile" in info else []
        listed = info.get("profiles")
        raw += list(listed.values()) if isinstance(listed, dict) else []
        raw += listed if isinstance(listed, list) else []
        for item in raw:
            try:
                profile = ClientProfile.model_validate(item)
            except ValidationError:
                continue
            self._known.setdefault(profile.id, profile)

    def get(self, profile_id: str) -> ClientProfile | None:
        if profile_id not in self._known:
            self._known[profile_id] = self._from_folder(profile_id)
        return self._known[profile_id]

    def _from_folder(self, profile_id: str) -> ClientProfile | None:
        from counselsim.personas import load_profile

        for suffix in (".yaml", ".yml", ".json"):
            path = self._dir / f"{profile_id}{suffix}"
            if path.is_file():
                try:
                    profile = load_profile(path)
                except ProfileError:
                    return None
                return profile if profile.id == profile_id else None
        return None


# --- scores and filters -----------------------------------------------------------------------


def critic_score(report: CriticReport) -> float | None:
    """The critic's share of the possible points, ``Σ(score − min) / Σ(max − min)`` in [0, 1];
    None when the critic failed (or its items have no range)."""
    if report.status != "scored":
        return None
    span = sum(s.max - s.min for s in report.scores)
    if span <= 0:
        return None
    return sum(s.score - s.min for s in report.scores) / span


def rubric_items(records: Sequence[SessionRecord]) -> dict[str, tuple[float, float]]:
    """Items (name → (min, max)) of the rubrics the records were scored on: the packaged
    rubrics they name, plus every item that appears in a score."""
    from counselsim.critic.rubric import list_rubrics, load_rubric

    items: dict[str, tuple[float, float]] = {}
    packaged = set(list_rubrics())
    for name in sorted({r.critic.rubric for r in records} & packaged):
        for d in load_rubric(name).dimensions:
            items.setdefault(d.name, (d.min, d.max))
    for r in records:
        for s in r.critic.scores:
            items.setdefault(s.dimension, (s.min, s.max))
    return items


def check_min_items(options: ExportOptions, records: Sequence[SessionRecord]) -> None:
    """Raises ConfigError for a ``min_items`` name the records' rubric does not have, or a
    value outside the item's range (nothing could pass, or everything would)."""
    if not options.min_items:
        return
    items = rubric_items(records)
    rubrics = ", ".join(sorted({r.critic.rubric for r in records}))
    for name, value in options.min_items:
        if name not in items:
            known = ", ".join(sorted(items)) or "none scored"
            raise ConfigError(
                f"--min-item '{name}': not an item of the critic's rubric ({rubrics}); "
                f"items: {known}"
            )
        lo, hi = items[name]
        if not lo <= value <= hi:
            raise ConfigError(
                f"--min-item {name}={value:g}: outside the item's range {lo:g}-{hi:g}"
            )


def exclusion(record: SessionRecord, options: ExportOptions) -> str | None:
    """Why ``record`` is left out (a key of ``REASONS``), or None to keep it."""
    if options.score_filter:
        if record.critic.status != "scored":
            return "critic_failed"
        if options.min_score is not None:
            score = critic_score(record.critic)
            if score is None or score < options.min_score - _EPS:
                return "below_min_score"
        scores = {s.dimension: s.score for s in record.critic.scores}
        for name, _ in options.min_items:
            if name not in scores:
                return "item_not_scored"
        for name, value in options.min_items:
            if scores[name] < value - _EPS:
                return "below_min_item"
    if options.drop_flagged and any(t.flags for t in record.turns):
        return "flagged"
    return None


# --- samples ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    role: MessageRole
    content: str


@dataclass
class Sample:
    """One training conversation: a session, or a whole course."""

    id: str
    course_id: str
    profile_id: str
    language: str
    sessions: list[int]
    critic_score: float | None
    messages: list[Message]
    generic_system: bool = False


# Chat-template control tokens. A tokenizer reads them in training text as the special tokens
# that delimit turns, so a profile or a turn holding "<|im_end|>" would end a message early or
# open a new role. They are removed rather than escaped: an escaped form still teaches the model
# to write a near-token, and nothing a counselor or a client says needs one.
TEMPLATE_TOKEN_RE = re.compile(
    r"<\|[A-Za-z0-9_]{1,40}\|>"  # ChatML, Llama 3, Phi: <|im_start|>, <|eot_id|>, <|endoftext|>
    r"|\[/?INST\]|<</?SYS>>"  # Llama 2, Mistral
    r"|</?s>"  # SentencePiece BOS/EOS
    r"|<(?:start|end)_of_turn>"  # Gemma
)


def strip_template_tokens(messages: Sequence[Message]) -> tuple[list[Message], int]:
    """``messages`` with every :data:`TEMPLATE_TOKEN_RE` match removed, and how many were."""
    removed = 0
    out: list[Message] = []
    for m in messages:
        text, n = TEMPLATE_TOKEN_RE.subn("", m.content)
        removed += n
        out.append(Message(m.role, text) if n else m)
    return out, removed


@dataclass
class ExportStats:
    """What was read, left out and skipped."""

    sessions_read: int = 0
    courses_read: int = 0
    excluded: Counter[str] = field(default_factory=Counter)
    courses_dropped: int = 0
    no_assistant: int = 0
    generic_system: int = 0
    languages: Counter[str] = field(default_factory=Counter)
    template_tokens: int = 0

    def filtered_text(self) -> str:
        parts = [f"{self.excluded[k]} {v}" for k, v in REASONS.items() if self.excluded[k]]
        return ", ".join(parts) or "none"


@dataclass(frozen=True)
class _Said:
    """An assistant turn, with the session plan when it opens its session (reasoning)."""

    turn: CounselorTurn | ClientTurn
    plan: SessionPlan | None = None


_PROMPTS = PromptLibrary()


def render(step: str, lang: str, **ctx: Any) -> str:
    """Render ``prompts/export/{step}.{lang}.j2`` (strict: a missing variable is an error)."""
    return _PROMPTS.render_text("export", step, lang, **ctx)


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v.strip()))


class SampleBuilder:
    """Turns the records of one course into samples for ``options`` (filters applied by
    :func:`build_samples`)."""

    def __init__(self, options: ExportOptions, profiles: ProfileSource, planned: int) -> None:
        self.options = options
        self.profiles = profiles
        self.planned = planned
        self.assistant = Role.COUNSELOR if options.side == "counselor" else Role.CLIENT

    def course_length(self, course: Sequence[SessionRecord]) -> int:
        return max(self.planned, max(r.session_index for r in course))

    def build(self, course: Sequence[SessionRecord], sessions: Sequence[SessionRecord]) -> Sample:
        """One sample from ``sessions`` (one session, or all of ``course``)."""
        first = sessions[0]
        lang, n = first.language, self.course_length(course)
        per_course = self.options.unit == "course"
        profile = self.profiles.get(first.profile_id)
        index = None if per_course else first.session_index
        notes = (
            []
            if per_course
            else [r.summary for r in course if r.session_index < first.session_index]
        )
        system = self.system_prompt(lang, profile, index, n, notes)
        messages = [Message("system", system), *self.conversation(sessions, n, lang)]
        scores = [s for s in (critic_score(r.critic) for r in sessions) if s is not None]
        return Sample(
            id=first.course_id if per_course else f"{first.course_id}#{first.session_index}",
            course_id=first.course_id,
            profile_id=first.profile_id,
            language=lang,
            sessions=[r.session_index for r in sessions],
            critic_score=round(sum(scores) / len(scores), 4) if scores else None,
            messages=messages,
            generic_system=profile is None,
        )

    def system_prompt(
        self,
        lang: str,
        profile: ClientProfile | None,
        session_index: int | None,
        n_sessions: int,
        notes: list[str],
    ) -> str:
        ctx: dict[str, Any] = {
            "session_index": session_index,
            "n_sessions": n_sessions,
            "notes": [n for n in notes if n.strip()],
        }
        if self.options.side == "client":
            data = profile.model_dump(mode="json") if profile else None
            return render("client_system", lang, profile=data, **ctx)
        from counselsim.agents.views import intake

        system = render(
            "counselor_system", lang, intake=intake(profile) if profile else None, **ctx
        )
        if self.options.reasoning:
            system += "\n" + render("reasoning_format", lang)
        return system

    def conversation(
        self, sessions: Sequence[SessionRecord], n_sessions: int, lang: str
    ) -> list[Message]:
        """User and assistant messages, alternating, from user to assistant."""
        events: list[tuple[MessageRole, str | _Said]] = []
        for i, rec in enumerate(sessions):
            turns = [t for t in rec.turns if t.text.strip()]
            opens_with_assistant = bool(turns) and turns[0].role == self.assistant
            if opens_with_assistant or (self.options.unit == "course" and i > 0):
                cue = render(
                    "session_start", lang, session_index=rec.session_index, n_sessions=n_sessions
                )
                events.append(("user", cue))
            plan: SessionPlan | None = rec.plan if self.options.reasoning else None
            for t in turns:
                if t.role == self.assistant:
                    events.append(
                        ("assistant", _Said(t, plan if isinstance(t, CounselorTurn) else None))
                    )
                    if isinstance(t, CounselorTurn):
                        plan = None
                else:
                    events.append(("user", t.text.strip()))
        messages: list[Message] = []
        for role, group in itertools.groupby(events, key=lambda e: e[0]):
            items = [item for _, item in group]
            if role == "user":
                content = "\n\n".join(i for i in items if isinstance(i, str))
            else:
                content = self.assistant_content([i for i in items if isinstance(i, _Said)], lang)
            messages.append(Message(role, content))
        if messages and messages[-1].role == "user":
            messages.pop()  # nothing to learn from a line no one answers
        return messages

    def assistant_content(self, said: list[_Said], lang: str) -> str:
        text = "\n\n".join(s.turn.text.strip() for s in said)
        # a trainee's turns (practice) carry no reasoning to learn from: plain text
        turns = [s.turn for s in said if isinstance(s.turn, CounselorTurn)]
        turns = [t for t in turns if t.author == "agent"]
        if not (self.options.reasoning and turns):
            return text
        thought = {
            "observation": " ".join(_unique(t.observation for t in turns if t.observation)),
            "client_emotion": _unique(e.value for t in turns for e in t.client_emotion),
            "strategy": _unique(s.value for t in turns for s in t.strategy),
            "reasoning": " ".join(_unique(t.reasoning for t in turns if t.reasoning)),
        }
        plan = next((s.plan for s in said if s.plan is not None), None)
        plan_data = plan.model_dump(mode="json") if plan else None
        return render("think", lang, thought=thought, plan=plan_data, text=text)


def build_samples(run: RunData, options: ExportOptions) -> tuple[list[Sample], ExportStats]:
    """Every sample of the run for ``options``, in (course, session) order, with counts."""
    stats = ExportStats(sessions_read=len(run.records))
    builder = SampleBuilder(options, ProfileSource(run), run.planned_sessions)
    samples: list[Sample] = []
    courses = run.courses()
    stats.courses_read = len(courses)
    for course in courses.values():
        kept = []
        for rec in course:
            reason = exclusion(rec, options)
            if reason is None:
                kept.append(rec)
            else:
                stats.excluded[reason] += 1
        if options.unit == "course":
            if len(kept) < len(course):
                stats.courses_dropped += 1
                continue
            groups = [course]
        else:
            groups = [[rec] for rec in kept]
        for group in groups:
            sample = builder.build(course, group)
            sample.messages, removed = strip_template_tokens(sample.messages)
            stats.template_tokens += removed
            if not any(m.role == "assistant" for m in sample.messages):
                stats.no_assistant += 1
                continue
            stats.generic_system += sample.generic_system
            stats.languages[sample.language] += 1
            samples.append(sample)
    return samples, stats


# --- writing ----------------------------------------------------------------------------------


def _jsonl(rows: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def sharegpt_row(sample: Sample) -> dict[str, Any]:
    return {
        "id": sample.id,
        "language": sample.language,
        "conversations": [
            {"from": SHAREGPT_ROLE[m.role], "value": m.content} for m in sample.messages
        ],
    }


def openai_row(sample: Sample) -> dict[str, Any]:
    return {"messages": [{"role": m.role, "content": m.content} for m in sample.messages]}


def hf_row(sample: Sample, options: ExportOptions) -> dict[str, Any]:
    return {
        "id": sample.id,
        "language": sample.language,
        "side": options.side,
        "unit": options.unit,
        "reasoning": options.reasoning,
        "course_id": sample.course_id,
        "profile_id": sample.profile_id,
        "sessions": sample.sessions,
        "critic_score": sample.critic_score,
        **openai_row(sample),
    }


def llamafactory_info(dataset: str, file_name: str) -> dict[str, Any]:
    """LLaMA-Factory's ``dataset_info.json`` entry for a sharegpt-style file whose first
    message may be the system prompt."""
    return {
        dataset: {
            "file_name": file_name,
            "formatting": "sharegpt",
            "columns": {"messages": "conversations"},
            "tags": {
                "role_tag": "from",
                "content_tag": "value",
                "user_tag": "human",
                "assistant_tag": "gpt",
                "system_tag": "system",
            },
        }
    }


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < limit:
            return name
    return "100K<n<1M" if n < 1_000_000 else "n>1M"


def dataset_card(
    samples: Sequence[Sample], stats: ExportStats, options: ExportOptions, run: RunData
) -> str:
    """README.md for the ``hf`` format: YAML header (config, language, license, task) and a
    short description of where the data comes from and what each field means."""
    header = {
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": "train", "path": "data/train.jsonl"}],
            }
        ],
        "language": sorted(stats.languages),
        "license": "other",
        "task_categories": ["text-generation"],
        "tags": ["synthetic", "counseling", "mental-health", "multi-turn", "counselsim"],
        "size_categories": [_size_category(len(samples))],
        "pretty_name": f"counselsim {options.side} dialogues",
    }
    kept = {(s.course_id, i) for s in samples for i in s.sessions}
    used = [r for r in run.records if (r.course_id, r.session_index) in kept]
    models = sorted({r.provenance.model for r in used})
    reconstructed = sum(1 for r in used if r.provenance.source)
    other = "client" if options.side == "counselor" else "counselor"
    langs = ", ".join(f"{k} {v}" for k, v in sorted(stats.languages.items()))
    filters = _filters(options)
    lines = [
        "---",
        yaml.safe_dump(header, allow_unicode=True, sort_keys=False).rstrip(),
        "---",
        "",
        f"# counselsim {options.side} dialogues",
        "",
        "**Synthetic.** Every line of both roles was written by language models role-playing "
        "a counselor and a client built from a synthetic or masked profile "
        f"(counselsim {__version__}); no real person's session is in it.",
        "Not clinical advice, and not a counseling service: use it to study or train "
        "counseling-style dialogue models.",
        "",
        "## Contents",
        "",
        f"- {len(samples)} samples, one per {options.unit}, from {len(used)} sessions of "
        f"{len({r.course_id for r in used})} courses ({langs}).",
        f"- assistant: the {options.side}; user: the {other}."
        + (
            " Each assistant message starts with the counselor's hidden steps in "
            "`<think>…</think>` (plan at the start of a session, observation, client emotion, "
            "strategy, reasoning), then the reply."
            if options.reasoning
            else ""
        ),
        f"- filters: {json.dumps(filters, ensure_ascii=False) if filters else 'none'}; "
        f"sessions left out: {stats.filtered_text()}.",
        f"- generated by: {', '.join(models)}.",
    ]
    if reconstructed:
        lines.append(
            f"- {reconstructed} sessions rewrite real (masked) dialogues; each source is named in "
            "the run's `provenance.source` and keeps its license (CPsyCounD: CC BY 4.0, "
            "attribution required)."
        )
    lines += [
        "",
        "## Fields (`data/train.jsonl`)",
        "",
        "- `id`: `course_id#session_index` (one sample per session) or `course_id` (per course).",
        "- `messages`: `[{role, content}]`: `system` first, then `user` and `assistant` "
        "alternating from `user` to `assistant`. A bracketed user message such as "
        "`[Session 2 of 3 begins.]` opens a session the assistant starts (and every later "
        "session of a per-course sample).",
        "- `language`: `zh` or `en`; `side`, `unit`, `reasoning`: the export options.",
        "- `course_id`, `profile_id`: the simulated course and client profile; `sessions`: the "
        "session indices in the sample.",
        "- `critic_score`: the in-loop critic's share of the possible rubric points (0-1), the "
        "mean over the sample's sessions; null when not scored. A small model's critic is "
        "lenient: validate before relying on it.",
        "",
        "## Load",
        "",
        "```python",
        "from datasets import load_dataset",
        'ds = load_dataset("path/to/this/folder", split="train")',
        "```",
        "",
        "## License",
        "",
        "`other`: synthetic text generated with the models above; their terms of use apply.",
        "",
    ]
    return "\n".join(lines)


def _filters(options: ExportOptions) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if options.min_score is not None:
        out["min_score"] = options.min_score
    if options.min_items:
        out["min_items"] = dict(options.min_items)
    if options.drop_flagged:
        out["drop_flagged"] = True
    return out


def render_files(
    samples: Sequence[Sample], stats: ExportStats, options: ExportOptions, run: RunData
) -> dict[str, str]:
    """Relative path → text of every data file of ``options.fmt``."""
    if options.fmt == "sharegpt":
        return {"train.jsonl": _jsonl(sharegpt_row(s) for s in samples)}
    if options.fmt == "openai":
        return {"train.jsonl": _jsonl(openai_row(s) for s in samples)}
    if options.fmt == "llamafactory":
        name = f"counselsim_{options.side}"
        info = llamafactory_info(name, f"{name}.jsonl")
        return {
            f"{name}.jsonl": _jsonl(sharegpt_row(s) for s in samples),
            "dataset_info.json": json.dumps(info, ensure_ascii=False, indent=2) + "\n",
        }
    return {
        "data/train.jsonl": _jsonl(hf_row(s, options) for s in samples),
        "README.md": dataset_card(samples, stats, options, run),
    }


def check_out(out: Path, overwrite: bool) -> None:
    """Raises OutputError if ``out`` is a file, or a non-empty directory without
    ``overwrite``."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise OutputError(f"{out}: exists and is not empty; choose another --out or --overwrite")


def _remove_previous(out: Path) -> None:
    """Remove the files a previous export listed in its manifest (nothing else)."""
    try:
        files = json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("files", [])
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        return
    root = out.resolve()
    for rel in files if isinstance(files, list) else []:
        if not isinstance(rel, str):
            continue
        path = (out / rel).resolve()
        if path.is_file() and path.is_relative_to(root) and path != root / MANIFEST:
            path.unlink()
            if path.parent != root and not any(path.parent.iterdir()):
                path.parent.rmdir()


def write_files(out: Path, files: dict[str, str], overwrite: bool) -> None:
    """Write every file atomically (the manifest last, so it only names finished files)."""
    check_out(out, overwrite)
    try:
        out.mkdir(parents=True, exist_ok=True)
        if overwrite:
            _remove_previous(out)
        for rel, text in files.items():
            path = out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, text)
    except OSError as exc:
        raise OutputError(f"{out}: cannot write: {exc.strerror or exc}") from None


@dataclass
class ExportReport:
    """The result of an export: where, what, and how many."""

    out: Path
    options: ExportOptions
    samples: int
    stats: ExportStats
    files: list[str]

    def summary(self) -> str:
        """One line: samples written, sessions read, sessions left out by reason."""
        s, o = self.stats, self.options
        text = (
            f"wrote {self.samples} samples ({o.fmt}, {o.side}, one per {o.unit}"
            f"{', reasoning' if o.reasoning else ''}) to {self.out}; "
            f"{s.sessions_read} sessions of {s.courses_read} courses read; "
            f"filtered out: {s.filtered_text()}"
        )
        if s.courses_dropped:
            text += f"; {s.courses_dropped} courses dropped (a session was filtered out)"
        if s.no_assistant:
            text += f"; {s.no_assistant} skipped without an assistant turn"
        if s.generic_system:
            text += f"; {s.generic_system} with a generic system prompt (no profile found)"
        if s.template_tokens:
            text += (
                f"; warning: {s.template_tokens} chat-template tokens (<|im_start|>, [INST], ...) "
                "removed from profiles and turns"
            )
        return text


def export_run(
    src: Path, out: Path, options: ExportOptions, *, overwrite: bool = False
) -> ExportReport:
    """Export the run at ``src`` to ``out`` in ``options.fmt``.

    Everything is checked and built before anything is written, so a bad input or option
    leaves no output directory behind.

    Raises:
        ConfigError: bad options (format, side, unit, score filters).
        DataError: unreadable input, or no sample left to write.
        OutputError: ``out`` exists and is not empty (without ``overwrite``), or not writable.
    """
    options.check()
    run = load_run(src)
    check_min_items(options, run.records)
    check_out(out, overwrite)
    samples, stats = build_samples(run, options)
    if not samples:
        raise DataError(
            f"{run.sessions_path}: no samples to write: {stats.sessions_read} sessions read, "
            f"filtered out: {stats.filtered_text()}, courses dropped: {stats.courses_dropped}, "
            f"without an assistant turn: {stats.no_assistant}"
        )
    files = render_files(samples, stats, options, run)
    manifest = {
        "counselsim_version": __version__,
        "source": str(run.sessions_path),
        "format": options.fmt,
        "side": options.side,
        "unit": options.unit,
        "reasoning": options.reasoning,
        "filters": _filters(options),
        "counts": {
            "samples": len(samples),
            "sessions_read": stats.sessions_read,
            "courses_read": stats.courses_read,
            "excluded": {k: stats.excluded[k] for k in REASONS if stats.excluded[k]},
            "courses_dropped": stats.courses_dropped,
            "no_assistant_turn": stats.no_assistant,
            "generic_system_prompt": stats.generic_system,
            "template_tokens_removed": stats.template_tokens,
            "languages": dict(sorted(stats.languages.items())),
        },
        "files": sorted(files),
        "ids": [s.id for s in samples],
    }
    files[MANIFEST] = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    write_files(out, files, overwrite)
    return ExportReport(out, options, len(samples), stats, sorted(files))
