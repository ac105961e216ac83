"""``psyqa``: a JSON list of free-text Chinese help-seeking posts (the Interactive Agents
client profiles), structured into profiles by the LLM.

The post is masked before the model sees it, and the model's profile is masked again (a
model can copy or invent identifiers). Ids are positional: ``psyqa-0007`` is the 7th post.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from counselsim.config import derive_seed
from counselsim.importers.base import (
    Entry,
    ImportContext,
    Importer,
    ImportFailure,
    RecordError,
    SourceRecord,
    detect_language,
    mask_profile,
)
from counselsim.importers.reading import json_entries
from counselsim.personas.models import ClientProfile
from counselsim.records import Dialogue

# PsyQA's own records split a post into a question and its description.
_POST_KEYS = ("question", "description", "post", "text", "content")


def post_text(data: Any) -> str:
    """The post of a record: a string, or the text fields of a PsyQA-style object."""
    if isinstance(data, str):
        text = data.strip()
    elif isinstance(data, dict):
        text = "\n".join(
            str(data[k]).strip() for k in _POST_KEYS if isinstance(data.get(k), str)
        ).strip()
    else:
        raise RecordError(f"a post must be a string, not {type(data).__name__}")
    if not text:
        raise RecordError("empty post")
    return text


class PsyQAImporter(Importer):
    """Help-seeking posts -> ClientProfile via the LLM."""

    name = "psyqa"
    produces = "profile"
    patterns = ("*.json", "*.jsonl")
    summary = "JSON list of free-text help-seeking posts (zh) -> profiles, structured by the LLM"

    @staticmethod
    def recognizes(record: Any) -> bool:
        return isinstance(record, str) or (
            isinstance(record, dict) and isinstance(record.get("question"), str)
        )

    def needs_llm(self, use_llm: bool) -> bool:
        return True

    def entries(self, file: Path) -> Iterator[Entry | ImportFailure]:
        return json_entries(file)

    async def convert(self, record: SourceRecord, ctx: ImportContext) -> ClientProfile | Dialogue:
        if ctx.extractor is None:
            raise RuntimeError("the psyqa importer needs a ProfileExtractor in its context")
        post = post_text(record.data)
        source_lang = detect_language(post)
        lang = ctx.language or "zh"
        masker = ctx.make_masker(record.id)
        masked = masker(post, source_lang).text  # only the masked post leaves this function
        draft = await ctx.extractor.extract(
            masked, lang, seed=derive_seed(ctx.seed, "import", record.id), kind="post"
        )
        data = {"id": record.id, "language": lang, **draft.model_dump(mode="json")}
        return mask_profile(data, masker, lang)
