"""Beyond one machine: the Ray executor on a local 2-CPU cluster, and client memory in a real
``chroma run`` server, both on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from counselsim.config import load_config
from counselsim.errors import ModelUnavailableError
from counselsim.llm.serve import free_port
from counselsim.memory.chroma import ChromaMemory
from counselsim.memory.embeddings import HashingEmbedding
from counselsim.runs import RunDir
from counselsim.services.compose import build_simulation
from counselsim.services.generate import generate, resume_key
from counselsim.services.profiles import load_profile_set
from tests.support.simserver import SimServer

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])
ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server (the `chroma` CLI chromadb installs), started for these tests."""
    exe = Path(sys.executable).with_name("chroma")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma")
    proc = subprocess.Popen(
        [str(exe), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                ChromaMemory(HashingEmbedding(), url=url, collection="probe")
                break
            except ModelUnavailableError:
                assert proc.poll() is None, "chroma run exited"
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        _node_ip_address="127.0.0.1",
    )
    try:
        yield
    finally:
        ray.shutdown()


def sims_for(*urls: str) -> list[object]:
    over = {"sessions": 2, "max_turns": 2, "seed": 7}
    return [
        build_simulation(load_config(overrides={**over, "model": {"base_url": u, "model": "sim"}}))
        for u in urls
    ]


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def test_memory_lives_in_a_chroma_server(tmp_path: Path, chroma_url: str) -> None:
    profiles = load_profile_set("en-help-rejecting", tmp_path)
    with SimServer(seed=1) as s:
        sims = sims_for(s.base_url)
        run = generate(
            sims, profiles, "x", 1, tmp_path / "r", 1, chroma_url=chroma_url,
            embedder=HashingEmbedding(),
        )  # fmt: skip
        summary = asyncio.run(run)
    assert summary.done == 1
    assert not (tmp_path / "r" / "memory").exists()  # nothing stored locally
    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=int(chroma_url.rsplit(":", 1)[1]))
    stored = client.get_collection(f"counselsim-{resume_key(sims[0], profiles)}")
    assert stored.count() > 0
    session2 = [json.loads(x) for x in (tmp_path / "r" / RunDir.SESSIONS).open()][1]
    recalled = [t["memory_ids"] for t in session2["turns"] if t["role"] == "client"]
    assert any(recalled)  # session 2's client recalled session 1 from the server


def test_an_unreachable_chroma_server_is_one_line() -> None:
    with pytest.raises(ModelUnavailableError, match=r"127\.0\.0\.1:9: Chroma server unreachable"):
        ChromaMemory(HashingEmbedding(), url="http://127.0.0.1:9")


def test_ray_shards_courses_across_workers_and_resumes(
    tmp_path: Path, local_ray: None, chroma_url: str
) -> None:
    from counselsim.services.distributed import RayPool, generate_sharded, shard_dir

    def generate_on_ray(*args: Any, shards: int, chroma_url: str) -> Any:
        return generate_sharded(RayPool(None), *args, shards=shards, chroma_url=chroma_url)

    profiles = load_profile_set("en-help-rejecting,zh-grief", tmp_path)
    out = tmp_path / "run"
    with SimServer(seed=1, capacity=2) as a, SimServer(seed=2, capacity=2) as b:
        sims = sims_for(a.base_url, b.base_url)
        urls = [a.base_url, b.base_url]
        summary = generate_on_ray(sims, profiles, "x", 5, out, 2, urls, shards=2,
                                  chroma_url=chroma_url)  # fmt: skip
        assert summary.done == 5 and summary.failed == 0 and not summary.shard_errors
        assert a.stats.requests > 0 and b.stats.requests > 0  # each shard its endpoint
        sent = a.stats.requests + b.stats.requests
        # shard k holds courses k, k+2, ...: one writer per file
        shard0 = {x["course_id"] for x in lines(shard_dir(out, 0) / RunDir.COURSES)}
        assert all(int(c[1:6]) % 2 == 0 for c in shard0) and len(shard0) == 3
        # consolidated in course order, no duplicates
        records = lines(out / RunDir.SESSIONS)
        keys = [(r["course_id"], r["session_index"]) for r in records]
        assert keys == sorted(keys) and len(keys) == 10 and max(Counter(keys).values()) == 1
        assert summary.sessions_in_run == 10 and summary.courses_in_run == 5
        assert summary.evidence.sessions == 10 and summary.evidence.turns == summary.turns
        assert json.loads((out / "run.json").read_text())["shards"] == 2

        # the same command again: each shard finds its courses done
        again = generate_on_ray(sims, profiles, "x", 5, out, 2, urls, shards=3,
                                chroma_url=chroma_url)  # fmt: skip
        assert again.already_done == 5 and again.done == 0 and again.shards == 2
        assert a.stats.requests + b.stats.requests == sent
