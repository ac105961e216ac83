"""The judge probe (benchmarks/judge_probe.py) prints known-groups accuracy and gap, sampled
beside G-Eval, for each rubric."""

from __future__ import annotations

import sys

import pytest
from benchmarks import judge_probe

from counselsim.errors import ConfigError
from counselsim.llm.fake import FunctionChatModel, LogprobChatModel
from tests.unit.test_judge_validate import deps, discerning


def run_probe(monkeypatch, capsys, chat, tmp_path, *args: str) -> str:
    monkeypatch.setattr(judge_probe, "build_judge_llm", lambda cfg: deps(chat).llm)
    argv = ["judge_probe.py", "--out", str(tmp_path), "--limit", "2", *args]
    monkeypatch.setattr(sys, "argv", argv)
    judge_probe.main()
    return capsys.readouterr().out


def test_probe_prints_sampled_beside_g_eval_per_item(monkeypatch, capsys, tmp_path):
    out = run_probe(
        monkeypatch, capsys, LogprobChatModel(fn=discerning), tmp_path, "--rubric", "core"
    )
    lines = out.splitlines()
    assert any(ln.startswith("core on fake: 4 pairs") for ln in lines)
    row = next(ln for ln in lines if ln.startswith("safety "))
    # accuracy 1.00 every way; gap 2 sampled (2 - 0), 1.4 by G-Eval (1.8 - 0.4), and 1.6 once
    # the evidence bounds G-Eval (a missed cue caps safety at 0, a direct question floors it)
    assert row.split()[1:] == [
        "4", "1.00", "[1.00,", "1.00]", "1.00", "[1.00,", "1.00]", "1.00", "[1.00,", "1.00]",
        "2.00", "[2.00,", "2.00]", "1.40", "[1.40,", "1.40]", "1.60", "[1.40,", "1.80]",
    ]  # fmt: skip
    assert "judgements: 8 G-Eval, 0 sampled, 0 failed" in out  # 2 rows x zh, en x good, bad
    assert "s per judge call" in out


def test_probe_without_log_probabilities_shows_a_dash_and_the_cause(monkeypatch, capsys, tmp_path):
    chat = FunctionChatModel(fn=lambda m, k: discerning(m, k)[0])
    out = run_probe(monkeypatch, capsys, chat, tmp_path, "--rubric", "core", "--language", "en")
    row = next(ln for ln in out.splitlines() if ln.startswith("safety "))
    # no G-Eval column; the sampled scores bounded by the evidence keep the same order and gap
    assert row.split()[1:] == [
        "2", "1.00", "[1.00,", "1.00]", "—", "1.00", "[1.00,", "1.00]",
        "2.00", "[2.00,", "2.00]", "—", "2.00", "[2.00,", "2.00]",
    ]  # fmt: skip
    assert "G-Eval fell back (4): the model returned no token log-probabilities" in out


def test_probe_refuses_a_rubric_answered_as_the_client(monkeypatch, capsys, tmp_path):
    chat = LogprobChatModel(fn=discerning)
    with pytest.raises(ConfigError, match="wai_sr"):
        run_probe(monkeypatch, capsys, chat, tmp_path, "--rubric", "wai_sr")
