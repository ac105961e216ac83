"""``counselsim generate``: many courses from a profile set into one resumable run directory.

The run directory (see :class:`~counselsim.runs.RunDir`) holds ``run.json`` (resolved
config, model ids and endpoints, prompt hashes, run seed, the profile set with digests and
how course seeds derive from the run seed), ``sessions.jsonl`` (a line per finished
session), ``courses.jsonl`` (a line per course outcome), ``summary.json``, the checkpoints
(a LangGraph thread per course) and ``memory/``.

Course ``i`` (from 0) plays profile ``i mod P`` with seed ``derive_seed(run_seed, "course", i)``
and id ``c{i:05d}-{profile id}``, so the same command gives the same plan. Rerunning it after
a crash or ``kill -9`` skips finished courses, resumes unfinished ones from their checkpoint
(at the start of their unfinished session), regenerates sessions whose lines were lost and
retries failed courses; a larger ``--courses`` extends the run.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from chromadb.api.types import Documents, EmbeddingFunction

from counselsim import aio
from counselsim.config import CheckMode, Engine, RunConfig
from counselsim.errors import ConfigError
from counselsim.memory.chroma import ChromaMemory
from counselsim.memory.embeddings import USEEmbedding
from counselsim.personas.models import ClientProfile
from counselsim.runs import GenerateSummary, Manifest, RunDir, RunKind
from counselsim.services.compose import Simulation, build_simulation
from counselsim.services.course import Workspace
from counselsim.services.options import Executor, ModelFlags
from counselsim.services.profiles import load_profile_set
from counselsim.services.runner import GenerateStats, Generator, plan_courses

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 8  # courses in flight on a server when not given


@dataclass(frozen=True)
class ServeOptions:
    """``--serve-model``: start OpenAI-compatible servers for the run, stop them after."""

    model: str
    engine: str | None = None
    replicas: int = 1
    python: str | None = None
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class GenerateOptions:
    """``counselsim generate``: the profile set, the run directory, run settings (``None``:
    from the config), the model (flags, servers given or started) and where courses run."""

    profiles: str
    out: Path
    courses: int | None = None
    sessions: int | None = None
    max_turns: int | None = None
    seed: int | None = None
    checklist: CheckMode | None = None
    concurrency: int | None = None
    model: ModelFlags = field(default_factory=ModelFlags)
    endpoints: tuple[str, ...] = ()
    serve: ServeOptions | None = None
    checkpoint_dsn: str | None = None
    chroma_url: str | None = None
    executor: Executor = Executor.LOCAL
    ray_address: str | None = None
    shards: int | None = None
    workers: int = 1

    def check(self) -> None:
        """Raises ConfigError for flags that do not go together."""
        if self.workers < 1:
            raise ConfigError("--workers must be at least 1")
        if self.workers > 1 and self.executor is Executor.RAY:
            raise ConfigError("--workers runs shards in local processes; Ray has its own")
        if self.executor is Executor.LOCAL and self.ray_address:
            raise ConfigError("--ray-address applies to --executor ray")
        if self.executor is Executor.LOCAL and self.workers == 1 and self.shards:
            raise ConfigError("--shards applies to --executor ray or --workers N")
        if self.serve is not None and (
            self.endpoints or self.model.model_path or self.model.packaged
        ):
            raise ConfigError("--serve-model starts its own server: drop --base-url/--model-path")

    @property
    def sharded(self) -> bool:
        """Courses run in shards (Ray tasks or worker processes), not in this process."""
        return self.executor is Executor.RAY or self.workers > 1


@dataclass(frozen=True)
class GenerateJob:
    """A checked invocation: the options, the resolved config, the profile set and the
    endpoints (given, or of the servers started for it)."""

    options: GenerateOptions
    config: RunConfig
    profiles: list[ClientProfile]
    courses: int
    endpoints: tuple[str, ...]


def plan_generate(opts: GenerateOptions) -> GenerateJob:
    """Check the options, resolve the config and load the profile set (before anything
    starts or is written, except a Cactus import into ``intake/``)."""
    opts.check()
    cfg = opts.model.resolve(
        sessions=opts.sessions, max_turns=opts.max_turns, seed=opts.seed, checklist=opts.checklist
    )
    profiles = load_profile_set(opts.profiles, opts.out)
    return GenerateJob(opts, cfg, profiles, opts.courses or len(profiles), opts.endpoints)


@contextmanager
def served(job: GenerateJob) -> Iterator[GenerateJob]:
    """The job on the servers ``--serve-model`` asks for (started now, stopped on exit), or
    the job as it is."""
    serving = job.options.serve
    if serving is None:
        yield job
        return
    from counselsim.llm.serve import ServeEngine, pick_engine, serve

    name = job.options.model.model or Path(serving.model).name
    out = job.options.out
    with serve(
        serving.model,
        engine=serving.engine,
        name=name,
        replicas=serving.replicas,
        python=serving.python,
        extra_args=serving.args,
        log_dir=out.with_name(out.name + ".servers"),
        n_ctx=job.config.model.n_ctx,
    ) as servers:
        update: dict[str, str] = {"model": name}
        if pick_engine(serving.model, serving.engine) is ServeEngine.LLAMA_CPP:
            update["response_format"] = "json_object"  # llama-cpp-python's server dialect
        cfg = job.config.model_copy(update={"model": job.config.model.model_copy(update=update)})
        yield replace(job, config=cfg, endpoints=tuple(s.base_url for s in servers))


def build_engines(job: GenerateJob) -> list[Simulation]:
    """One simulation per endpoint (or one on the configured engine without endpoints)."""
    sims = []
    for url in job.endpoints or (None,):
        cfg = job.config
        if url is not None:
            model = cfg.model.model_copy(update={"base_url": url, "engine": Engine.OPENAI})
            cfg = cfg.model_copy(update={"model": model})
        sims.append(build_simulation(cfg))
    return sims


def run_job(
    job: GenerateJob,
    sims: Sequence[Simulation],
    on_change: Callable[[GenerateStats], None] | None = None,
) -> GenerateSummary:
    """Run the job's courses on ``sims``: here, in worker processes, or on Ray."""
    o = job.options
    if o.sharded:
        from counselsim.services.distributed import (
            RayPool,
            ShardPool,
            generate_sharded,
            process_pool,
        )

        def sharded(pool: ShardPool, shards: int) -> GenerateSummary:
            return generate_sharded(
                pool, sims, job.profiles, o.profiles, job.courses, o.out, o.concurrency,
                job.endpoints, shards=shards, chroma_url=o.chroma_url,
                checkpoint_dsn=o.checkpoint_dsn, on_change=on_change,
            )  # fmt: skip

        if o.workers > 1:
            with process_pool(o.workers) as workers:
                return sharded(workers, o.shards or o.workers)
        return sharded(RayPool(o.ray_address), o.shards or max(2, len(job.endpoints)))

    async def local() -> GenerateSummary:
        try:
            return await generate(
                sims, job.profiles, o.profiles, job.courses, o.out, o.concurrency, job.endpoints,
                checkpoint_dsn=o.checkpoint_dsn, chroma_url=o.chroma_url, on_change=on_change,
            )  # fmt: skip
        finally:
            for sim in sims:
                await sim.aclose()

    return aio.run(local())


def profile_digest(profile: ClientProfile) -> str:
    """A short hash of a profile (what the manifest records of each)."""
    return hashlib.sha256(profile.model_dump_json().encode()).hexdigest()[:12]


def resume_key(sim: Simulation, profiles: Sequence[ClientProfile]) -> str:
    """What must match for a rerun to continue a run: the config's hash (which leaves out
    where the model is served and retry patience), the model id and the profile set."""
    blob = json.dumps(
        {
            "config": sim.config.hash(),
            "model": sim.counselor_llm.model_id,
            "profiles": [profile_digest(p) for p in profiles],
        },
        sort_keys=True,
    )
    return "gen-" + hashlib.sha256(blob.encode()).hexdigest()[:16]


def open_generate_run(
    run: RunDir,
    sims: Sequence[Simulation],
    profiles: Sequence[ClientProfile],
    spec: str,
    n_courses: int,
    endpoints: Sequence[str],
    shards: int | None = None,
) -> Manifest:
    """Create or continue the run (reconciling its logs); (re)write ``run.json`` for this
    invocation (the shard count stays the first run's: courses map to shards by it)."""
    first = sims[0]
    manifest = first.manifest(
        RunKind.GENERATE,
        resume_key(first, profiles),
        courses=n_courses,
        profile_source=spec,
        profile_ids=[p.id for p in profiles],
        profile_digests={p.id: profile_digest(p) for p in profiles},
        profiles=[p.model_dump(mode="json") for p in profiles],
        course_seed='derive_seed(run_seed, "course", index); course id c{index:05d}-{profile}',
        model_ids=sorted({s.counselor_llm.model_id for s in sims}),
        endpoints=list(endpoints),
        shards=shards,
    )
    if run.open_run(manifest, allowed=(RunDir.INTAKE,)):  # cactus: imported before the run
        log.info("continuing run %s in %s", manifest.resume_key, run.root)
        previous = run.manifest()
        if previous is not None and previous.shards:
            manifest.shards = previous.shards
        run.write_manifest(manifest)
    return manifest


def effective_concurrency(sims: Sequence[Simulation], requested: int | None) -> int:
    """Courses in flight: ``requested``, else 8 on a server. In-process llama.cpp serves one
    sequence at a time per instance and keeps one KV prefix: interleaving courses there only
    thrashes the cache, so it runs one course at a time."""
    if sims[0].counselor_llm.engine in (Engine.EMBEDDED, Engine.GGUF):
        if requested is not None and requested > 1:
            log.warning("in-process llama.cpp runs one course at a time; serve it for concurrency")
        return 1
    return requested or DEFAULT_CONCURRENCY


async def generate(
    sims: Sequence[Simulation],
    profiles: Sequence[ClientProfile],
    spec: str,
    n_courses: int,
    out: Path,
    concurrency: int | None,
    endpoints: Sequence[str] = (),
    *,
    embedder: EmbeddingFunction[Documents] | None = None,
    chroma_url: str | None = None,
    checkpoint_dsn: str | None = None,
    on_change: Callable[[GenerateStats], None] | None = None,
    max_consecutive_failures: int = 25,
) -> GenerateSummary:
    """Run (or continue) a generate run in ``out`` on this machine; returns the summary it
    also writes to ``out/summary.json``."""
    run = RunDir(out)
    open_generate_run(run, sims, profiles, spec, n_courses, endpoints)
    memory = None
    if chroma_url is not None:
        collection = f"counselsim-{resume_key(sims[0], profiles)}"
        memory = ChromaMemory(embedder or USEEmbedding(), url=chroma_url, collection=collection)
    gen = Generator(
        sims,
        run.course_log(),
        effective_concurrency(sims, concurrency),
        max_consecutive_failures,
        on_change=on_change,
    )
    plans = plan_courses(profiles, n_courses, sims[0].config.seed)
    async with Workspace.open(run, embedder, memory, checkpoint_dsn, gen.on_record) as ws:
        try:
            await gen.run(plans, ws)
        finally:
            summary = gen.stats.summary(sims, run.repairs)
            run.write_json(run.summary_file, summary)
    return summary
