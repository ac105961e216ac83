"""A golden seeded run: ``generate`` over the simulated server, compared byte for byte with the
``sessions.jsonl`` it wrote before a refactor. A change that alters what a run writes (a prompt,
a config default, a record field, the order of calls) fails here and must be deliberate: then
regenerate the golden file with ``COUNSELSIM_UPDATE_GOLDEN=1`` and say why in the commit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from counselsim.config import load_config
from counselsim.memory.embeddings import HashingEmbedding
from counselsim.services.compose import build_simulation
from counselsim.services.generate import generate
from counselsim.services.profiles import load_profile_set
from tests.support.simserver import SimServer

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])
GOLDEN = Path(__file__).with_name("sessions.golden.jsonl")


async def test_seeded_run_on_the_simulated_server_is_byte_identical(tmp_path: Path) -> None:
    profiles = load_profile_set("zh-crisis-risk,en-help-rejecting", tmp_path)
    out = tmp_path / "run"
    with SimServer(seed=11, capacity=2) as server:
        cfg = load_config(
            overrides={
                "sessions": 2,
                "max_turns": 3,
                "seed": 7,
                "model": {"base_url": server.base_url, "model": "sim"},
            }
        )
        sim = build_simulation(cfg)
        try:
            summary = await generate(
                [sim], profiles, "golden", 2, out, 1, embedder=HashingEmbedding()
            )
        finally:
            await sim.aclose()
    assert summary["done"] == 2 and summary["failed"] == 0
    got = (out / "sessions.jsonl").read_bytes()
    if os.environ.get("COUNSELSIM_UPDATE_GOLDEN"):
        GOLDEN.write_bytes(got)
    assert got == GOLDEN.read_bytes()
