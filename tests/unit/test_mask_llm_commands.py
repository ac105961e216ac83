"""The LLM masking pass wired into the commands: ``counselsim mask --llm`` (one call per
record, on the rule-masked text) and ``counselsim profiles import --llm-mask`` (one call per
imported record, every text field masked with the record's own Masker). Scripted fake
models only; the model builder is replaced, so nothing loads or leaves the machine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from counselsim.agents.base import AgentDeps
from counselsim.config import Engine, RunConfig
from counselsim.llm.fake import ScriptedChatModel
from counselsim.llm.structured import LLM
from counselsim.personas.models import ClientProfile
from counselsim.privacy.batch import amask_jsonl
from counselsim.privacy.core import Masker
from counselsim.privacy.llm import RecordRemasker
from counselsim.prompts import PromptLibrary
from tests.conftest import run_cli


def answer(*items: tuple[str, str]) -> str:
    return json.dumps({"identifiers": [{"text": t, "type": k} for t, k in items]})


def deps(*script: str) -> tuple[AgentDeps, ScriptedChatModel]:
    fake = ScriptedChatModel(script=list(script))
    llm = LLM(fake, Engine.CUSTOM, "fake", retry_attempts=1, max_repairs=1)
    return AgentDeps(llm, PromptLibrary(), RunConfig().sampling), fake


def write(path: Path, *rows: object) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


async def test_amask_jsonl_masks_what_the_model_finds_one_call_per_record(tmp_path):
    src = write(
        tmp_path / "in.jsonl",
        {"id": "a", "text": "邻居大壮总来敲门，电话13812345678，大壮很吵。"},
        "broken line",
        {"id": "b", "text": "We all call him Moose. Moose was loud again."},
    )
    out = tmp_path / "out.jsonl"
    llm, fake = deps(answer(("大壮", "NAME")), answer(("Moose", "NAME")))
    report = await amask_jsonl(src, out, llm)
    assert (report.processed, report.failed) == (2, 1)
    rows = read(out)
    assert rows[0]["masked_text"] == "邻居[NAME_1]总来敲门，电话[PHONE_1]，[NAME_1]很吵。"
    assert rows[1] == {"line": 2, "error": rows[1]["error"]}
    assert rows[2]["masked_text"] == "We all call him [NAME_1]. [NAME_1] was loud again."
    assert len(fake.calls) == 2  # no call for the bad line
    assert "13812345678" not in fake.calls[0].text  # the model sees the rule-masked text


def test_mask_cli_llm_builds_the_model_from_the_flags(monkeypatch, capfd, tmp_path):
    from counselsim.services import compose

    llm, fake = deps(answer(("铁蛋", "NAME")))
    asked: list[RunConfig] = []

    def build(cfg: RunConfig, chat_model: Any = None) -> AgentDeps:
        asked.append(cfg)
        return llm

    monkeypatch.setattr(compose, "build_masker_deps", build)
    src = write(tmp_path / "in.jsonl", {"id": "a", "text": "我们都叫他铁蛋，铁蛋不爱说话。"})
    out = tmp_path / "out.jsonl"
    argv = ["mask", str(src), "--out", str(out), "--llm", "--base-url", "http://127.0.0.1:9/v1"]
    code, stdout, stderr = run_cli(monkeypatch, capfd, *argv)
    assert code == 0, stderr
    assert len(asked) == 1
    given = asked[0].model  # the config the flags resolved to: the server, nothing else
    assert (given.engine, given.base_url, given.model_path, given.model) == (
        Engine.OPENAI,
        "http://127.0.0.1:9/v1",
        None,
        None,
    )
    assert read(out)[0]["masked_text"] == "我们都叫他[NAME_1]，[NAME_1]不爱说话。"
    assert len(fake.calls) == 1 and "铁蛋" not in stdout + stderr


def test_mask_cli_refuses_the_input_as_output_before_loading_a_model(monkeypatch, capfd, tmp_path):
    from counselsim.services import compose

    def build(cfg: RunConfig, chat_model: Any = None) -> AgentDeps:
        raise AssertionError("the model must not load")

    monkeypatch.setattr(compose, "build_masker_deps", build)
    src = write(tmp_path / "in.jsonl", {"id": "a", "text": "x"})
    code, _, stderr = run_cli(monkeypatch, capfd, "mask", str(src), "--out", str(src), "--llm")
    assert code == 2 and "is the input file" in stderr


async def test_record_remasker_masks_every_field_consistently():
    profile = ClientProfile.model_validate(
        {
            "id": "p1",
            "language": "zh",
            "presenting_problem": "邻居大壮总来敲门，我很焦虑。",
            "relevant_history": "大壮以前是我同事。",
        }
    )
    llm, fake = deps(answer(("大壮", "NAME"), ("焦虑", "NAME")))
    remasker = RecordRemasker(llm)
    masker = remasker.track(lambda rid: Masker())("p1")
    masker("电话13812345678")  # the importer's masking already numbered a phone
    out = await remasker.remask("p1", profile)
    assert out.presenting_problem == "邻居[NAME_1]总来敲门，我很焦虑。"  # emotions survive
    assert out.relevant_history == "[NAME_1]以前是我同事。"
    assert out.id == "p1" and len(fake.calls) == 1
    assert "p1" not in fake.calls[0].text  # ids are no text


async def test_record_remasker_numbers_on_for_an_untracked_record():
    profile = ClientProfile.model_validate(
        {"id": "p2", "language": "zh", "presenting_problem": "[NAME_1]和邻居大壮吵架了。"}
    )
    llm, _ = deps(answer(("大壮", "NAME")))
    out = await RecordRemasker(llm).remask("p2", profile)
    assert out.presenting_problem == "[NAME_1]和邻居[NAME_2]吵架了。"  # no clash with NAME_1


@pytest.mark.parametrize("surrogates", [False, True])
def test_profiles_import_llm_mask(monkeypatch, capfd, tmp_path, surrogates):
    from counselsim.services import compose

    llm, fake = deps(answer(("大壮", "NAME")))
    monkeypatch.setattr(compose, "build_masker_deps", lambda cfg, chat_model=None: llm)
    src = tmp_path / "p.yaml"
    src.write_text(
        yaml.safe_dump(
            {
                "id": "zh-neighbour",
                "language": "zh",
                "presenting_problem": "邻居大壮总来敲门，打13812345678也不接。",
                "relevant_history": "大壮搬来两年了。",
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    out = tmp_path / "imp"
    argv = ["profiles", "import", str(src), "--format", "counselsim", "--out", str(out)]
    argv += ["--llm-mask", "--model", "m"] + (["--surrogates"] if surrogates else [])
    code, _, stderr = run_cli(monkeypatch, capfd, *argv)
    assert code == 0, stderr
    text = (out / "profiles" / "zh-neighbour.yaml").read_text(encoding="utf-8")
    assert "大壮" not in text and "13812345678" not in text
    if not surrogates:
        assert "邻居[NAME_1]总来敲门" in text and "[NAME_1]搬来两年了" in text
    assert len(fake.calls) == 1 and "13812345678" not in fake.calls[0].text
    assert json.loads((out / "import.json").read_text())["options"]["llm_mask"] is True


def test_profiles_import_without_llm_mask_never_calls_a_model(monkeypatch, capfd, tmp_path):
    from counselsim.services import compose

    def build(cfg: RunConfig, chat_model: Any = None) -> AgentDeps:
        raise AssertionError("no model without --llm-mask")

    monkeypatch.setattr(compose, "build_masker_deps", build)
    src = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "counselsim"
    out = tmp_path / "imp"
    argv = ["profiles", "import", str(src), "--format", "counselsim", "--out", str(out)]
    code, _, stderr = run_cli(monkeypatch, capfd, *argv)
    assert code == 0, stderr


def test_profiles_import_llm_mask_shares_the_extractors_model(monkeypatch, capfd, tmp_path):
    from counselsim.services import compose
    from tests.unit.test_importers import FIX, draft, extractor

    # one scripted model: the extractor's draft, then the masking pass's answer
    ext, fake = extractor([draft(relevant_history="邻居大壮总来敲门。"), answer(("大壮", "NAME"))])
    monkeypatch.setattr(compose, "build_extractor", lambda cfg, chat_model=None: ext)

    def build(cfg: RunConfig, chat_model: Any = None) -> AgentDeps:
        raise AssertionError("a second model must not load")

    monkeypatch.setattr(compose, "build_masker_deps", build)
    out = tmp_path / "imp"
    argv = ["profiles", "import", str(FIX / "psyqa" / "posts.json"), "--format", "psyqa"]
    argv += ["--out", str(out), "--limit", "1", "--llm-mask", "--model", "m"]
    code, _, stderr = run_cli(monkeypatch, capfd, *argv)
    assert code == 0, stderr
    text = (out / "profiles" / "psyqa-0001.yaml").read_text(encoding="utf-8")
    assert "大壮" not in text and "邻居[NAME_1]总来敲门" in text
    assert len(fake.calls) == 2  # extraction, then the masking pass, on the same model
