"""The samples in ``examples/data`` (issue 11.7): attributed and licensed, free of identifiers
the masker can find, read whole by their importers; and the README's commands read them, never
``../shared/data`` (which a clone does not have)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from counselsim.importers import read_dialogues, run_import
from counselsim.personas import load_profile
from counselsim.privacy import detect

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "examples" / "data"


def test_every_sample_says_where_it_comes_from_and_its_licence():
    for folder, licence in (("cpsycoun", "CC BY 4.0"), ("psyqa", "MIT"), ("cactus", "ours")):
        text = (DATA / folder / "ATTRIBUTION.md").read_text(encoding="utf-8")
        assert "**Licence:**" in text and licence in text, folder
    # the licences that require their text to travel with the copy
    cc = (DATA / "cpsycoun" / "LICENSE").read_text(encoding="utf-8")
    assert cc.startswith("Attribution 4.0 International")
    mit = (DATA / "psyqa" / "LICENSE").read_text(encoding="utf-8")
    assert "Copyright (c) 2024 qiuhuachuan" in mit


def test_cpsycoun_sample_imports_whole_and_masking_finds_nothing(tmp_path):
    src = DATA / "cpsycoun" / "cpsycoune_sample.jsonl"
    report = run_import("transcript", src, tmp_path / "imp")
    assert (report.read, report.imported, report.failed) == (5, 5, 0)
    records = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines()]
    for dialogue, record in zip(read_dialogues(tmp_path / "imp"), records, strict=True):
        assert dialogue.meta["topic"] == record["topic"]
        # masked output = the source text after the speaker prefix: nothing was found to mask
        assert [t.text for t in dialogue.turns] == [
            u.split("：", 1)[1] for u in record["utterances"]
        ]


def test_psyqa_posts_hold_no_identifier_the_detectors_find():
    posts = json.loads((DATA / "psyqa" / "posts.json").read_text(encoding="utf-8"))
    assert len(posts) == 5 and all(isinstance(p, str) and len(p) > 200 for p in posts)
    assert [p for p in posts if detect(p)] == []


def test_cactus_style_forms_import_without_their_names(tmp_path):
    src = DATA / "cactus" / "intake.json"
    report = run_import("cactus", src, tmp_path / "imp")
    assert (report.imported, report.failed) == (3, 0)
    files = sorted((tmp_path / "imp" / "profiles").glob("*.yaml"))
    text = "".join(f.read_text(encoding="utf-8") for f in files)
    for name in ("Robin", "Sam Placeholder", "Jamie"):
        assert name not in text
    assert [load_profile(f).resistance for f in files] == [2, 3, 4]  # the three attitudes


def test_readme_commands_read_shipped_files_only():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = "\n".join(re.findall(r"```bash\n(.*?)```", readme, flags=re.S))
    assert "../shared/data" not in commands
    paths = set(re.findall(r"examples/[\w./-]*\w", commands))
    assert {p for p in paths if p.startswith("examples/data/")} == {
        "examples/data/cpsycoun/cpsycoune_sample.jsonl",
        "examples/data/psyqa/posts.json",
        "examples/data/cactus/intake.json",
    }
    assert [p for p in sorted(paths) if not (ROOT / p).exists()] == []
