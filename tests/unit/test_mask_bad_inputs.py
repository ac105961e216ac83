"""Bad inputs to ``counselsim mask`` (issue 11): an output that is the input is refused
before anything is read or written, and a bad line is never lost: it is reported and
carried into the output, in its place, as an error record that ``leaks`` skips. Synthetic
data only."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from counselsim.errors import OutputError
from counselsim.privacy.batch import leaks_jsonl, mask_jsonl
from tests.conftest import run_cli

GOOD = {"id": "a", "text": "我叫王小明，手机13812345678。"}
BAD = "not json 13912345678"


def write(path: Path, *rows: object) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("spelling", ["same", "dot", "symlink", "hardlink"])
def test_out_equal_to_the_input_is_refused_and_nothing_is_written(
    monkeypatch, capfd, tmp_path, spelling
):
    src = write(tmp_path / "in.jsonl", GOOD, BAD)
    before = src.read_bytes()
    out = {
        "same": src,
        "dot": tmp_path / "." / "in.jsonl",
        "symlink": tmp_path / "link.jsonl",
        "hardlink": tmp_path / "hard.jsonl",
    }[spelling]
    if spelling == "symlink":
        out.symlink_to(src)
    elif spelling == "hardlink":
        os.link(src, out)
    listing = sorted(p.name for p in tmp_path.iterdir())
    code, stdout, stderr = run_cli(monkeypatch, capfd, "mask", str(src), "--out", str(out))
    assert code == 2
    assert len(lines(stderr)) == 1 and "is the input file" in stderr
    assert "Traceback" not in stderr and "processed" not in stdout
    assert src.read_bytes() == before  # the original survives, bad line and all
    assert sorted(p.name for p in tmp_path.iterdir()) == listing  # no temp file left


def test_the_library_refuses_too(tmp_path):
    src = write(tmp_path / "in.jsonl", GOOD)
    with pytest.raises(OutputError, match="is the input file"):
        mask_jsonl(src, src)


def test_a_bad_line_becomes_an_error_record_in_its_place(tmp_path):
    src = write(tmp_path / "in.jsonl", GOOD, BAD, {"id": "b"}, {"id": "c", "text": "你好"})
    out = tmp_path / "out.jsonl"
    errors: list[str] = []
    report = mask_jsonl(src, out, on_error=errors.append)
    assert (report.processed, report.failed) == (2, 2)
    rows = [json.loads(x) for x in lines(out.read_text(encoding="utf-8"))]
    assert rows[0]["id"] == "a" and "[PHONE_1]" in rows[0]["masked_text"]
    assert rows[1] == {"line": 2, "error": rows[1]["error"]} and "JSON" in rows[1]["error"]
    assert rows[2]["line"] == 3 and "text" in rows[2]["error"]
    assert rows[3]["id"] == "c"
    assert [e.split(": ")[0] for e in errors] == [f"{src}:2", f"{src}:3"]
    raw = out.read_text(encoding="utf-8")
    assert "13912345678" not in raw and "13812345678" not in raw  # nothing copied unmasked


def test_leaks_counts_error_records_without_failing(monkeypatch, capfd, tmp_path):
    src = write(tmp_path / "in.jsonl", GOOD, BAD)
    out = tmp_path / "out.jsonl"
    mask_jsonl(src, out)
    report = leaks_jsonl(out, src)
    assert (report.checked, report.failed, report.error_records) == (1, 0, 1)
    assert report.leaks == []
    code, stdout, _ = run_cli(monkeypatch, capfd, "leaks", str(out), "--against", str(src))
    assert code == 0 and "error records: 1" in stdout


def test_model_flags_without_llm_are_refused(monkeypatch, capfd, tmp_path):
    src = write(tmp_path / "in.jsonl", GOOD)
    out = tmp_path / "out.jsonl"
    code, _, stderr = run_cli(
        monkeypatch, capfd, "mask", str(src), "--out", str(out), "--base-url", "http://x/v1"
    )
    assert code == 2 and "only with --llm" in stderr and not out.exists()
