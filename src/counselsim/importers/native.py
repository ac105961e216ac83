"""``counselsim``: the project's own profile files (YAML or JSON, a file or a folder), validated
and masked again (a hand-written profile may still hold a phone number or an e-mail). The id is
the profile's own ``id``, or the file stem when it has none (validation then names the field)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from counselsim.errors import ConfigError
from counselsim.importers.base import (
    Entry,
    ImportContext,
    Importer,
    ImportFailure,
    RecordError,
    SourceRecord,
    mask_profile,
    safe_id,
)
from counselsim.importers.reading import decode_text, read_bytes, require_dict
from counselsim.personas.load import short_validation_error
from counselsim.personas.models import ClientProfile
from counselsim.records import Dialogue


class CounselsimImporter(Importer):
    """counselsim profile YAML/JSON -> validated, re-masked ClientProfile."""

    name = "counselsim"
    produces = "profile"
    patterns = ("*.yaml", "*.yml", "*.json")
    summary = "counselsim profile files (YAML/JSON) -> validated, re-masked profiles"

    @staticmethod
    def recognizes(record: Any) -> bool:
        return isinstance(record, dict) and "presenting_problem" in record and "id" in record

    def check(self, ctx: ImportContext) -> None:
        if ctx.language is not None:
            raise ConfigError(
                "--language does not apply to --format counselsim: profiles carry their own"
            )

    def entries(self, file: Path) -> Iterator[Entry | ImportFailure]:
        try:
            text = decode_text(file, read_bytes(file))
        except RecordError as exc:
            yield ImportFailure(str(file), exc.line, exc.reason)
            return
        if file.suffix.lower() == ".json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                yield ImportFailure(str(file), exc.lineno, f"not valid JSON: {exc.msg}")
                return
            yield Entry(1, data)
            return
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or "syntax error"
            line = mark.line + 1 if mark is not None else None
            yield ImportFailure(str(file), line, f"not valid YAML: {problem}")
            return
        yield Entry(1, data)

    def record_id(self, entry: Entry, file: Path, position: int) -> str:
        if isinstance(entry.data, dict) and isinstance(entry.data.get("id"), str):
            return str(entry.data["id"])
        return safe_id(file.stem) or f"profile-{position:04d}"

    async def convert(self, record: SourceRecord, ctx: ImportContext) -> ClientProfile | Dialogue:
        data = require_dict(record.data, "a profile")
        try:
            profile = ClientProfile.model_validate(data)
        except ValidationError as exc:
            raise RecordError(short_validation_error(exc)) from None
        masker = ctx.make_masker(record.id)
        lang = profile.language.value
        return mask_profile(profile.model_dump(mode="json"), masker, lang)
