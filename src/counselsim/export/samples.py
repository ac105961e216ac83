"""The samples of an export: filters, then each session (or course) as a conversation."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from counselsim.errors import ConfigError, ProfileError
from counselsim.export.options import REASONS, ExportOptions
from counselsim.labels import Role
from counselsim.personas.models import ClientProfile
from counselsim.prompts import PromptLibrary
from counselsim.records import ClientTurn, CounselorTurn, CriticReport, SessionPlan, SessionRecord
from counselsim.runs import RunDir

_EPS = 1e-9  # score comparisons: 0.7 must pass --min-score 0.7 despite float rounding
MessageRole = Literal["system", "user", "assistant"]


class ProfileSource:
    """Client profiles by id: ``run.json`` first, then ``profiles/<id>.{yaml,yml,json}``.
    Anything missing or invalid is simply not found (the export degrades to a generic
    system prompt)."""

    def __init__(self, run: RunDir) -> None:
        self._dir = run.profiles_dir
        self._known: dict[str, ClientProfile | None] = dict(run.profiles())

    def get(self, profile_id: str) -> ClientProfile | None:
        """The profile with that id, or None when none is found."""
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


class ExportStats(BaseModel):
    """What was read, left out (per reason) and skipped."""

    model_config = ConfigDict(extra="forbid")

    sessions_read: int = 0
    courses_read: int = 0
    excluded: dict[str, int] = Field(default_factory=dict)
    courses_dropped: int = 0
    no_assistant: int = 0
    generic_system: int = 0
    languages: dict[str, int] = Field(default_factory=dict)
    template_tokens: int = 0

    def filtered_text(self) -> str:
        """The sessions left out, by reason, in words."""
        parts = [f"{n} {REASONS[k]}" for k in REASONS if (n := self.excluded.get(k, 0))]
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


def build_samples(
    records: Sequence[SessionRecord],
    options: ExportOptions,
    profiles: ProfileSource,
    planned_sessions: int = 0,
) -> tuple[list[Sample], ExportStats]:
    """Every sample of ``records`` (in (course, session) order) for ``options``, with counts;
    ``planned_sessions`` is the run's course length when known."""
    stats = ExportStats(sessions_read=len(records))
    builder = SampleBuilder(options, profiles, planned_sessions)
    samples: list[Sample] = []
    courses: dict[str, list[SessionRecord]] = {}
    for rec in records:
        courses.setdefault(rec.course_id, []).append(rec)
    stats.courses_read = len(courses)
    for course in courses.values():
        kept = []
        for rec in course:
            reason = exclusion(rec, options)
            if reason is None:
                kept.append(rec)
            else:
                stats.excluded[reason] = stats.excluded.get(reason, 0) + 1
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
            stats.languages[sample.language] = stats.languages.get(sample.language, 0) + 1
            samples.append(sample)
    return samples, stats
