"""``hf:NAME[:SPLIT]`` sources (issue 11.7) on local dataset folders, never the network: data-file
folders and ``save_to_disk`` folders, split choice, the one-line errors, and every command
that reads a corpus (``profiles import``, ``reconstruct``/``score`` through ``load_corpus``,
``metrics FORMAT:hf:...``)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from counselsim.errors import ConfigError, SourceError
from counselsim.importers import read_dialogues, run_import
from counselsim.importers.corpus import load_corpus
from counselsim.importers.hf import HFSource, load_rows, parse_hf
from counselsim.metrics import MetricsError, load_input
from tests.conftest import run_cli

PHONE = "13812345678"


def record(rid: str, client: str = "我最近睡不着。", counselor: str = "能多说一些吗？") -> str:
    text = f"来访者：{client}\n\n心理咨询师：{counselor}"
    return json.dumps({"id": rid, "text": text}, ensure_ascii=False)


@pytest.fixture(autouse=True)
def hf_local(monkeypatch, tmp_path):
    """``datasets`` offline, with its cache in the test's folder; no dataset cached between
    tests."""
    datasets = pytest.importorskip("datasets")
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf_cache"))
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    load_rows.cache_clear()
    yield datasets
    load_rows.cache_clear()


def data_folder(root: Path, splits: dict[str, list[str]]) -> Path:
    root.mkdir(parents=True)
    for split, lines in splits.items():
        (root / f"{split}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """train: two dialogues (one with a phone number) and a row that is no transcript;
    test: one dialogue."""
    bad = json.dumps({"id": "bad", "text": "no speaker here"})
    return data_folder(
        tmp_path / "corpus",
        {
            "train": [record("a"), record("b", f"我的电话是{PHONE}。"), bad],
            "test": [record("t")],
        },
    )


# --- parsing the source ----------------------------------------------------------------------


def test_parse_hf_names_dataset_and_split():
    assert parse_hf("corpus.jsonl") is None
    assert parse_hf("hf:org/name") == HFSource("org/name")
    assert parse_hf(Path("hf:org/name:test")) == HFSource("org/name", "test")
    assert parse_hf("hf:./data:train[:10%]") == HFSource("./data", "train[:10%]")
    assert str(HFSource("org/name", "test")) == "hf:org/name:test"
    with pytest.raises(ConfigError, match="name a dataset after hf:"):
        parse_hf("hf:")


# --- profiles import -----------------------------------------------------------------------------


def test_import_reads_the_train_split_by_default_row_by_row(corpus, tmp_path):
    out = tmp_path / "imp"
    report = run_import("transcript", Path(f"hf:{corpus}"), out)
    assert (report.read, report.imported, report.failed) == (3, 2, 1)
    # a row's "line" is its row number
    assert report.failures == [
        f"hf:{corpus}:3: no speaker-prefixed lines (来访者：/心理咨询师：, Client:/Counselor:)"
    ]
    dialogues = read_dialogues(out)
    assert [d.id for d in dialogues] == ["a", "b"]
    assert PHONE not in (out / "dialogues.jsonl").read_text(encoding="utf-8")  # masked
    assert dialogues[1].turns[0].text == "我的电话是[PHONE_1]。"
    again = run_import("transcript", Path(f"hf:{corpus}"), out)  # a rerun resumes
    assert (again.imported, again.skipped) == (0, 2)


def test_a_named_split_and_a_save_to_disk_folder(corpus, tmp_path, hf_local):
    out = tmp_path / "test_split"
    assert run_import("transcript", Path(f"hf:{corpus}:test"), out).imported == 1
    assert [d.id for d in read_dialogues(out)] == ["t"]
    saved = tmp_path / "saved"
    hf_local.load_dataset(str(corpus)).save_to_disk(str(saved))
    report = run_import("transcript", Path(f"hf:{saved}:test"), tmp_path / "from_disk")
    assert report.imported == 1
    one = tmp_path / "one"  # a single Dataset saved alone: no splits
    hf_local.load_dataset(str(corpus), split="test").save_to_disk(str(one))
    assert run_import("transcript", Path(f"hf:{one}"), tmp_path / "alone").imported == 1
    with pytest.raises(SourceError, match=r"no split 'test' \(the dataset has no splits\)"):
        run_import("transcript", Path(f"hf:{one}:test"), tmp_path / "x")


def test_missing_split_is_one_line_naming_the_splits(corpus, tmp_path):
    out = tmp_path / "imp"
    with pytest.raises(SourceError) as err:
        run_import("transcript", Path(f"hf:{corpus}:validation"), out)
    message = str(err.value)
    assert message.startswith(f"hf:{corpus}:validation: no split 'validation'")
    assert "train" in message and "test" in message and "\n" not in message
    assert not out.exists()  # checked before anything is written
    saved = tmp_path / "saved"
    pytest.importorskip("datasets").load_dataset(str(corpus)).save_to_disk(str(saved))
    with pytest.raises(SourceError, match=r"no split 'dev' \(splits: train, test\)"):
        run_import("transcript", Path(f"hf:{saved}:dev"), out)


def test_several_splits_and_no_train_ask_for_one(tmp_path):
    folder = data_folder(tmp_path / "c", {"validation": [record("v")], "test": [record("t")]})
    with pytest.raises(SourceError, match=r"several splits \(.*\); name one: hf:.*:SPLIT"):
        run_import("transcript", Path(f"hf:{folder}"), tmp_path / "imp")


def test_unknown_dataset_is_one_line(tmp_path):
    with pytest.raises(SourceError, match=r"^hf:.*absent: dataset not found \(") as err:
        run_import("transcript", Path(f"hf:{tmp_path / 'absent'}"), tmp_path / "imp")
    assert "\n" not in str(err.value)
    with pytest.raises(SourceError, match=r"^hf:no-such-org/no-such-set: dataset not found"):
        run_import("transcript", Path("hf:no-such-org/no-such-set"), tmp_path / "imp")
    assert not (tmp_path / "imp").exists()


def test_without_the_datasets_library(monkeypatch, corpus, tmp_path):
    monkeypatch.setitem(sys.modules, "datasets", None)  # `import datasets` raises ImportError
    with pytest.raises(ConfigError, match=r"pip install 'counselsim\[hf\]'"):
        run_import("transcript", Path(f"hf:{corpus}"), tmp_path / "imp")


def test_a_format_whose_record_is_a_file_has_no_hf_source(corpus, tmp_path):
    with pytest.raises(ConfigError, match="format 'turns' reads one file per record"):
        run_import("turns", Path(f"hf:{corpus}"), tmp_path / "imp")


def test_cli_profiles_import(monkeypatch, capfd, corpus, tmp_path):
    out = tmp_path / "imp"
    code, stdout, stderr = run_cli(
        monkeypatch, capfd, "profiles", "import", f"hf:{corpus}:test", "--format", "transcript",
        "--out", str(out),
    )  # fmt: skip
    assert code == 0 and "imported 1" in stdout, stderr
    code, _, stderr = run_cli(
        monkeypatch, capfd, "profiles", "import", f"hf:{corpus}:nope", "--format", "transcript",
        "--out", str(tmp_path / "other"),
    )  # fmt: skip
    assert code == 2 and "no split 'nope'" in stderr and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1


# --- reconstruct / score (load_corpus) and metrics ------------------------------------------


def test_load_corpus_reads_rows_unmasked(corpus):
    dialogues, failures = asyncio.run(load_corpus(Path(f"hf:{corpus}"), "transcript"))
    assert [d.id for d in dialogues] == ["a", "b"] and len(failures) == 1
    assert PHONE in dialogues[1].turns[0].text  # the Mask step of reconstruct masks later


def test_metrics_reads_a_dataset_with_its_format(monkeypatch, capfd, corpus, tmp_path):
    good = data_folder(tmp_path / "good", {"train": [record("a"), record("b", "  我很累。  ")]})
    a, b = load_input(Path(f"hf:{good}"), "transcript")
    assert (a.id, a.source, b.turns[0].text) == ("a", "transcript", "我很累。")
    with pytest.raises(MetricsError, match=r"name the dataset's format: FORMAT:hf:"):
        load_input(Path(f"hf:{good}"))
    with pytest.raises(MetricsError, match=r"hf:.*:3: no speaker-prefixed lines"):
        load_input(Path(f"hf:{corpus}"), "transcript")  # nothing is skipped in metrics
    out = tmp_path / "metrics.json"
    code, _, stderr = run_cli(
        monkeypatch, capfd, "metrics", f"transcript:hf:{good}", "--out", str(out)
    )
    assert code == 0, stderr
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert result["paths"] == [f"hf:{good}"] and result["dialogues"] == 2
