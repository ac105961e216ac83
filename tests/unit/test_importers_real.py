"""The importers on the real sample data in ``/work/shared/data`` (skipped when it is absent).

Sensitive data: these tests only count and check structure; assertion messages name record
ids, never text, and nothing is written to disk.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from counselsim.importers import ImportContext, Imported, ImportFailure, get_importer
from counselsim.importers.psyqa import post_text
from counselsim.personas.models import ClientProfile
from counselsim.privacy import Masker
from counselsim.records import Dialogue

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"  # ../shared/data


def need(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"sample data not present: {path.name}")
    return path


async def import_all(
    fmt: str, src: Path, ctx: ImportContext | None = None
) -> tuple[list[Dialogue | ClientProfile], list[str]]:
    items: list[Dialogue | ClientProfile] = []
    failures: list[str] = []
    async for ev in get_importer(fmt).run(src, ctx or ImportContext()):
        if isinstance(ev, Imported):
            items.append(ev.item)
        elif isinstance(ev, ImportFailure):
            failures.append(f"{Path(ev.file).name}:{ev.line}")  # location only
    return items, failures


def both_roles(d: Dialogue | ClientProfile) -> bool:
    return isinstance(d, Dialogue) and {t.role.value for t in d.turns} == {"client", "counselor"}


async def test_all_cpsycound_dialogues_parse_with_both_roles():
    # parsing is under test here, not masking (the full masker takes ~45 s on 3,084 dialogues;
    # the 45 CPsyCounE dialogues below go through it)
    no_masking = ImportContext(make_masker=lambda _id: Masker(detectors=()))
    src = need(DATA / "cpsycoun" / "cpsycound.jsonl")
    items, failures = await import_all("transcript", src, no_masking)
    assert not failures, failures[:5]
    assert len(items) == 3084
    assert len({i.id for i in items}) == 3084
    one_sided = [i.id for i in items if not both_roles(i)]
    assert not one_sided, one_sided[:5]
    assert all(isinstance(i, Dialogue) and i.language == "zh" for i in items)


async def test_all_cpsycoune_dialogues_parse_with_both_roles_and_topic():
    items, failures = await import_all("transcript", need(DATA / "cpsycoun" / "cpsycoune.jsonl"))
    assert not failures and len(items) == 45
    assert all(both_roles(i) for i in items)
    topics = {i.meta.get("topic") for i in items if isinstance(i, Dialogue)}
    assert len(topics) == 9
    # every utterance is one turn: 求助者/支持者 prefixes never leak into the text
    assert not [i.id for i in items if "求助者：" in i.model_dump_json()]


async def test_all_cactus_forms_map_to_valid_profiles():
    src = need(DATA / "cactus_intake" / "evaluation.json")
    items, failures = await import_all("cactus", src)
    assert not failures and len(items) == 450
    profiles = [i for i in items if isinstance(i, ClientProfile)]
    assert len(profiles) == 450
    assert all(p.demographics.age_range for p in profiles)
    assert {p.resistance for p in profiles} == {2, 3, 4}
    # the name is never kept
    records = json.loads(src.read_text(encoding="utf-8"))
    leaked = []
    for rec, p in zip(records, profiles, strict=True):
        form = rec["AI_client"]["intake_form"]
        name = form.split("Name:", 1)[1].strip().splitlines()[0]
        text = p.model_dump_json()
        if any(
            re.search(rf"\b{re.escape(part)}\b", text) for part in name.split() if len(part) > 1
        ):
            leaked.append(p.id)
    assert not leaked, leaked[:5]


def test_all_psyqa_posts_are_readable_records():
    src = need(DATA / "psyqa_profiles" / "test.json")
    records = list(get_importer("psyqa").read(src))
    assert len(records) == 100
    assert not [r for r in records if isinstance(r, ImportFailure)]
    assert all(post_text(r.data) for r in records if not isinstance(r, ImportFailure))
    assert [r.id for r in records[:2] if not isinstance(r, ImportFailure)] == [
        "psyqa-0001",
        "psyqa-0002",
    ]
