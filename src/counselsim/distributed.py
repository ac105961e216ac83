"""``generate --executor ray``: courses sharded across a Ray cluster.

The plan is cut into ``S`` shards (course ``i`` goes to shard ``i mod S``; ``S`` is fixed by
the first run and kept in ``run.json``). Each shard runs as one Ray task on some node with
the same code as the local executor: its own workspace in ``DIR/shards/NNN/`` (sessions and
courses logs, SQLite checkpoints, Chroma memory) so every file has exactly one writer, or a
shared Postgres (``--checkpoint-dsn``) and Chroma server (``--chroma-url``). Shard ``k`` talks
to endpoint ``k mod E``. ``DIR`` must be on storage every node sees (one machine, or NFS).

When the tasks end, the driver consolidates the shards into ``DIR/sessions.jsonl`` and
``DIR/courses.jsonl`` (rewritten atomically, in course order), so ``score``, ``export`` and
``report`` read a Ray run like a local one. A rerun resumes each shard where it stopped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from counselsim.errors import ConfigError, ModelUnavailableError
from counselsim.generate import (
    COURSES_FILE,
    SUMMARY_FILE,
    CourseLog,
    CoursePlan,
    GenerateStats,
    Generator,
    effective_concurrency,
    plan_courses,
    read_statuses,
    resume_key,
    write_manifest,
)
from counselsim.output import RUN_FILE, SESSIONS_FILE, write_atomic
from counselsim.personas.models import ClientProfile
from counselsim.service import Simulation

log = logging.getLogger(__name__)


def shard_dir(out: Path, k: int) -> Path:
    return out / "shards" / f"{k:03d}"


def run_shard(
    config: dict[str, Any],
    endpoint: str | None,
    profiles: list[dict[str, Any]],
    indices: list[int],
    out: str,
    concurrency: int,
    chroma_url: str | None,
    collection: str | None,
    checkpoint_dsn: str | None,
) -> dict[str, Any]:
    """One shard, inside a Ray worker: build the engine, run its courses, return counters."""
    from counselsim.config import Engine, RunConfig
    from counselsim.memory.chroma import ChromaMemory
    from counselsim.memory.embeddings import USEEmbedding
    from counselsim.service import Workspace, build_simulation

    cfg = RunConfig.model_validate(config)
    if endpoint is not None:
        model = cfg.model.model_copy(update={"base_url": endpoint, "engine": Engine.OPENAI})
        cfg = cfg.model_copy(update={"model": model})
    sim = build_simulation(cfg)
    loaded = [ClientProfile.model_validate(p) for p in profiles]
    plans = [p for p in plan_courses(loaded, max(indices) + 1, cfg.seed) if p.index in indices]
    path = Path(out)
    path.mkdir(parents=True, exist_ok=True)

    async def go() -> GenerateStats:
        memory = None
        if chroma_url is not None and collection is not None:
            memory = ChromaMemory(USEEmbedding(), url=chroma_url, collection=collection)
        gen = Generator([sim], CourseLog(path / COURSES_FILE), concurrency)
        async with Workspace.open(path, None, memory, checkpoint_dsn, gen.on_record) as ws:
            return await gen.run(plans, ws)

    return asyncio.run(go()).summary([sim])


def consolidate(out: Path, n_shards: int) -> tuple[int, int]:
    """Rewrite ``DIR/sessions.jsonl`` and ``DIR/courses.jsonl`` from the shards, in course
    order (each course's last status); returns (sessions, courses)."""
    sessions: list[tuple[str, int, str]] = []
    statuses: dict[str, str] = {}
    for k in range(n_shards):
        d = shard_dir(out, k)
        if (d / SESSIONS_FILE).exists():
            for line in (d / SESSIONS_FILE).read_text(encoding="utf-8").splitlines():
                if line.strip():
                    rec = json.loads(line)
                    sessions.append((rec["course_id"], rec["session_index"], line))
        if (d / COURSES_FILE).exists():
            for course_id, status in read_statuses(d / COURSES_FILE).items():
                statuses[course_id] = status.to_json()
    sessions.sort(key=lambda s: (s[0], s[1]))
    write_atomic(out / SESSIONS_FILE, "".join(s[2] + "\n" for s in sessions))
    write_atomic(out / COURSES_FILE, "".join(statuses[c] + "\n" for c in sorted(statuses)))
    return len(sessions), len(statuses)


def _shard_count(out: Path, requested: int) -> int:
    """The shard count of an existing run (fixed at its first run), else ``requested``."""
    try:
        known = json.loads((out / RUN_FILE).read_text(encoding="utf-8")).get("shards")
    except (OSError, ValueError):
        known = None
    if known and known != requested:
        log.warning("this run was started with %d shards; keeping %d", known, known)
    return int(known or requested)


def generate_on_ray(
    sims: Sequence[Simulation],
    profiles: Sequence[ClientProfile],
    spec: str,
    n_courses: int,
    out: Path,
    concurrency: int | None,
    endpoints: Sequence[str],
    *,
    ray_address: str | None,
    shards: int,
    chroma_url: str | None = None,
    checkpoint_dsn: str | None = None,
    on_change: Callable[[GenerateStats], None] | None = None,
) -> dict[str, Any]:
    """Run (or continue) a generate run with its courses sharded over Ray tasks.

    ``concurrency`` is per shard. Raises ConfigError without Ray installed and
    ModelUnavailableError when the cluster cannot be reached.
    """
    try:
        import ray
    except ImportError:
        raise ConfigError("the Ray executor needs: pip install 'counselsim[ray]'") from None
    n_shards = _shard_count(out, shards)
    if n_shards < 1:
        raise ConfigError("--shards must be at least 1")
    write_manifest(out, sims, profiles, spec, n_courses, endpoints, shards=n_shards)
    key = resume_key(sims[0], profiles)
    plans: list[CoursePlan] = plan_courses(profiles, n_courses, sims[0].config.seed)
    if not ray.is_initialized():
        try:
            ray.init(
                address=ray_address,
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.ERROR,
            )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ModelUnavailableError(f"Ray cluster {ray_address}: {exc}") from None
    task = ray.remote(num_cpus=1, max_retries=2)(run_shard)
    config = sims[0].config.model_dump(mode="json")
    profiles_json = [p.model_dump(mode="json") for p in profiles]
    stats = GenerateStats(planned=len(plans))
    refs = {}
    for k in range(n_shards):
        indices = [p.index for p in plans if p.index % n_shards == k]
        if not indices:
            continue
        endpoint = endpoints[k % len(endpoints)] if endpoints else None
        refs[k] = task.remote(
            config,
            endpoint,
            profiles_json,
            indices,
            str(shard_dir(out, k)),
            effective_concurrency(sims, concurrency),
            chroma_url,
            f"counselsim-{key}" if chroma_url else None,
            checkpoint_dsn,
        )
    pending = list(refs.values())
    results: list[dict[str, Any]] = []
    errors: list[str] = []
    while pending:
        done, pending = ray.wait(pending, num_returns=1, timeout=2.0)
        for ref in done:
            try:
                results.append(ray.get(ref))
            except Exception as exc:  # a shard's task died (node lost, OOM): recorded, go on
                errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        if on_change is not None:
            _poll(out, n_shards, stats)
            on_change(stats)
    in_run = consolidate(out, n_shards)
    summary = _merge(results, stats.started)
    summary["sessions_in_run"], summary["courses_in_run"] = in_run
    summary["shards"] = n_shards
    summary["shard_errors"] = errors
    write_atomic(out / SUMMARY_FILE, json.dumps(summary, indent=2) + "\n")
    return summary


def _poll(out: Path, n_shards: int, stats: GenerateStats) -> None:
    """Progress from the shards' course logs (the driver shares no memory with workers)."""
    done = failed = sessions = turns = 0
    for k in range(n_shards):
        path = shard_dir(out, k) / COURSES_FILE
        if not path.exists():
            continue
        for status in read_statuses(path).values():
            if status.status == "done":
                done += 1
            else:
                failed += 1
            sessions += status.sessions
            turns += status.turns
    stats.done, stats.failed, stats.sessions, stats.turns = done, failed, sessions, turns


def _merge(results: list[dict[str, Any]], started: float) -> dict[str, Any]:
    keys = ("planned", "already_done", "done", "failed", "sessions", "turns", "completion_tokens")
    merged: dict[str, Any] = {k: sum(r.get(k, 0) for r in results) for k in keys}
    failures: dict[str, int] = {}
    for r in results:
        for cause, n in r.get("failures", {}).items():
            failures[cause] = failures.get(cause, 0) + n
    elapsed = time.monotonic() - started
    merged["failures"] = dict(sorted(failures.items()))
    merged["seconds"] = round(elapsed, 1)
    merged["tokens_per_s"] = round(merged["completion_tokens"] / elapsed, 1) if elapsed else 0.0
    merged["courses_per_hour"] = round(3600 * merged["done"] / elapsed, 1) if elapsed else 0.0
    return merged
