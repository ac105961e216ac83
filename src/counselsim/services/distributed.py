"""``generate --executor ray`` and ``generate --workers N``: courses sharded across a Ray
cluster, or across N processes on this machine.

The plan is cut into ``S`` shards (course ``i`` goes to shard ``i mod S``; ``S`` is fixed by
the first run and kept in ``run.json``). Each shard runs as one Ray task on some node, or in
one worker process, with the same code as the local executor: its own run directory in
``DIR/shards/NNN/`` (sessions and courses logs, SQLite checkpoints, Chroma memory) so every
file has exactly one writer, or a shared Postgres (``--checkpoint-dsn``) and Chroma server
(``--chroma-url``). Shard ``k`` talks to endpoint ``k mod E``. ``DIR`` must be on storage
every node sees (one machine, or NFS).

One driver process runs every course's Python (graphs, checkpoints, memory, HTTP) on one
core; worker processes are how a many-core machine keeps a large server busy.

When the tasks end, the driver consolidates the shards into ``DIR/sessions.jsonl`` and
``DIR/courses.jsonl`` (rewritten atomically, in course order), so ``score``, ``export`` and
``report`` read a Ray run like a local one. A rerun resumes each shard where it stopped.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from counselsim import aio
from counselsim.critic.tally import merge_evidence
from counselsim.errors import ConfigError, DataError, ModelUnavailableError
from counselsim.personas.models import ClientProfile
from counselsim.runs import GenerateSummary, RunDir, read_statuses
from counselsim.runs.files import write_atomic
from counselsim.runs.logs import unique_sessions
from counselsim.services.compose import Simulation
from counselsim.services.generate import effective_concurrency, open_generate_run, resume_key
from counselsim.services.runner import GenerateStats, plan_courses

log = logging.getLogger(__name__)


def shard_dir(out: Path, k: int) -> Path:
    """Shard ``k``'s run directory."""
    return RunDir(out).shard(k).root


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
    from counselsim.services.compose import build_simulation
    from counselsim.services.course import Workspace
    from counselsim.services.runner import Generator

    cfg = RunConfig.model_validate(config)
    if endpoint is not None:
        model = cfg.model.model_copy(update={"base_url": endpoint, "engine": Engine.OPENAI})
        cfg = cfg.model_copy(update={"model": model})
    sim = build_simulation(cfg)
    loaded = [ClientProfile.model_validate(p) for p in profiles]
    plans = [p for p in plan_courses(loaded, max(indices) + 1, cfg.seed) if p.index in indices]
    run = RunDir(Path(out))
    run.root.mkdir(parents=True, exist_ok=True)
    run.reconcile(cfg.sessions)  # the shard's only writer: its logs are reconciled here

    async def go() -> GenerateStats:
        memory = None
        if chroma_url is not None and collection is not None:
            memory = ChromaMemory(USEEmbedding(), url=chroma_url, collection=collection)
        gen = Generator([sim], run.course_log(), concurrency)
        async with Workspace.open(run, None, memory, checkpoint_dsn, gen.on_record) as ws:
            return await gen.run(plans, ws)

    return aio.run(go()).summary([sim], run.repairs).model_dump(mode="json")


def consolidate(out: Path, n_shards: int) -> tuple[int, int]:
    """Rewrite ``DIR/sessions.jsonl`` and ``DIR/courses.jsonl`` from the shards, in course
    order (each course's last status); returns (sessions, courses)."""
    run = RunDir(out)
    sessions: dict[tuple[str, int], str] = {}
    statuses: dict[str, str] = {}
    for k in range(n_shards):
        shard = run.shard(k)
        for _, rec in unique_sessions(shard.sessions_file):
            sessions[(rec.course_id, rec.session_index)] = rec.model_dump_json()
        for course_id, status in read_statuses(shard.courses_file).items():
            statuses[course_id] = status.model_dump_json()
    write_atomic(run.sessions_file, "".join(sessions[k] + "\n" for k in sorted(sessions)))
    write_atomic(run.courses_file, "".join(statuses[c] + "\n" for c in sorted(statuses)))
    return len(sessions), len(statuses)


def _shard_count(run: RunDir, requested: int) -> int:
    """The shard count of an existing run (fixed at its first run), else ``requested``."""
    try:
        manifest = run.manifest()
    except DataError:  # an unreadable run.json is reported when the run is opened
        manifest = None
    known = manifest.shards if manifest else None
    if known and known != requested:
        log.warning("this run was started with %d shards; keeping %d", known, known)
    return int(known or requested)


class ShardPool(Protocol):
    """Where shards run: Ray tasks or local worker processes."""

    def submit(self, *args: Any) -> Any:
        """Start :func:`run_shard` with ``args``; returns a handle."""

    def wait(self, pending: list[Any]) -> tuple[list[Any], list[Any]]:
        """Handles finished (at least one, or none after a poll interval), and the rest."""

    def result(self, handle: Any) -> dict[str, Any]:
        """A finished shard's summary (raises what the shard raised)."""


class RayPool:
    """Shards as Ray tasks (one CPU each, retried twice if a node is lost). Raises
    ConfigError without Ray installed, ModelUnavailableError for an unreachable cluster."""

    def __init__(self, address: str | None) -> None:
        try:
            import ray
        except ImportError:
            raise ConfigError("the Ray executor needs: pip install 'counselsim[ray]'") from None
        if not ray.is_initialized():
            try:
                ray.init(
                    address=address,
                    include_dashboard=False,
                    log_to_driver=False,
                    logging_level=logging.ERROR,
                )
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise ModelUnavailableError(f"Ray cluster {address}: {exc}") from None
        self._ray = ray
        self._task = ray.remote(num_cpus=1, max_retries=2)(run_shard)

    def submit(self, *args: Any) -> Any:
        return self._task.remote(*args)

    def wait(self, pending: list[Any]) -> tuple[list[Any], list[Any]]:
        done, rest = self._ray.wait(pending, num_returns=1, timeout=_POLL_S)
        return list(done), list(rest)

    def result(self, handle: Any) -> dict[str, Any]:
        return self._ray.get(handle)  # type: ignore[no-any-return]


class ProcessPool:
    """Shards in ``workers`` fresh processes on this machine (spawned: no state forked from
    the driver's threads or event loop)."""

    def __init__(self, executor: ProcessPoolExecutor) -> None:
        self._executor = executor

    def submit(self, *args: Any) -> Future[dict[str, Any]]:
        return self._executor.submit(run_shard, *args)

    def wait(self, pending: list[Any]) -> tuple[list[Any], list[Any]]:
        done, rest = wait_futures(pending, timeout=_POLL_S, return_when=FIRST_COMPLETED)
        return list(done), list(rest)

    def result(self, handle: Any) -> dict[str, Any]:
        return handle.result()  # type: ignore[no-any-return]


_POLL_S = 2.0


@contextmanager
def process_pool(workers: int) -> Iterator[ProcessPool]:
    """``workers`` spawned local processes for :func:`generate_sharded`."""
    if workers < 1:
        raise ConfigError("--workers must be at least 1")
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as executor:
        yield ProcessPool(executor)


def generate_sharded(
    pool: ShardPool,
    sims: Sequence[Simulation],
    profiles: Sequence[ClientProfile],
    spec: str,
    n_courses: int,
    out: Path,
    concurrency: int | None,
    endpoints: Sequence[str],
    *,
    shards: int,
    chroma_url: str | None = None,
    checkpoint_dsn: str | None = None,
    on_change: Callable[[GenerateStats], None] | None = None,
) -> GenerateSummary:
    """Run (or continue) a generate run with its courses sharded over ``pool`` (Ray tasks:
    :class:`RayPool`; local processes: :func:`process_pool`), then consolidate the shards
    into the run directory. ``concurrency`` is per shard."""
    run = RunDir(out)
    n_shards = _shard_count(run, shards)
    if n_shards < 1:
        raise ConfigError("--shards must be at least 1")
    open_generate_run(run, sims, profiles, spec, n_courses, endpoints, shards=n_shards)
    key = resume_key(sims[0], profiles)
    plans = plan_courses(profiles, n_courses, sims[0].config.seed)
    config = sims[0].config.model_dump(mode="json")
    profiles_json = [p.model_dump(mode="json") for p in profiles]
    stats = GenerateStats(planned=len(plans))
    handles = []
    for k in range(n_shards):
        indices = [p.index for p in plans if p.index % n_shards == k]
        if not indices:
            continue
        endpoint = endpoints[k % len(endpoints)] if endpoints else None
        handles.append(
            pool.submit(
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
        )
    results, errors = _wait(pool, handles, out, n_shards, stats, on_change)
    in_run = consolidate(out, n_shards)
    summary = _merge(results, stats.started, run.repairs)
    summary.sessions_in_run, summary.courses_in_run = in_run
    summary.shards = n_shards
    summary.shard_errors = errors
    run.write_json(run.summary_file, summary)
    return summary


def _wait(
    pool: ShardPool,
    pending: list[Any],
    out: Path,
    n_shards: int,
    stats: GenerateStats,
    on_change: Callable[[GenerateStats], None] | None,
) -> tuple[list[GenerateSummary], list[str]]:
    """The shards' summaries as they finish, and a line per shard task lost."""
    results: list[GenerateSummary] = []
    errors: list[str] = []
    while pending:
        done, pending = pool.wait(pending)
        for handle in done:
            try:
                results.append(GenerateSummary.model_validate(pool.result(handle)))
            except Exception as exc:  # a shard's task died (node lost, OOM): recorded, go on
                errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        if on_change is not None:
            _poll(out, n_shards, stats)
            on_change(stats)
    return results, errors


def _poll(out: Path, n_shards: int, stats: GenerateStats) -> None:
    """Progress from the shards' course logs (the driver shares no memory with workers)."""
    done = failed = sessions = turns = 0
    for k in range(n_shards):
        for status in read_statuses(RunDir(out).shard(k).courses_file).values():
            if status.status == "done":
                done += 1
            else:
                failed += 1
            sessions += status.sessions
            turns += status.turns
    stats.done, stats.failed, stats.sessions, stats.turns = done, failed, sessions, turns


def _merge(
    results: list[GenerateSummary], started: float, repairs: Sequence[str]
) -> GenerateSummary:
    failures: dict[str, int] = {}
    for r in results:
        for cause, n in r.failures.items():
            failures[cause] = failures.get(cause, 0) + n
    elapsed = time.monotonic() - started
    done = sum(r.done for r in results)
    tokens = sum(r.completion_tokens for r in results)
    return GenerateSummary(
        planned=sum(r.planned for r in results),
        already_done=sum(r.already_done for r in results),
        done=done,
        failed=sum(r.failed for r in results),
        failures=dict(sorted(failures.items())),
        sessions=sum(r.sessions for r in results),
        turns=sum(r.turns for r in results),
        seconds=round(elapsed, 1),
        completion_tokens=tokens,
        tokens_per_s=round(tokens / elapsed, 1) if elapsed else 0.0,
        courses_per_hour=round(3600 * done / elapsed, 1) if elapsed else 0.0,
        evidence=merge_evidence(r.evidence for r in results),
        repairs=[*repairs, *(x for r in results for x in r.repairs)],
    )
