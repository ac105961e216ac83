"""``counselsim generate``: many courses from a profile set into one run directory.

Layout of ``DIR``:

- ``run.json`` — the manifest: resolved config, model ids and endpoints, prompt hashes, run
  seed, the profile set (ids and digests) and how course seeds derive from the run seed;
- ``sessions.jsonl`` — one line per finished session, appended and fsynced (never rewritten);
- ``courses.jsonl`` — one line per finished or failed course (status, cause, seed, counts);
- ``checkpoints.sqlite`` — LangGraph's checkpoints, one thread per course (or Postgres);
- ``memory/`` — client memory, one Chroma collection filtered by course (or a Chroma server).

Course ``i`` (from 0) plays profile ``i mod P`` with seed ``derive_seed(run_seed, "course", i)``
and id ``c{i:05d}-{profile id}``, so the same command gives the same plan. Rerunning it after
a crash or ``kill -9`` skips finished courses, resumes unfinished ones from their checkpoint
(at the start of their unfinished session) and retries failed ones; a larger ``--courses``
extends the run.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction

from counselsim.config import Engine, derive_seed
from counselsim.critic.tally import run_evidence
from counselsim.errors import (
    ConfigError,
    CounselsimError,
    DataError,
    ModelUnavailableError,
    OutputError,
)
from counselsim.memory.chroma import ChromaMemory
from counselsim.memory.embeddings import USEEmbedding
from counselsim.output import RUN_FILE, append_line, prepare_out_dir, repair_tail, write_atomic
from counselsim.personas.models import ClientProfile
from counselsim.records import EvidenceTally, SessionRecord
from counselsim.service import Simulation, Workspace

log = logging.getLogger(__name__)

COURSES_FILE = "courses.jsonl"
SUMMARY_FILE = "summary.json"
DEFAULT_CONCURRENCY = 8  # courses in flight on a server when not given
PROFILE_SUFFIXES = (".yaml", ".yml", ".json")


# --- the profile set -------------------------------------------------------------------------


def load_profile_set(spec: str, out: Path, flag: str = "--profiles") -> list[ClientProfile]:
    """Profiles from ``spec``: a folder (every profile file under it), a profile file,
    ``library`` / ``library:zh`` / ``library:en`` (the packaged personas), ``cactus:PATH``
    (Cactus intake forms, imported and masked into ``out/intake`` first), or persona ids
    separated by commas. Error messages name the option as ``flag``.

    Raises:
        ProfileError: an invalid profile file or unknown persona id.
        DataError: no profiles, or two with the same id.
    """
    from counselsim.personas.library import list_personas, resolve_profile
    from counselsim.personas.load import load_profile
    from counselsim.personas.models import Language

    path = Path(spec)
    if spec.startswith("library"):
        _, _, lang = spec.partition(":")
        if lang and lang not in ("zh", "en"):
            raise ConfigError(f"{flag} {spec}: the library's languages are zh and en")
        profiles = list_personas(Language(lang) if lang else None)
    elif spec.startswith("cactus:"):
        profiles = _import_cactus(Path(spec.removeprefix("cactus:")), out / "intake")
    elif path.is_dir():
        files = sorted(f for f in path.rglob("*") if f.suffix.lower() in PROFILE_SUFFIXES)
        profiles = [load_profile(f) for f in files]
    else:
        profiles = [resolve_profile(s.strip()) for s in spec.split(",") if s.strip()]
    if not profiles:
        raise DataError(f"{flag} {spec}: no profiles found")
    seen: set[str] = set()
    for p in profiles:
        if p.id in seen:
            raise DataError(f"{flag} {spec}: two profiles have the id '{p.id}'")
        seen.add(p.id)
    return profiles


def _import_cactus(src: Path, dest: Path) -> list[ClientProfile]:
    """Cactus intake forms as masked profiles (rule-based import, no model), kept in
    ``dest/profiles`` so a rerun reads the same set."""
    from counselsim.importers.run import run_import
    from counselsim.personas.load import load_profile

    if not src.exists():
        raise DataError(f"{src}: Cactus intake file not found")
    folder = dest / "profiles"
    if not folder.is_dir():
        report = run_import("cactus", src, dest)
        if report.failed:
            log.warning("cactus import: %d records failed", report.failed)
    return [load_profile(f) for f in sorted(folder.glob("*.yaml"))]


# --- the plan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoursePlan:
    """One course of a run: which profile, under which id and seed."""

    index: int
    course_id: str
    profile: ClientProfile
    seed: int


def plan_courses(profiles: Sequence[ClientProfile], n: int, run_seed: int) -> list[CoursePlan]:
    """``n`` courses cycling through ``profiles``, each with a seed derived from the run's."""
    return [
        CoursePlan(
            index=i,
            course_id=f"c{i:05d}-{profiles[i % len(profiles)].id}",
            profile=profiles[i % len(profiles)],
            seed=derive_seed(run_seed, "course", i),
        )
        for i in range(n)
    ]


def profile_digest(profile: ClientProfile) -> str:
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


# --- course status log -----------------------------------------------------------------------


@dataclass
class CourseStatus:
    """A course's outcome, one line of ``courses.jsonl``."""

    course_id: str
    index: int
    profile_id: str
    seed: int
    status: str  # done | failed
    sessions: int = 0
    turns: int = 0
    seconds: float = 0.0
    error: str | None = None

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)


def read_statuses(path: Path) -> dict[str, CourseStatus]:
    """Each course's last status in a ``courses.jsonl``; reading only, so it is safe while
    another process appends (a torn last line is skipped, not cut)."""
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if lines and not text.endswith("\n"):
        lines.pop()
    last: dict[str, CourseStatus] = {}
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            status = CourseStatus(**json.loads(line))
        except (ValueError, TypeError):
            raise OutputError(f"{path}:{n}: not a course status line") from None
        last[status.course_id] = status
    return last


class CourseLog:
    """``courses.jsonl``: appended per course; the last line of a course is its status."""

    def __init__(self, path: Path) -> None:
        self.path = path
        repair_tail(path)  # the writer's own file: cut a torn last line
        self.last = read_statuses(path)

    def done(self, course_id: str) -> bool:
        status = self.last.get(course_id)
        return status is not None and status.status == "done"

    def add(self, status: CourseStatus) -> None:
        append_line(self.path, status.to_json())
        self.last[status.course_id] = status


# --- the runner ------------------------------------------------------------------------------


@dataclass
class GenerateStats:
    """Live counters for the progress display and the final summary."""

    planned: int = 0
    skipped: int = 0  # already done before this invocation
    done: int = 0
    failed: int = 0
    running: int = 0
    sessions: int = 0
    turns: int = 0
    started: float = field(default_factory=time.monotonic)
    failures: dict[str, int] = field(default_factory=dict)  # cause (error type) -> courses
    evidence: list[EvidenceTally | None] = field(default_factory=list)  # per session

    def completion_tokens(self, sims: Sequence[Simulation]) -> int:
        llms = {id(x): x for s in sims for x in (s.counselor_llm, s.client_llm, s.critic_llm)}
        return sum(x.usage.completion_tokens for x in llms.values())

    def summary(self, sims: Sequence[Simulation]) -> dict[str, Any]:
        elapsed = time.monotonic() - self.started
        tokens = self.completion_tokens(sims)
        return {
            "planned": self.planned,
            "already_done": self.skipped,
            "done": self.done,
            "failed": self.failed,
            "failures": dict(sorted(self.failures.items())),
            "sessions": self.sessions,
            "turns": self.turns,
            "seconds": round(elapsed, 1),
            "completion_tokens": tokens,
            "tokens_per_s": round(tokens / elapsed, 1) if elapsed > 0 else 0.0,
            "courses_per_hour": round(3600 * self.done / elapsed, 1) if elapsed > 0 else 0.0,
            "evidence": run_evidence(self.evidence).model_dump(mode="json"),
        }


def _cause(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:300]


class Generator:
    """Runs course plans with bounded concurrency over one or more endpoints.

    Each ``Simulation`` in ``sims`` is one endpoint (replica); a course runs wholly on the
    endpoint that had the fewest running courses when it started, so its prompts share a
    prefix cache. A course that fails (its model calls failed after retries, its structured
    output stayed invalid after repairs, ...) is recorded with its cause and the run goes on;
    ``max_consecutive_failures`` in a row stops the run (an engine that is down).
    """

    def __init__(
        self,
        sims: Sequence[Simulation],
        courses: CourseLog,
        concurrency: int,
        max_consecutive_failures: int = 25,
        on_change: Callable[[GenerateStats], None] | None = None,
    ) -> None:
        if not sims:
            raise ConfigError("no engine to generate with")
        self.sims = list(sims)
        self.courses = courses
        self.concurrency = max(1, concurrency)
        self.max_consecutive_failures = max_consecutive_failures
        self.on_change = on_change
        self.stats = GenerateStats()
        self._active = [0] * len(self.sims)
        self.ws: Workspace | None = None
        self._consecutive = 0

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self.stats)

    def on_record(self, record: SessionRecord) -> None:
        self.stats.sessions += 1
        self.stats.turns += len(record.turns)
        self.stats.evidence.append(record.evidence)
        self._changed()

    async def run(self, plans: Sequence[CoursePlan], ws: Workspace) -> GenerateStats:
        """Run every plan not yet done; returns the counters (also kept in ``stats``)."""
        self.ws = ws
        todo = [p for p in plans if not self.courses.done(p.course_id)]
        self.stats.planned = len(plans)
        self.stats.skipped = len(plans) - len(todo)
        self._changed()
        queue: asyncio.Queue[CoursePlan] = asyncio.Queue()
        for plan in todo:
            queue.put_nowait(plan)
        workers = [
            asyncio.create_task(self._worker(queue))
            for _ in range(min(self.concurrency, len(todo)))
        ]
        try:
            await asyncio.gather(*workers)
        finally:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        return self.stats

    async def _worker(self, queue: asyncio.Queue[CoursePlan]) -> None:
        while not queue.empty():
            plan = queue.get_nowait()
            await self._run_one(plan)

    async def _run_one(self, plan: CoursePlan) -> None:
        assert self.ws is not None
        slot = min(range(len(self.sims)), key=lambda i: self._active[i])
        self._active[slot] += 1
        self.stats.running += 1
        self._changed()
        started = time.monotonic()
        status = CourseStatus(
            course_id=plan.course_id,
            index=plan.index,
            profile_id=plan.profile.id,
            seed=plan.seed,
            status="done",
        )
        try:
            await self.sims[slot].run_course_in(self.ws, plan.course_id, plan.profile, plan.seed)
        except OutputError:
            raise  # the run directory itself is unusable: stop, nothing more can be kept
        except Exception as exc:  # recorded with its cause; the run goes on
            status.status, status.error = "failed", _cause(exc)
            log.warning("course %s failed: %s", plan.course_id, status.error)
            if not isinstance(exc, CounselsimError):
                log.debug("course %s: unexpected error", plan.course_id, exc_info=True)
        finally:
            self._active[slot] -= 1
            self.stats.running -= 1
        written = self.ws.sink.sessions_of(plan.course_id)
        status.sessions = len(written)
        status.turns = sum(written.values())
        status.seconds = round(time.monotonic() - started, 2)
        await asyncio.to_thread(self.courses.add, status)
        if status.status == "done":
            self.stats.done += 1
            self._consecutive = 0
        else:
            self.stats.failed += 1
            kind = (status.error or "error").split(":", 1)[0]
            self.stats.failures[kind] = self.stats.failures.get(kind, 0) + 1
            self._consecutive += 1
        self._changed()
        if self._consecutive >= self.max_consecutive_failures:
            raise ModelUnavailableError(
                f"{self._consecutive} courses failed in a row (last: {status.error}); "
                "stopped. Finished courses are kept; rerun the same command to continue"
            )


def write_manifest(
    out: Path,
    sims: Sequence[Simulation],
    profiles: Sequence[ClientProfile],
    spec: str,
    n_courses: int,
    endpoints: Sequence[str],
    **extra: Any,
) -> None:
    """Create or continue ``out``; (re)write ``run.json`` for this invocation."""
    first = sims[0]
    key = resume_key(first, profiles)
    info = first.run_info(
        key,
        kind="generate",
        courses=n_courses,
        profile_source=spec,
        profile_ids=[p.id for p in profiles],
        profile_digests={p.id: profile_digest(p) for p in profiles},
        profiles=[p.model_dump(mode="json") for p in profiles],
        course_seed='derive_seed(run_seed, "course", index); course id c{index:05d}-{profile}',
        model_ids=sorted({s.counselor_llm.model_id for s in sims}),
        endpoints=list(endpoints),
        **extra,
    )
    if prepare_out_dir(out, info, allowed=("intake",)):  # cactus: imported before the run
        log.info("continuing run %s in %s", key, out)
        previous = json.loads((out / RUN_FILE).read_text(encoding="utf-8"))
        if "shards" in previous:  # fixed by the first run: courses map to shards by it
            info["shards"] = previous["shards"]
        write_atomic(out / RUN_FILE, json.dumps(info, ensure_ascii=False, indent=2) + "\n")


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
) -> dict[str, Any]:
    """Run (or continue) a generate run in ``out``; returns the summary it also writes to
    ``out/summary.json``."""
    write_manifest(out, sims, profiles, spec, n_courses, endpoints)
    memory = None
    if chroma_url is not None:
        collection = f"counselsim-{resume_key(sims[0], profiles)}"
        memory = ChromaMemory(embedder or USEEmbedding(), url=chroma_url, collection=collection)
    gen = Generator(
        sims,
        CourseLog(out / COURSES_FILE),
        effective_concurrency(sims, concurrency),
        max_consecutive_failures,
        on_change=on_change,
    )
    plans = plan_courses(profiles, n_courses, sims[0].config.seed)
    async with Workspace.open(out, embedder, memory, checkpoint_dsn, gen.on_record) as ws:
        try:
            await gen.run(plans, ws)
        finally:
            summary = gen.stats.summary(sims)
            write_atomic(out / SUMMARY_FILE, json.dumps(summary, indent=2) + "\n")
    return summary
