"""``counselsim stress-test``: counselor models against the same difficult clients, their
failures counted and quoted, their scores compared with their uncertainty.

The run directory ``OUT`` holds ``run.json`` (kind ``stress``), ``counselors/<name>/`` (one
run directory per counselor: its ``courses.jsonl``, ``sessions.jsonl``, checkpoints, client
memory and ``scores/<rubric>.jsonl``), ``scores/<rubric>.compare.jsonl`` (the pairwise
judgements) and the report: ``report.json`` and ``report.html``.

**Paired design.** Course ``i`` plays persona ``i mod P`` with id ``c{i:05d}-{persona}`` and
seed ``derive_seed(run_seed, "course", i)`` for every counselor, and every model call's seed
derives from that seed, the course id, the session and the turn: never from the counselor.
Two counselors that reply alike meet the same client turns, and their sessions are compared
session by session. Each counselor's courses keep their own client memory (its own run
directory), so what the client remembers is what *that* counselor did.

Courses run concurrently (``--concurrency`` in flight over all counselors), through the
``generate`` runner: a course that fails (the endpoint errors or times out after the retries)
is recorded failed with its cause and the others go on; rerunning the command finishes only
what is missing. The client, the note-taker and the judges run on the simulation model.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from chromadb.api.types import Documents, EmbeddingFunction

from counselsim.config import RunConfig
from counselsim.critic.compare import PairJudge
from counselsim.critic.judge import RubricJudge
from counselsim.critic.rubric import Rubric
from counselsim.critic.units import units_from_records
from counselsim.critic.validation.models import ValidationReport
from counselsim.errors import ConfigError, ModelUnavailableError
from counselsim.graphs.course import CourseDeps
from counselsim.personas.models import ClientProfile
from counselsim.records import Comparison
from counselsim.report.validation import load_validation
from counselsim.runs import RunDir, RunKind
from counselsim.services.compose import (
    Simulation,
    build_server_llm,
    close_chat_model,
    course_rubric,
)
from counselsim.services.course import Workspace, course_deps, run_course_in
from counselsim.services.generate import effective_concurrency, profile_digest
from counselsim.services.options import ModelFlags
from counselsim.services.runner import (
    CoursePlan,
    CourseRunner,
    GenerateStats,
    Generator,
    plan_courses,
)
from counselsim.stress.analysis import CounselorData
from counselsim.stress.counselor import BlackBoxCounselor, ReplyPolicy
from counselsim.stress.judging import Guarded, StressCritic, compare_all, pair_tasks
from counselsim.stress.personas import select_personas
from counselsim.stress.reach import check_reachable
from counselsim.stress.report import build_stress_report, validation_status
from counselsim.stress.results import StressReport
from counselsim.stress.source import ModelTurns
from counselsim.stress.suite import (
    CounselorKind,
    CounselorSpec,
    api_key,
    build_counselor,
    check_plugged,
    resolve_suite,
)

log = logging.getLogger(__name__)

COURSE_SEED = 'derive_seed(run_seed, "course", index); course id c{index:05d}-{persona}'


@dataclass(frozen=True)
class StressOptions:
    """``counselsim stress-test``: the counselors (flags and/or a suite file), the clients,
    the run's shape, the judging, the reply policy and the simulation model."""

    personas: str
    out: Path
    counselors: tuple[str, ...] = ()
    suite: Path | None = None
    exclude_crisis: bool = False
    courses_per_persona: int = 1
    sessions: int | None = None
    max_turns: int | None = None
    seed: int | None = None
    concurrency: int | None = None
    rubric: str = "core"
    judge_repeats: int = 2
    validation: Path | None = None
    policy: ReplyPolicy = field(default_factory=ReplyPolicy)
    model: ModelFlags = field(default_factory=ModelFlags)


@dataclass(frozen=True)
class StressJob:
    """A checked invocation: the counselors, the personas, the config and the rubric."""

    options: StressOptions
    specs: list[CounselorSpec]
    personas: list[ClientProfile]
    config: RunConfig
    rubric: Rubric
    validation: ValidationReport | None = None


def plan_stress(opts: StressOptions, *, plugged: bool = False) -> StressJob:
    """Check everything that needs no model and no network, before anything is written
    (except a Cactus import into ``OUT/intake/``). ``plugged``: the caller brings its own
    counselors (chat models, given to :func:`build_entrants` as ``models``), so no flag or
    suite file is needed.

    Raises:
        ConfigError: a bad counselor flag or suite file, duplicate names, a missing API key
            variable, a rubric that cannot judge sessions, bad counts.
        ProfileError, DataError: personas that cannot be read, or none; a validation.json
            (given, or in ``OUT``) that is not one.
    """
    if opts.courses_per_persona < 1 or opts.judge_repeats < 1:
        raise ConfigError("--courses-per-persona and --judge-repeats must be at least 1")
    given = bool(opts.counselors or opts.suite)
    specs = resolve_suite(opts.counselors, opts.suite) if given or not plugged else []
    for spec in specs:
        api_key(spec)
    cfg = opts.model.resolve(
        sessions=opts.sessions, max_turns=opts.max_turns, seed=opts.seed, rubric=opts.rubric
    )
    rubric = course_rubric(opts.rubric)
    if opts.validation is not None and not opts.validation.is_file():
        raise ConfigError(f"--judge-validation {opts.validation}: no such file")
    validation = load_validation(RunDir(opts.out), opts.validation)
    personas = select_personas(opts.personas, opts.out, exclude_crisis=opts.exclude_crisis)
    return StressJob(opts, specs, personas, cfg, rubric, validation)


def check_endpoints(job: StressJob, timeout_s: float = 10.0) -> None:
    """Every counselor endpoint answers (before any work).

    Raises:
        ModelUnavailableError: one line naming the first that does not, with its URL.
    """
    asyncio.run(check_reachable(job.specs, timeout_s))


@dataclass(frozen=True)
class Entrant:
    """One counselor of the run, built: a black box, or counselsim's agent (``box`` None) on
    ``sim`` (the simulation, its counselor model replaced when the agent has its own)."""

    name: str
    sim: Simulation
    box: BlackBoxCounselor | None = None
    model: str = ""

    @property
    def kind(self) -> CounselorKind:
        """An endpoint (or plugged-in model) under test, or the reference agent."""
        return CounselorKind.REFERENCE if self.box is None else CounselorKind.ENDPOINT

    def identity(self) -> dict[str, object]:
        """What must stay the same for a rerun to continue this counselor's courses."""
        if self.box is None:
            return {"name": self.name, "model": self.sim.counselor_llm.model_id}
        prompt = self.box.system_prompt or ""
        return {
            "name": self.name,
            "model": self.model,
            "system": hashlib.sha256(prompt.encode()).hexdigest()[:12],
            "call": {k: str(v) for k, v in sorted(self.box.call_kwargs.items())},
        }


def build_entrants(
    job: StressJob, sim: Simulation, models: Sequence[BlackBoxCounselor] = ()
) -> list[Entrant]:
    """The counselors of the run: the suite's (black boxes on their endpoints, the reference
    agent on the simulation model or its own server), then ``models``.

    Args:
        job: the planned run (its suite may be empty when ``models`` are given: plan it with
            ``plugged=True``).
        sim: the simulation (client, note-taker, judges; the reference agent's models).
        models: counselors given in Python: any langchain-core chat model as a
            :class:`~counselsim.stress.counselor.BlackBoxCounselor` (its name, system prompt,
            call arguments and reply policy), tested exactly as an endpoint is.

    Raises:
        ConfigError: no counselor at all, or a model's name that is not a counselor name
            (letters, digits, ``_ . -``), is the reference's, or is taken.
    """
    check_plugged(job.specs, [box.name for box in models])
    out = []
    for spec in job.specs:
        if spec.kind is CounselorKind.ENDPOINT:
            box = build_counselor(spec, job.options.policy)
            out.append(Entrant(spec.name, sim, box, spec.model or ""))
            continue
        own = sim
        if spec.base_url is not None and spec.model is not None:
            timeout = job.options.policy.timeout_s
            llm = build_server_llm(job.config, spec.base_url, spec.model, api_key(spec), timeout)
            own = replace(sim, counselor_llm=llm)
        out.append(Entrant(spec.name, own, None, own.counselor_llm.model_id))
    return out + [Entrant(box.name, sim, box, box.chat_model._llm_type) for box in models]


def _key(*parts: object) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str)
    return "stress-" + hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass
class StressResult:
    """What a stress test wrote: the report and the courses that failed (exit 1)."""

    out: Path
    report: StressReport
    failed: int
    stopped: list[str]

    @property
    def exit_code(self) -> int:
        """0 when every course finished, else 1."""
        return 1 if self.failed or self.stopped else 0


class StressRun:
    """One invocation: the run directory, the shared course gate, and per counselor its
    courses through the ``generate`` runner."""

    def __init__(
        self,
        job: StressJob,
        sim: Simulation,
        entrants: Sequence[Entrant],
        embedder: EmbeddingFunction[Documents] | None = None,
        on_change: Callable[[str, GenerateStats], None] | None = None,
    ) -> None:
        self.job, self.sim, self.entrants = job, sim, list(entrants)
        self.embedder, self.on_change = embedder, on_change
        self.top = RunDir(job.options.out)
        self.concurrency = effective_concurrency([sim], job.options.concurrency)
        self.gate = asyncio.Semaphore(self.concurrency)
        self.judge = RubricJudge(sim.critic_deps(), job.rubric)
        cfg, personas = job.config, job.personas
        self.key = _key(cfg.hash(), sim.client_llm.model_id, [profile_digest(p) for p in personas],
                        job.rubric.name, job.options.judge_repeats)  # fmt: skip

    def _manifest_fields(self) -> dict[str, object]:
        return {
            "profile_source": self.job.options.personas,
            "profile_ids": [p.id for p in self.job.personas],
            "profiles": [p.model_dump(mode="json") for p in self.job.personas],
            "course_seed": COURSE_SEED,
        }

    def open(self) -> None:
        """Create or continue the run directory (refusing another run's)."""
        o = self.job.options
        manifest = self.sim.manifest(
            RunKind.STRESS, self.key, courses=self._n_courses(),
            counselors=[e.name for e in self.entrants], rubric=self.job.rubric.name,
            judge_repeats=o.judge_repeats, **self._manifest_fields(),
        )  # fmt: skip
        self.top.open_run(manifest, allowed=(RunDir.INTAKE,))

    def _deps(self, e: Entrant, ws: Workspace, store: Guarded, plan: CoursePlan) -> CourseDeps:
        deps = course_deps(e.sim, ws, plan.seed)
        critic = StressCritic(self.judge, store, plan.course_id, self.job.options.judge_repeats,
                              self.job.config.seed)  # fmt: skip
        deps = replace(deps, critic=critic)
        if e.box is None:
            return deps
        source = ModelTurns(e.box, ws.sessions.records_of)
        return replace(deps, session=replace(deps.session, counselor=source))

    async def _courses(self, e: Entrant) -> CounselorData:
        run = self.top.counselor(e.name)
        manifest = e.sim.manifest(
            RunKind.STRESS, _key(self.key, e.identity()), counselor=e.identity(),
            **self._manifest_fields(),
        )  # fmt: skip
        run.open_run(manifest)
        store = Guarded(run.score_file(self.job.rubric.name))
        runner, changed = self._runner(e, store), self._changed(e.name)
        gen = Generator([e.sim], run.course_log(), self.concurrency, on_change=changed,
                        run_course=runner)  # fmt: skip
        plans = plan_courses(self.job.personas, self._n_courses(), self.job.config.seed)
        stopped = None
        async with Workspace.open(run, self.embedder, on_record=gen.on_record) as ws:
            try:
                await gen.run(plans, ws)
            except ModelUnavailableError as exc:  # this counselor's endpoint is down
                stopped = str(exc)
                log.warning("counselor '%s' stopped: %s", e.name, stopped)
            records = ws.sessions.records
        run.write_json(run.summary_file, gen.stats.summary([e.sim], run.repairs))
        s = gen.stats
        return CounselorData(
            e.name, e.kind.value, e.model, records, dict(store.sink.items), s.done + s.skipped,
            s.failed, dict(s.failures), stopped,
        )  # fmt: skip

    def _n_courses(self) -> int:
        return self.job.options.courses_per_persona * len(self.job.personas)

    def _changed(self, name: str) -> Callable[[GenerateStats], None] | None:
        if self.on_change is None:
            return None
        report = self.on_change
        return lambda stats: report(name, stats)

    def _runner(self, e: Entrant, store: Guarded) -> CourseRunner:
        async def run_one(sim: Simulation, ws: Workspace, plan: CoursePlan) -> None:
            async with self.gate:
                deps = self._deps(e, ws, store, plan)
                await run_course_in(sim, ws, plan.course_id, plan.profile, plan.seed, deps=deps)

        return run_one

    async def _compare(
        self, data: Sequence[CounselorData]
    ) -> dict[tuple[str, str], list[Comparison]]:
        judge = PairJudge(self.sim.critic_deps(), self.job.rubric)
        sink = self.top.comparison_file(self.job.rubric.name)
        profiles = {p.id: p for p in self.job.personas}
        units = {d.name: units_from_records(d.records, profiles) for d in data}
        out = {}
        for i, a in enumerate(data):
            for b in data[i + 1 :]:
                tasks = pair_tasks(a.name, b.name, units[a.name], units[b.name])
                out[(a.name, b.name)] = await compare_all(
                    judge, sink, tasks, self.concurrency, self.job.config.seed
                )
        return out

    async def run(self) -> StressResult:
        """Run (or continue) every counselor's courses, compare them, write the report."""
        self.open()
        data = list(await asyncio.gather(*(self._courses(e) for e in self.entrants)))
        comparisons = await self._compare(data)
        judge = self.sim.critic_llm.model_id
        validated, line = validation_status(self.job.validation, self.job.rubric.name, judge)
        report = build_stress_report(
            self.job, self.sim, data, comparisons, validated=validated, validation=line
        )
        self.top.write_json(self.top.report_json_file, report)
        from counselsim.report.stress import render_stress

        self.top.write_text(self.top.report_html_file, render_stress(report))
        failed = sum(d.failed for d in data)
        stopped = [d.name for d in data if d.stopped]
        return StressResult(self.top.root, report, failed, stopped)


async def stress_test(
    job: StressJob,
    sim: Simulation,
    entrants: Sequence[Entrant],
    *,
    embedder: EmbeddingFunction[Documents] | None = None,
    on_change: Callable[[str, GenerateStats], None] | None = None,
) -> StressResult:
    """Run (or continue) the stress test into ``job.options.out``; closes the models' HTTP
    clients before returning (the event loop that used them ends with the caller's).

    Raises:
        OutputError: ``OUT`` holds another run or something else, or cannot be written.
        ModelUnavailableError: the simulation model failed while comparing.
    """
    try:
        return await StressRun(job, sim, entrants, embedder, on_change).run()
    finally:
        await sim.aclose()
        for e in entrants:
            if e.box is not None:
                await close_chat_model(e.box.chat_model)
            elif e.sim is not sim:
                await close_chat_model(e.sim.counselor_llm.chat_model)
