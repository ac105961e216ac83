"""``counselsim mask`` and ``counselsim leaks``: the JSONL contract (offsets into the input,
no originals unless asked), bad lines reported by number while the rest is processed, atomic
output, and a leak check that finds a planted leak without printing it. Synthetic data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from counselsim.privacy import Span, find_leaks
from counselsim.privacy.batch import leaks_jsonl, mask_jsonl
from tests.conftest import run_cli

EXE = Path(sys.executable).with_name("counselsim")
if not EXE.is_file():  # pragma: no cover - a python that is not the venv's own
    EXE = Path("/work/main/.venv/bin/counselsim")

RECORDS = [
    {
        "id": "zh-1",
        "text": "我叫王小明，今年17岁，手机13812345678，住在北京市海淀区中关村大街27号。"
        "小王和老张都是我的同事，张老师对我很好。我妈妈很担心我。",
    },
    {
        "id": "en-1",
        "text": "My name is Sarah Johnson and I'm 34. Call me at (555) 123-4567. "
        "I work at Google and live at 123 Main Street, Apt 4B, Boston. Mom worries.",
        "language": "en",
    },
    {
        "id": "mix-1",
        "text": "身份证11010519491231002X，车牌京A12345，生日1990年3月7日，微信号：wxid_abc123，"
        "邮箱 zhang.san@example.com",
    },
]
ORIGINALS = [
    "王小明",
    "13812345678",
    "海淀区中关村大街27号",
    "小王",
    "老张",
    "Sarah Johnson",
    "(555) 123-4567",
    "Google",
    "123 Main Street",
    "11010519491231002X",
    "京A12345",
    "1990年3月7日",
    "wxid_abc123",
    "zhang.san@example.com",
]


def write_jsonl(path: Path, rows: list[object]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture
def good_input(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "in.jsonl", RECORDS)


# ---------------------------------------------------------------- mask


def test_mask_writes_placeholders_with_offsets_into_the_input(monkeypatch, capfd, good_input):
    out = good_input.with_name("out.jsonl")
    code, stdout, stderr = run_cli(monkeypatch, capfd, "mask", str(good_input), "--out", str(out))
    assert code == 0, stderr
    assert "processed: 3, failed: 0" in stdout
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == ["zh-1", "en-1", "mix-1"]
    by_id = {r["id"]: r for r in RECORDS}
    raw = out.read_text(encoding="utf-8")
    for row in rows:
        assert set(row) == {"id", "masked_text", "entities"}
        source = by_id[row["id"]]["text"]
        for ent in row["entities"]:
            assert set(ent) == {"start", "end", "label"}
            assert 0 <= ent["start"] < ent["end"] <= len(source)
        labels = {e["label"] for e in row["entities"]}
        assert labels, row["id"]
    # the offsets point at the identifiers in the input text
    zh = rows[0]
    spans = {by_id["zh-1"]["text"][e["start"] : e["end"]] for e in zh["entities"]}
    assert {"王小明", "13812345678", "海淀区中关村大街27号", "小王", "老张"} <= spans
    for original in ORIGINALS:
        assert original not in raw
    # clinical content survives
    assert "17岁" in zh["masked_text"] and "北京市" in zh["masked_text"]
    assert "妈妈" in zh["masked_text"]
    assert "Boston" in rows[1]["masked_text"] and "Mom" in rows[1]["masked_text"]
    assert "[NAME_1]" in rows[1]["masked_text"]
    # the command prints counts, never an identifier
    for original in ORIGINALS:
        assert original not in stdout + stderr


def test_keep_originals_adds_entity_text(monkeypatch, capfd, good_input):
    out = good_input.with_name("out.jsonl")
    code, _, _ = run_cli(
        monkeypatch, capfd, "mask", str(good_input), "--out", str(out), "--keep-originals"
    )
    assert code == 0
    by_id = {r["id"]: r for r in RECORDS}
    for row in read_jsonl(out):
        for ent in row["entities"]:
            assert ent["text"] == by_id[row["id"]]["text"][ent["start"] : ent["end"]]


def test_surrogates_are_deterministic_and_hide_originals(monkeypatch, capfd, good_input):
    outs = []
    for name in ("a.jsonl", "b.jsonl"):
        out = good_input.with_name(name)
        argv = ["mask", str(good_input), "--out", str(out), "--surrogates", "--seed", "7"]
        assert run_cli(monkeypatch, capfd, *argv)[0] == 0
        outs.append(out.read_text(encoding="utf-8"))
    assert outs[0] == outs[1]
    for original in ORIGINALS:
        assert original not in outs[0]
    rows = read_jsonl(good_input.with_name("a.jsonl"))
    assert "[NAME_" not in rows[0]["masked_text"] and "17岁" in rows[0]["masked_text"]


def test_bad_lines_are_reported_by_number_and_the_rest_is_processed(monkeypatch, capfd, tmp_path):
    """A bad line is reported and carried into the output as an error record."""
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [
            RECORDS[0],
            "not json 13812345678",
            {"id": "no-text"},
            ["a", "list"],
            {"id": "bad-lang", "text": "hi", "language": "fr"},
            "",
            RECORDS[1],
            {"id": "zh-1", "text": "duplicate id"},
        ],
    )
    out = tmp_path / "out.jsonl"
    code, stdout, stderr = run_cli(monkeypatch, capfd, "mask", str(src), "--out", str(out))
    assert code == 2
    assert "processed: 2, failed: 5" in stdout
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 5
    for n, line in zip((2, 3, 4, 5, 8), lines, strict=True):
        assert f"in.jsonl:{n}:" in line
    assert "Traceback" not in stderr and "13812345678" not in stderr  # content is not echoed
    # every bad line stands in the output, in its place, as an error record (never its content)
    rows = read_jsonl(out)
    assert [r.get("id") for r in rows] == ["zh-1", None, None, None, None, "en-1", None]
    assert [r["line"] for r in rows if "error" in r] == [2, 3, 4, 5, 8]
    assert all(set(r) == {"line", "error"} for r in rows if "error" in r)
    assert "13812345678" not in out.read_text(encoding="utf-8")


def test_language_is_detected_when_absent(tmp_path):
    from counselsim.privacy import detect_language

    assert detect_language("我最近睡不好，Sarah 说我太累了。") == "zh"
    assert detect_language("I feel tired, 真的.") == "en"


def test_missing_input_is_one_line_and_exit_2(monkeypatch, capfd, tmp_path):
    code, _, stderr = run_cli(
        monkeypatch, capfd, "mask", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o")
    )
    assert code == 2
    assert len([x for x in stderr.splitlines() if x.strip()]) == 1 and "nope.jsonl" in stderr
    assert not (tmp_path / "o").exists()


def test_output_is_atomic_never_half_written(monkeypatch, tmp_path, good_input):
    import counselsim.privacy.batch as batch

    out = tmp_path / "out.jsonl"
    out.write_text("previous complete output\n", encoding="utf-8")
    calls = {"n": 0}
    real = batch.mask_record

    def dies_on_second(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("killed mid-batch")
        return real(*args, **kwargs)

    monkeypatch.setattr(batch, "mask_record", dies_on_second)
    with pytest.raises(RuntimeError):
        mask_jsonl(good_input, out)
    assert out.read_text(encoding="utf-8") == "previous complete output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]
    monkeypatch.setattr(batch, "mask_record", real)
    report = mask_jsonl(good_input, out)
    assert (report.processed, report.failed) == (3, 0)
    assert len(read_jsonl(out)) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


# ---------------------------------------------------------------- leaks


def test_leaks_passes_clean_output_and_finds_a_planted_leak(monkeypatch, capfd, good_input):
    out = good_input.with_name("out.jsonl")
    assert run_cli(monkeypatch, capfd, "mask", str(good_input), "--out", str(out))[0] == 0
    code, stdout, _ = run_cli(monkeypatch, capfd, "leaks", str(out), "--against", str(good_input))
    assert code == 0, stdout
    assert "leaks: 0" in stdout

    rows = read_jsonl(out)
    # plant the phone again with other spacing, and a name verbatim
    rows[0]["masked_text"] += " 回拨 138 1234 5678"
    rows[1]["masked_text"] += " Sarah Johnson"
    leaky = write_jsonl(good_input.with_name("leaky.jsonl"), rows)
    code, stdout, stderr = run_cli(
        monkeypatch, capfd, "leaks", str(leaky), "--against", str(good_input)
    )
    assert code == 1
    lines = [line for line in stdout.splitlines() if line.startswith("leak:")]
    assert any(
        "id=zh-1" in line and "label=PHONE" in line and "canonical" in line for line in lines
    )
    assert any("id=en-1" in line and "label=NAME" in line for line in lines)
    for original in ("13812345678", "138 1234 5678", "Sarah Johnson", "Sarah"):
        assert original not in stdout + stderr  # reported by label, position and hash only


def test_leaks_checks_kept_originals_too(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": "邻居阿毛来了，阿毛很吵"}])
    out = write_jsonl(
        tmp_path / "out.jsonl",
        [
            {
                "id": "a",
                "masked_text": "邻居[NAME_1]来了，阿毛很吵",
                "entities": [{"start": 2, "end": 4, "label": "NAME", "text": "阿毛"}],
            }
        ],
    )
    report = leaks_jsonl(out, src)
    assert [(rid, leak.label, leak.how) for rid, leak in report.leaks] == [("a", "NAME", "exact")]


def test_leaks_reports_unknown_ids_and_bad_lines(monkeypatch, capfd, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": "nothing here"}, "garbage"])
    out = write_jsonl(
        tmp_path / "out.jsonl",
        [
            {"id": "a", "masked_text": "nothing here", "entities": []},
            {"id": "zzz", "masked_text": "x"},
        ],
    )
    code, stdout, stderr = run_cli(monkeypatch, capfd, "leaks", str(out), "--against", str(src))
    assert code == 2
    assert "in.jsonl:2:" in stderr and "out.jsonl:2:" in stderr
    assert "checked: 1, leaks: 0" in stdout


def test_find_leaks_forms():
    source = "电话 13812345678，车牌京A12345，邮箱 Zhang@Example.com，王老师很好。"
    clean = "电话 [PHONE_1]，车牌[LICENSE_PLATE_1]，邮箱 [EMAIL_1]，[NAME_1]老师很好。"
    assert find_leaks(source, clean) == []
    leaky = "电话 +86 138-1234-5678，车牌京A·12345，邮箱 zhang@example.com，王老师很好。"
    found = {(leak.label, leak.how) for leak in find_leaks(source, leaky)}
    assert found == {
        ("PHONE", "canonical"),
        ("LICENSE_PLATE", "canonical"),
        ("EMAIL", "canonical"),
        ("NAME", "exact"),
    }
    # a surrogate that reuses a surname elsewhere is not a leak of 王老师
    assert find_leaks(source, clean.replace("[NAME_1]", "李") + " 王芳") == []
    extra = [Span(start=0, end=2, type="NAME", text="阿毛")]
    assert [x.label for x in find_leaks("阿毛说", "阿毛说", originals=extra)] == ["NAME"]


def test_the_console_script_masks_a_file(tmp_path, good_input):
    """The installed command end to end (a child process: its own import and jieba start)."""
    out = tmp_path / "out.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
    proc = subprocess.run(
        [str(EXE), "mask", str(good_input), "--out", str(out), "--surrogates", "--seed", "1"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "processed: 3, failed: 0" in proc.stdout
    leaks = subprocess.run(
        [str(EXE), "leaks", str(out), "--against", str(good_input)],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert leaks.returncode == 0, leaks.stdout + leaks.stderr
