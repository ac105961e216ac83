"""``cactus``: Cactus intake forms (English; ``AI_client.intake_form`` free text and
``AI_client.attitude`` positive/neutral/negative) -> ClientProfile.

Deterministic by default: the form's header fields and numbered sections are parsed; age
becomes a decade range ("45" -> "40-49"), gender/occupation/marital status and family go to
demographics, the "Presenting Problem" section is the presenting problem, the reason for
counseling, past history, functioning and social support make the relevant history, and the
attitude sets ``resistance`` (2/3/4) and ``attitude``. The name is never kept: it is removed
from every text. With ``--llm`` the model also structures beliefs, situations and emotions from
the (masked, nameless) form; parsed fields still win. Ids are positional: ``cactus-0001``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from counselsim.config import derive_seed
from counselsim.errors import ConfigError
from counselsim.importers.base import (
    Entry,
    ImportContext,
    Importer,
    ImportFailure,
    Lang,
    RecordError,
    SourceRecord,
    mask_profile,
)
from counselsim.importers.fitting import clip
from counselsim.importers.reading import as_text, json_entries, require_dict
from counselsim.personas.models import ClientProfile
from counselsim.records import Dialogue

RESISTANCE = {"positive": 2, "neutral": 3, "negative": 4}
ATTITUDE: dict[str, dict[str, str]] = {
    "en": {
        "positive": "Positive toward counseling: engaged, cooperative, open to the counselor",
        "neutral": "Neutral toward counseling: willing to talk but noncommittal",
        "negative": "Negative toward counseling: skeptical, guarded, reluctant to engage",
    },
    "zh": {
        "positive": "对咨询持积极态度：投入、配合，愿意向咨询师敞开",
        "neutral": "对咨询态度中立：愿意谈，但不太表态",
        "negative": "对咨询持消极态度：怀疑、防备，不太愿意投入",
    },
}
NAME_PLACEHOLDER = "[NAME_1]"
_UNKNOWN = {"", "not specified", "not mentioned", "undisclosed", "not disclosed", "n/a", "na"}
_HEADER_RE = re.compile(
    r"^\s*(?P<key>Name|Age|Gender|Occupation|Education|Marital Status|Family Details)\s*:\s*"
    r"(?P<value>.*)$",
    re.IGNORECASE,
)
_SECTION_RE = re.compile(r"^\s*\d{1,2}\.\s*(?P<title>[A-Za-z/ ()]+?)\s*(?::\s*(?P<rest>.*))?$")


def _section_key(title: str) -> str:
    t = title.lower()
    for key, cue in (
        ("problem", "presenting problem"),
        ("reason", "reason"),
        ("history", "past history"),
        ("functioning", "functioning"),
        ("support", "social support"),
    ):
        if cue in t:
            return key
    return t


@dataclass
class IntakeForm:
    """A parsed intake form: header fields (lower-case keys) and section texts."""

    fields: dict[str, str] = field(default_factory=dict)
    sections: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        value = self.fields.get(key, "").strip()
        return None if value.lower().rstrip(".") in _UNKNOWN else value


def parse_intake(form: str) -> IntakeForm:
    """Header ``Key: value`` lines (the value may sit on the next line) and numbered
    sections ("2. Presenting Problem", "5. Academic/occupational functioning level: …")."""
    out = IntakeForm()
    lines = form.splitlines()
    current: str | None = None
    body: list[str] = []

    def close() -> None:
        if current is not None:
            text = " ".join(s.strip() for s in body if s.strip())
            if text:
                out.sections[current] = text

    i = 0
    while i < len(lines):
        line = lines[i]
        sec = _SECTION_RE.match(line)
        head = _HEADER_RE.match(line) if current is None else None
        if sec and not head:
            close()
            current, body = _section_key(sec["title"]), []
            if sec["rest"] and sec["rest"].strip().lower().rstrip(".") not in _UNKNOWN:
                body.append(sec["rest"])
        elif head:
            key, value = head["key"].lower(), head["value"].strip()
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if (
                not value
                and nxt.strip()
                and not _HEADER_RE.match(nxt)
                and not _SECTION_RE.match(nxt)
            ):
                value, i = nxt.strip(), i + 1
            out.fields[key] = value
        elif current is not None:
            body.append(line)
        i += 1
    close()
    return out


def age_range(age: str | None) -> str | None:
    """A decade range: "45" -> "40-49"; None when the age is not a number."""
    m = re.match(r"^\s*(\d{1,3})\b", age or "")
    if not m:
        return None
    decade = int(m[1]) // 10 * 10
    return f"{decade}-{decade + 9}"


def scrub_name(text: str, name: str | None) -> str:
    """Replace the client's name (whole, then each part) with a placeholder."""
    if not name:
        return text
    parts = [name, *sorted((p for p in re.split(r"[\s.]+", name) if len(p) > 1), key=len)[::-1]]
    for part in parts:
        text = re.sub(rf"(?<![A-Za-z]){re.escape(part)}(?![A-Za-z])", NAME_PLACEHOLDER, text)
    return text


def _first_sentence(text: str) -> str:
    m = re.match(r"(.+?[.!?])(\s|$)", text)
    return (m[1] if m else text).strip()


def profile_fields(form: IntakeForm, attitude: str | None, lang: Lang) -> dict[str, Any]:
    """The profile fields a form determines (English text; ``lang`` picks the attitude text)."""
    problem = form.sections.get("problem")
    if not problem:
        raise RecordError("intake form has no 'Presenting Problem' section")
    marital, family = form.get("marital status"), form.get("family details")
    history = [
        f"{label}: {text}"
        for label, text in (
            ("Education", form.get("education")),
            ("Reason for counseling", form.sections.get("reason")),
            ("Past history", form.sections.get("history")),
            ("Functioning", form.sections.get("functioning")),
            ("Social support", form.sections.get("support")),
        )
        if text
    ]
    data: dict[str, Any] = {
        "title": clip(_first_sentence(problem), 80),
        "demographics": {
            "age_range": age_range(form.get("age")),
            "gender": form.get("gender"),
            "occupation": form.get("occupation"),
            "family": "; ".join(v for v in (marital, family) if v) or None,
        },
        "presenting_problem": problem,
        "relevant_history": " ".join(h if h[-1] in ".!?" else h + "." for h in history),
    }
    if attitude in RESISTANCE:
        data["resistance"] = RESISTANCE[attitude]
        data["attitude"] = ATTITUDE[lang][attitude]
    return data


class CactusImporter(Importer):
    """Cactus intake forms -> ClientProfile (deterministic; ``--llm`` adds the model)."""

    name = "cactus"
    produces = "profile"
    patterns = ("*.json", "*.jsonl")
    summary = "Cactus intake forms (en) -> profiles; deterministic, --llm to structure free text"

    def needs_llm(self, use_llm: bool) -> bool:
        return use_llm

    @staticmethod
    def recognizes(record: Any) -> bool:
        return isinstance(record, dict) and isinstance(record.get("AI_client"), dict)

    def check(self, ctx: ImportContext) -> None:
        if ctx.language == "zh" and not ctx.use_llm:
            raise ConfigError(
                "cactus forms are English: --language zh needs --llm (the model writes the profile)"
            )

    def entries(self, file: Path) -> Iterator[Entry | ImportFailure]:
        return json_entries(file)

    async def convert(self, record: SourceRecord, ctx: ImportContext) -> ClientProfile | Dialogue:
        data = require_dict(record.data)
        client = require_dict(data.get("AI_client", data), "AI_client")
        form_text = as_text(client.get("intake_form"), "AI_client.intake_form")
        attitude = client.get("attitude")
        attitude = attitude.strip().lower() if isinstance(attitude, str) else None
        form = parse_intake(form_text)
        name = form.fields.pop("name", None)
        form.sections = {k: scrub_name(v, name) for k, v in form.sections.items()}
        form.fields = {k: scrub_name(v, name) for k, v in form.fields.items()}
        lang: Lang = ctx.language or "en"
        masker = ctx.make_masker(record.id)
        fields = profile_fields(form, attitude, lang)
        if ctx.use_llm:
            if ctx.extractor is None:
                raise RuntimeError("cactus --llm needs a ProfileExtractor in its context")
            nameless = _without_name_line(scrub_name(form_text, name))
            draft = await ctx.extractor.extract(
                masker(nameless, "en").text,
                lang,
                seed=derive_seed(ctx.seed, "import", record.id),
                kind="intake",
            )
            llm_fields = draft.model_dump(mode="json")
            if lang == "en":  # parsed English fields win; the model adds what is not parsed
                demo = {k: v for k, v in fields["demographics"].items() if v}
                llm_fields["demographics"] = {**llm_fields["demographics"], **demo}
                llm_fields["presenting_problem"] = fields["presenting_problem"]
                llm_fields["relevant_history"] = fields["relevant_history"]
            else:
                llm_fields["demographics"]["age_range"] = fields["demographics"]["age_range"]
            fields = {
                **llm_fields,
                **{k: fields[k] for k in ("resistance", "attitude") if k in fields},
            }
        return mask_profile({"id": record.id, "language": lang, **fields}, masker, lang)


def _without_name_line(form: str) -> str:
    return re.sub(r"(?im)^\s*Name\s*:.*\n?(?:\s*\[NAME_1\]\s*\n)?", "", form)
