"""Running an import into a directory (``counselsim profiles import``): what is written,
resume, bad records counted and reported by line, nothing half-written, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from counselsim.errors import ConfigError, OutputError, SourceError
from counselsim.importers import (
    DIALOGUES_FILE,
    IMPORT_FILE,
    ImportFailure,
    import_source,
    read_dialogues,
    run_import,
)
from counselsim.importers.store import DialogueSink
from counselsim.personas import load_profile
from counselsim.records import Dialogue, DialogueTurn
from tests.conftest import run_cli
from tests.unit.test_importers import EMAILS, FIX, PHONE, draft, extractor


def report_json(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / IMPORT_FILE).read_text(encoding="utf-8"))
    return data


def mixed_psydial(tmp_path: Path) -> Path:
    good = {
        "messages": [
            {"role": "user", "content": "我睡不着。"},
            {"role": "assistant", "content": "嗯。"},
        ]
    }
    lines = [
        json.dumps(good, ensure_ascii=False),
        '{"messages": [SECRET-CONTENT',
        json.dumps(good, ensure_ascii=False),
        json.dumps({"messages": [{"role": "narrator", "content": "SECRET-CONTENT"}]}),
    ]
    src = tmp_path / "mixed.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return src


def test_dialogues_written_and_reread(tmp_path):
    out = tmp_path / "imp"
    report = run_import("transcript", FIX / "transcript", out)
    assert (report.read, report.imported, report.failed, report.status) == (6, 6, 0, "done")
    dialogues = read_dialogues(out)
    assert [d.id for d in dialogues] == [  # files in name order, records in file order
        "case_1",
        "case_2",
        "Career-1",
        "Emotion-Stress-2",
        "session_en",
        "session_zh",
    ]
    assert read_dialogues(out / DIALOGUES_FILE) == dialogues
    text = (out / DIALOGUES_FILE).read_text(encoding="utf-8")
    assert PHONE not in text and not any(e in text for e in EMAILS)
    info = report_json(out)
    assert info["format"] == "transcript" and info["imported"] == 6 and info["failures"] == []
    assert {p.name for p in out.iterdir()} == {DIALOGUES_FILE, IMPORT_FILE}


def test_rerun_skips_what_is_done(tmp_path):
    out = tmp_path / "imp"
    first = run_import("transcript", FIX / "transcript", out, limit=2)
    assert (first.imported, first.skipped) == (2, 0)
    second = run_import("transcript", FIX / "transcript", out)
    assert (second.read, second.imported, second.skipped) == (6, 4, 2)
    third = run_import("transcript", FIX / "transcript", out)
    assert (third.imported, third.skipped) == (0, 6)
    assert len(read_dialogues(out)) == 6  # nothing duplicated


def test_bad_records_counted_reported_and_the_rest_imported(tmp_path):
    out = tmp_path / "imp"
    seen: list[str] = []
    report = run_import(
        "psydial",
        mixed_psydial(tmp_path),
        out,
        on_event=lambda e: seen.append(str(e)) if isinstance(e, ImportFailure) else None,
    )
    assert (report.read, report.imported, report.failed, report.status) == (4, 2, 2, "failed")
    assert [d.id for d in read_dialogues(out)] == ["psydial-0001", "psydial-0003"]
    src = tmp_path / "mixed.jsonl"
    assert seen[0].startswith(f"{src}:2: not valid JSON") and seen[1].startswith(f"{src}:4: ")
    info = report_json(out)
    assert info["failures"] == seen and info["failed"] == 2
    assert "SECRET-CONTENT" not in json.dumps(info)
    # a rerun retries the failed records only
    again = run_import("psydial", src, out)
    assert (again.imported, again.skipped, again.failed) == (0, 2, 2)


def test_an_invalid_record_does_not_claim_its_id(tmp_path):
    """Issue 11: a valid profile was rejected as a duplicate of an invalid one before it."""
    src = tmp_path / "profiles"
    src.mkdir()
    valid = {"id": "en-x", "language": "en", "presenting_problem": "Cannot sleep."}
    invalid = {**valid, "language": "fr"}
    (src / "a.json").write_text(json.dumps(invalid), encoding="utf-8")
    (src / "b.json").write_text(json.dumps(valid), encoding="utf-8")
    (src / "c.json").write_text(json.dumps(valid), encoding="utf-8")
    out = tmp_path / "imp"
    report = run_import("counselsim", src, out)
    assert (report.imported, report.failed) == (1, 2)
    a, c = report.failures
    assert a.startswith(f"{src / 'a.json'}") and "language" in a and "duplicate" not in a
    # the duplicate is the second *valid* record, and it names the imported one
    assert c == f"{src / 'c.json'}:1: duplicate record id 'en-x' (first at {src / 'b.json'}:1)"
    assert load_profile(out / "profiles" / "en-x.yaml").presenting_problem == "Cannot sleep."
    # a rerun converts nothing again: every record of an imported id is skipped
    again = run_import("counselsim", src, out)
    assert (again.imported, again.skipped, again.failed) == (0, 3, 0)


async def test_psyqa_profiles_written_and_resumed_without_the_model(tmp_path):
    out = tmp_path / "imp"
    ext, fake = extractor([draft(), draft()])
    report = await import_source("psyqa", FIX / "psyqa", out, extractor=ext, limit=2)
    assert report.imported == 2 and len(fake.calls) == 2
    files = sorted(p.name for p in (out / "profiles").iterdir())
    assert files == ["psyqa-0001.yaml", "psyqa-0002.yaml"]
    p = load_profile(out / "profiles" / "psyqa-0001.yaml")
    assert p.id == "psyqa-0001" and p.language.value == "zh"
    assert PHONE not in (out / "profiles" / "psyqa-0001.yaml").read_text(encoding="utf-8")
    # resume: done records are not sent to the model again (its script is used up)
    again = await import_source("psyqa", FIX / "psyqa", out, extractor=ext, limit=2)
    assert (again.imported, again.skipped) == (0, 2) and fake.remaining == 0


async def test_psyqa_needs_a_model(tmp_path):
    with pytest.raises(ConfigError, match="needs a model"):
        await import_source("psyqa", FIX / "psyqa", tmp_path / "imp")
    assert not (tmp_path / "imp").exists()


def test_bad_options_and_sources_write_nothing(tmp_path):
    out = tmp_path / "imp"
    with pytest.raises(SourceError, match="source not found"):
        run_import("transcript", tmp_path / "absent.jsonl", out)
    with pytest.raises(ConfigError, match="unknown format"):
        run_import("transcipt", FIX / "transcript", out)
    with pytest.raises(ConfigError, match="--language must be zh or en"):
        run_import("transcript", FIX / "transcript", out, language="fr")
    with pytest.raises(ConfigError, match="--llm does not apply"):
        run_import("transcript", FIX / "transcript", out, use_llm=True)
    assert not out.exists()


def test_out_dir_holding_something_else_is_refused(tmp_path):
    out = tmp_path / "imp"
    run_import("transcript", FIX / "transcript" / "cpsycoune.jsonl", out)
    with pytest.raises(OutputError, match="another source"):
        run_import("transcript", FIX / "transcript" / "cpsycound.jsonl", out)
    with pytest.raises(OutputError, match="another source"):
        run_import("transcript", FIX / "transcript" / "cpsycoune.jsonl", out, language="en")
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="holds no counselsim import"):
        run_import("transcript", FIX / "transcript", other)


def _dialogue(i: int) -> Dialogue:
    return Dialogue(
        id=f"d{i}",
        language="en",
        source="turns",
        turns=[DialogueTurn(role="client", text=f"hello {i}")],
    )


def test_torn_last_line_is_dropped_on_resume(tmp_path):
    path = tmp_path / DIALOGUES_FILE
    sink = DialogueSink(path)
    sink.write(_dialogue(1))
    sink.write(_dialogue(2))
    sink.close()
    whole = path.read_bytes()
    path.write_bytes(whole + _dialogue(3).model_dump_json().encode()[:20])  # a crash mid-write
    sink = DialogueSink(path)
    assert sink.ids == {"d1", "d2"} and path.read_bytes() == whole
    sink.close()
    path.write_bytes(b"not json\n" + whole)  # damage in the middle is not silently dropped
    with pytest.raises(OutputError, match=":1: not a valid dialogue"):
        DialogueSink(path)


def test_read_dialogues_errors_name_file_and_line(tmp_path):
    with pytest.raises(SourceError, match="dialogues file not found"):
        read_dialogues(tmp_path)
    path = tmp_path / DIALOGUES_FILE
    path.write_text(_dialogue(1).model_dump_json() + "\n\n{}\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"dialogues.jsonl:3: not a valid dialogue \(id"):
        read_dialogues(path)


# --- the CLI, in-process through main() ----------------------------------------------------------


def run_import_cli(monkeypatch, capfd, *argv: str) -> tuple[int, str, str]:
    return run_cli(monkeypatch, capfd, "profiles", "import", *argv)


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_cli_transcript_end_to_end(monkeypatch, capfd, tmp_path):
    out = tmp_path / "imp"
    src = FIX / "transcript" / "cpsycoune.jsonl"
    code, stdout, stderr = run_import_cli(
        monkeypatch, capfd, str(src), "--format", "transcript", "--out", str(out)
    )
    assert code == 0, stderr
    assert "read 2, imported 2" in stdout and "Traceback" not in stderr
    assert [d.id for d in read_dialogues(out)] == ["Career-1", "Emotion-Stress-2"]
    code, stdout, _ = run_import_cli(
        monkeypatch, capfd, str(src), "--format", "transcript", "--out", str(out)
    )
    assert code == 0 and "imported 0, skipped 2" in stdout


def test_cli_cactus_profiles(monkeypatch, capfd, tmp_path):
    out = tmp_path / "imp"
    src = FIX / "cactus" / "intake.json"
    code, _, stderr = run_import_cli(
        monkeypatch, capfd, str(src), "--format", "cactus", "--out", str(out)
    )
    assert code == 0, stderr
    for i in (1, 2, 3):
        assert load_profile(out / "profiles" / f"cactus-000{i}.yaml").language.value == "en"


def test_cli_typo_format_is_one_line(monkeypatch, capfd, tmp_path):
    out = tmp_path / "imp"
    code, _, stderr = run_import_cli(
        monkeypatch, capfd, str(FIX / "transcript"), "--format", "transcrpt", "--out", str(out)
    )
    assert code == 2 and len(lines(stderr)) == 1
    line = lines(stderr)[0]
    assert line.startswith("error: unknown format 'transcrpt'")
    assert "cactus, counselsim, psydial, psyinsight, psyqa, transcript, turns" in line
    assert not out.exists()


def test_cli_bad_records_exit_2_with_one_line_each(monkeypatch, capfd, tmp_path):
    out = tmp_path / "imp"
    src = mixed_psydial(tmp_path)
    code, stdout, stderr = run_import_cli(
        monkeypatch, capfd, str(src), "--format", "psydial", "--out", str(out)
    )
    assert code == 2 and "Traceback" not in stderr
    failed = [line for line in lines(stderr) if line.startswith("failed: ")]
    assert [line.split(": ")[1] for line in failed] == [f"{src}:2", f"{src}:4"]
    assert "SECRET-CONTENT" not in stderr
    assert "imported 2" in stdout and "failed 2" in stdout
    assert len(read_dialogues(out)) == 2


def test_cli_model_flags_only_where_a_model_is_used(monkeypatch, capfd, tmp_path):
    out = tmp_path / "imp"
    code, _, stderr = run_import_cli(
        monkeypatch,
        capfd,
        str(FIX / "transcript"),
        "--format",
        "transcript",
        "--out",
        str(out),
        "--model-path",
        str(tmp_path / "x.gguf"),
    )
    assert code == 2 and len(lines(stderr)) == 1 and "model flags apply only" in stderr
    assert not out.exists()


def test_cli_psyqa_builds_the_extractor_from_the_model_flags(monkeypatch, capfd, tmp_path):
    from counselsim.services import compose

    ext, fake = extractor([draft()])
    asked: list[Any] = []

    def fake_build(cfg: Any, chat_model: Any = None) -> Any:
        asked.append(cfg)
        return ext

    monkeypatch.setattr(compose, "build_extractor", fake_build)
    out = tmp_path / "imp"
    code, _, stderr = run_import_cli(
        monkeypatch,
        capfd,
        str(FIX / "psyqa" / "posts.json"),
        "--format",
        "psyqa",
        "--out",
        str(out),
        "--limit",
        "1",
        "--packaged",
        "some-model",
    )
    assert code == 0, stderr
    assert asked[0].model.packaged == "some-model" and len(fake.calls) == 1
    assert PHONE not in fake.calls[0].text
    assert (out / "profiles" / "psyqa-0001.yaml").is_file()


def test_cli_psyqa_bad_model_path_is_one_line_and_writes_nothing(monkeypatch, capfd, tmp_path):
    out = tmp_path / "imp"
    code, _, stderr = run_import_cli(
        monkeypatch,
        capfd,
        str(FIX / "psyqa"),
        "--format",
        "psyqa",
        "--out",
        str(out),
        "--model-path",
        str(tmp_path / "absent.gguf"),
    )
    assert code == 2 and len(lines(stderr)) == 1 and "absent.gguf" in stderr
    assert not out.exists()


def test_surrogates_replace_identifiers_reproducibly(tmp_path):
    src = FIX / "transcript" / "cpsycound.jsonl"
    texts = []
    for name in ("a", "b"):
        run_import("transcript", src, tmp_path / name, surrogates=True, seed=3)
        texts.append((tmp_path / name / DIALOGUES_FILE).read_text(encoding="utf-8"))
    assert texts[0] == texts[1]  # same seed, same surrogates
    assert PHONE not in texts[0] and "[PHONE_" not in texts[0]
    plain = tmp_path / "plain"
    run_import("transcript", src, plain)
    assert "[PHONE_1]" in (plain / DIALOGUES_FILE).read_text(encoding="utf-8")
