"""The simulated OpenAI-compatible server: HTTP, content valid for counselsim's schemas and
turn checks, capacity, reproducible fault injection, and whole courses run against it through
the real OpenAI path (ChatOpenAI, retries, repairs). Sockets on 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import functools
import importlib
import json
import random
import re
import signal
import socket
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, ConfigDict, Field

from counselsim.agents.extractor import ProfileDraft
from counselsim.config import Engine, Step, load_config
from counselsim.critic.checklist import load_checklist
from counselsim.critic.compare import pair_model
from counselsim.critic.evidence import detect_turn
from counselsim.critic.form import check_turn
from counselsim.critic.rubric import list_rubrics, load_rubric
from counselsim.critic.rules import RuleInput, default_rules
from counselsim.labels import Emotion, Role
from counselsim.llm import retry, structured
from counselsim.llm.structured import json_schema
from counselsim.memory.embeddings import HashingEmbedding
from counselsim.personas.library import resolve_profile
from counselsim.privacy.llm import DetectedIdentifiers
from counselsim.records import (
    ClientTurn,
    ClientUtterance,
    CounselorThought,
    RebuiltCounselorTurn,
    SessionPlan,
    SessionSummary,
    TurnCheck,
    Utterance,
)
from counselsim.services.compose import build_simulation
from tests.conftest import counselor_turn
from tests.support.simserver import (
    ROOT,
    SimServer,
    command,
    count_tokens,
    instance_for,
    plain_reply,
)
from tests.support.simserver.content import draw_fault, request_key

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])

SRC = Path(__file__).resolve().parents[2] / "src" / "counselsim"
LANGS = ("en", "zh")


def chat(
    url: str, content: str = "hi", schema: type[BaseModel] | None = None, **params: Any
) -> dict[str, Any]:
    """An OpenAI chat request body."""
    body: dict[str, Any] = {"model": "sim", "messages": [{"role": "user", "content": content}]}
    if schema is not None:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": schema.__name__, "schema": json_schema(schema)},
        }
    return {**body, **params}


def post(client: httpx.Client, url: str, body: dict[str, Any]) -> httpx.Response:
    return client.post(f"{url}/chat/completions", json=body)


# --- the step-output models counselsim sends as schemas ----------------------------------------


def step_models() -> list[type[BaseModel]]:
    """Every model counselsim passes to ``structured(...)`` / ``ask(...)`` / ``speak(...)``,
    including the ones built from data (rubrics, checklists)."""
    fixed: list[type[BaseModel]] = [
        SessionPlan,
        CounselorThought,
        Utterance,
        ClientUtterance,
        SessionSummary,
        RebuiltCounselorTurn,
        TurnCheck,
        ProfileDraft,
        DetectedIdentifiers,
    ]
    built: list[type[BaseModel]] = [load_checklist(r).verdict_model() for r in Role]
    for name in list_rubrics():
        rubric = load_rubric(name)
        if rubric.dimensions:
            names = [d.name for d in rubric.dimensions]
            built += [rubric.output_model(), rubric.output_model(names[::-1]), pair_model(rubric)]
        if rubric.codes:
            built.append(rubric.codes_model())
    return fixed + built


def test_the_model_list_covers_every_schema_named_in_a_call() -> None:
    """A new step output passed by name to ask/structured/speak must join step_models()."""
    covered = {m.__name__ for m in step_models()}
    call = re.compile(r"(?:\.ask|\.structured|\bspeak)\(")
    named: set[str] = set()
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        module = None
        for match in call.finditer(text):
            depth, end = 1, match.end()
            while depth and end < len(text):
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                end += 1
            for name in re.findall(r"\b[A-Z][A-Za-z]+\b", text[match.end() : end]):
                if module is None:
                    rel = path.relative_to(SRC.parent).with_suffix("")
                    module = importlib.import_module(".".join(rel.parts))
                obj = getattr(module, name, None)
                if isinstance(obj, type) and issubclass(obj, BaseModel):
                    named.add(name)
    assert named, "the call pattern found nothing: update this test"
    assert named <= covered, f"not covered: {sorted(named - covered)}"


@pytest.mark.parametrize("model", step_models(), ids=lambda m: m.__name__)
def test_instances_validate_for_every_counselsim_schema(model: type[BaseModel]) -> None:
    schema = json_schema(model)
    for lang in LANGS:
        for seed in range(12):
            value = instance_for(schema, random.Random(seed), lang)
            model.model_validate(json.loads(json.dumps(value, ensure_ascii=False)))


# --- generic JSON schema features ----------------------------------------------------------------


class _Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=3, max_length=5)
    flag: bool


class _Kitchen(BaseModel):
    """One model for every keyword the generator claims to support."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(json_schema_extra={"const": "fixed"}, pattern="^fixed$")
    maybe: int | None = Field(ge=3, le=4)
    either: _Inner | int
    strict_range: int = Field(gt=0, lt=3)
    ratio: float = Field(gt=0.5, le=0.75)
    unbounded: float
    tags: set[str] = Field(min_length=2, max_length=3)
    many: list[int] = Field(min_length=4, max_length=6)
    nested: list[_Inner] = Field(max_length=1)
    tiny: str = Field(max_length=2)
    long: str = Field(min_length=300)
    reply: str = Field(max_length=40)
    default_null: str | None = None


def test_generic_schema_features_with_refs_and_inlined() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    raw = _Kitchen.model_json_schema()
    assert "$defs" in raw  # refs are resolved against the root, not only inlined schemas
    for schema in (raw, json_schema(_Kitchen)):
        validator = jsonschema.Draft202012Validator(schema)
        for lang in LANGS:
            for seed in range(20):
                value = instance_for(schema, random.Random(seed), lang)
                validator.validate(value)
                _Kitchen.model_validate(value)
                assert value["maybe"] is not None and value["default_null"] is not None


def test_nullable_type_lists_and_draft4_exclusive_bounds() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": ["null", "integer"], "minimum": 1, "maximum": 1},
            "b": {"type": "number", "minimum": 0, "maximum": 1, "exclusiveMaximum": True},
            "c": {"type": "integer", "minimum": 2, "exclusiveMinimum": True, "maximum": 3},
            "d": {"enum": [None, "x"]},
            "e": {"type": "array", "items": {"enum": ["p", "q"]}, "uniqueItems": True},
            "f": {"type": "string", "default": "", "maxLength": 160},  # a judge's "problem"
            "g": {"type": "string", "default": "", "minLength": 2},  # an invalid default
        },
        "required": ["a", "b", "c", "d", "e"],
    }
    optional: Counter[bool] = Counter()
    for seed in range(40):
        value = instance_for(schema, random.Random(seed))
        assert value["a"] == 1 and 0 <= value["b"] < 1 and value["c"] == 3 and value["d"] == "x"
        assert 1 <= len(value["e"]) <= 2 and len(set(value["e"])) == len(value["e"])
        assert len(value["g"]) >= 2
        optional[value["f"] == ""] += 1
    assert optional[True] > optional[False] > 0  # a listed optional field mostly takes its default


# --- spoken text against counselsim's checks -----------------------------------------------------


@functools.cache
def _rules(role: Role) -> list[str]:
    return [p.rule for p in load_checklist(role).principles if p.method == "rule" and p.rule]


def _rule_failures(text: str, role: Role, history: list[Any], lang: str) -> list[str]:
    given = RuleInput(text, role, history, lang)
    return [r for r in _rules(role) if default_rules()[r](given)]


# chance collisions of a small vocabulary, like the form checks' echo and repeat
_COLLISIONS = {"verbatim_copy"}


@pytest.mark.parametrize("lang", LANGS)
def test_spoken_text_passes_the_turn_checks_and_checklist_rules(lang: str) -> None:
    """Simulated dialogues built from the generator: the checklist rules never fail but for
    verbatim copies, which, like the form checks' echo and repeat (chance collisions of a
    small vocabulary), almost never do."""
    form_flags: Counter[str] = Counter()
    collisions: Counter[str] = Counter()
    turns = 0
    for course in range(30):
        history: list[Any] = []
        for t in range(8):
            key = f"{lang}:{course}:{t}"
            thought = instance_for(json_schema(CounselorThought), random.Random(key), lang)
            said = instance_for(json_schema(Utterance), random.Random(key + "c"), lang)["reply"]
            private = [thought["observation"], thought["reasoning"]]
            failed = _rule_failures(said, Role.COUNSELOR, history, lang)
            collisions.update(failed)
            assert not set(failed) - _COLLISIONS, said
            form_flags.update(check_turn(said, Role.COUNSELOR, history, private=private))
            history.append(counselor_turn(len(history), said))
            reply = instance_for(json_schema(ClientUtterance), random.Random(key + "k"), lang)
            said = reply["reply"]
            failed = _rule_failures(said, Role.CLIENT, history, lang)
            collisions.update(failed)
            assert not set(failed) - _COLLISIONS, said
            cues = detect_turn(said, Role.CLIENT, history, lang)
            assert not [e for e in cues if e.detector == "risk_cue"], said
            form_flags.update(check_turn(said, Role.CLIENT, history))
            history.append(ClientTurn(index=len(history), text=said, emotion=[Emotion.ANXIETY]))
            turns += 2
    assert sum(form_flags.values()) <= turns * 0.01, form_flags
    # a shared stretch of 10 CJK characters or 7 words is rarer than a trigram echo, not never
    assert sum(collisions.values()) <= turns * 0.02, collisions
    assert not {"thought_leak", "speaker_label", "role_swap", "loop", "empty"} & set(form_flags)


@pytest.mark.parametrize("lang", LANGS)
def test_plain_replies_are_short_varied_and_in_the_language(lang: str) -> None:
    replies = [plain_reply(random.Random(i), lang) for i in range(300)]
    assert len(set(replies)) >= 295
    for text in replies:
        assert len(re.findall(r"[?？]", text)) <= 1
        assert 1 <= len(re.findall(r"[.?。？]", text)) <= 3
        assert not re.search(r"[\"“”:：]", text)  # no quotes, no "Counselor:" labels
        assert bool(re.search(r"[\u4e00-\u9fff]", text)) == (lang == "zh")


def test_token_count_is_deterministic_words_and_cjk_characters() -> None:
    assert count_tokens("I feel  tired, today.") == 4
    assert count_tokens("我很累 ok") == 4
    assert count_tokens("") == 0


# --- the HTTP server -----------------------------------------------------------------------------


def test_endpoints_errors_and_deterministic_answers() -> None:
    with SimServer(model="served") as server, httpx.Client(timeout=10) as client:
        url = server.base_url
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", url)
        base = url.removesuffix("/v1")
        assert client.get(f"{base}/health").status_code == 200
        models = client.get(f"{url}/models").json()
        assert models["object"] == "list" and models["data"][0]["id"] == "served"
        missing = client.get(f"{base}/nope")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == 404
        wrong = client.get(f"{url}/chat/completions")
        assert wrong.status_code == 405 and wrong.json()["error"]["type"] == "invalid_request_error"
        assert post(client, url, chat(url, stream=True)).status_code == 400
        bad = client.post(f"{url}/chat/completions", content=b"{not json")
        assert bad.status_code == 400

        first = post(client, url, chat(url, "How was your week?", seed=1)).json()
        again = post(client, url, chat(url, "How was your week?", seed=1)).json()
        other = post(client, url, chat(url, "How was your week?", seed=2)).json()
        zh = post(client, url, chat(url, "这周过得怎么样？", seed=1)).json()
        text = first["choices"][0]["message"]["content"]
        assert first["object"] == "chat.completion" and first["choices"][0]["finish_reason"]
        assert text == again["choices"][0]["message"]["content"]
        assert text != other["choices"][0]["message"]["content"]
        assert re.search(r"[\u4e00-\u9fff]", zh["choices"][0]["message"]["content"])
        usage = first["usage"]
        assert usage == again["usage"] and usage["completion_tokens"] == count_tokens(text)
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]

        shaped = post(client, url, chat(url, schema=ClientUtterance, seed=3)).json()
        ClientUtterance.model_validate_json(shaped["choices"][0]["message"]["content"])
        cut = post(client, url, chat(url, schema=SessionSummary, max_tokens=3)).json()
        assert cut["choices"][0]["finish_reason"] == "length"
        assert cut["usage"]["completion_tokens"] == 3

        stats = server.stats
        assert stats.requests == stats.completed == 6 and stats.rejected == 2
        assert stats.max_waiting == 0 and stats.max_in_flight == 1  # one at a time: no queue
        assert [b.get("seed") for b in stats.bodies] == [1, 1, 2, 1, 3, None]
        assert stats.bodies[-1]["max_tokens"] == 3
        remote = client.get(f"{base}/sim/stats").json()
        assert remote["completed"] == 6 and "bodies" not in remote


def test_keep_alive_and_chunked_bodies_on_one_connection() -> None:
    with SimServer() as server:
        port = int(server.base_url.split(":")[2].split("/")[0])
        body = json.dumps(chat(server.base_url)).encode()
        chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            sock.sendall(
                b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked
            )
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        assert data.count(b"HTTP/1.1 200 OK") == 2
        assert b"chat.completion" in data
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"NONSENSE\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 400 ")
            assert sock.recv(65536) == b""  # and closed


def test_capacity_bounds_the_requests_served_at_once() -> None:
    with SimServer(latency_s=0.2, capacity=2) as server:
        url = server.base_url

        async def burst() -> list[int]:
            async with httpx.AsyncClient(timeout=10) as client:
                calls = [
                    client.post(f"{url}/chat/completions", json=chat(url, f"hi {i}"))
                    for i in range(6)
                ]
                return [r.status_code for r in await asyncio.gather(*calls)]

        started = time.perf_counter()
        assert asyncio.run(burst()) == [200] * 6
        elapsed = time.perf_counter() - started
        stats = server.stats
    assert stats.max_in_flight == 2 and stats.max_waiting >= 3
    assert stats.in_flight == stats.waiting == stats.errors == 0
    assert 0.55 <= elapsed < 3.0  # three waves of two


def test_per_token_time_adds_to_the_slot() -> None:
    with SimServer(per_token_s=0.01) as server, httpx.Client(timeout=10) as client:
        started = time.perf_counter()
        reply = post(client, server.base_url, chat(server.base_url)).json()
        elapsed = time.perf_counter() - started
    assert elapsed >= 0.01 * reply["usage"]["completion_tokens"] * 0.9


def _outcomes(seed: int, bodies: list[dict[str, Any]]) -> tuple[list[str], Any]:
    """What each body got from a faulty server: a status, 'drop', 'ok' or 'malformed'."""
    got = []
    with SimServer(fail_rate=0.5, malformed_rate=0.5, seed=seed) as server:
        with httpx.Client(timeout=10) as client:
            for body in bodies:
                try:
                    resp = post(client, server.base_url, body)
                except httpx.RemoteProtocolError:
                    got.append("drop")
                    continue
                if resp.status_code == 429:
                    assert resp.headers["retry-after"] == "0"
                if resp.status_code != 200:
                    got.append(str(resp.status_code))
                    continue
                content = resp.json()["choices"][0]["message"]["content"]
                try:
                    json.loads(content)
                    got.append("ok")
                except json.JSONDecodeError:
                    got.append("malformed" if "response_format" in body else "plain")
        stats = server.stats
    return got, stats


def test_faults_are_injected_reproducibly_with_every_kind() -> None:
    url = "unused"
    bodies = [chat(url, schema=Utterance, seed=i) for i in range(60)]
    got, stats = _outcomes(5, bodies)
    assert got == _outcomes(5, bodies)[0]  # same seed, same faults
    assert got != _outcomes(6, bodies)[0]
    kinds = Counter(got)
    assert {"500", "503", "429", "drop", "ok", "malformed"} <= set(kinds)
    assert stats.failed_injected == sum(kinds[k] for k in ("500", "503", "429", "drop"))
    assert stats.malformed_injected == kinds["malformed"]
    assert stats.faults == {k: kinds[k] for k in ("500", "503", "429", "drop")}
    # plain (unstructured) answers are never malformed
    plain, _ = _outcomes(5, [chat(url, seed=i) for i in range(30)])
    assert "malformed" not in plain and "plain" in plain


def test_a_retried_request_draws_a_new_fault_and_gets_the_same_answer() -> None:
    body = chat("unused", schema=ClientUtterance, seed=11)
    with SimServer(seed=1) as clean, httpx.Client(timeout=10) as client:
        expected = post(client, clean.base_url, body).json()["choices"][0]["message"]["content"]
    with SimServer(fail_rate=0.6, seed=1) as faulty, httpx.Client(timeout=10) as client:
        answers = []
        for _ in range(30):
            try:
                resp = post(client, faulty.base_url, body)
            except httpx.RemoteProtocolError:
                continue
            if resp.status_code == 200:
                answers.append(resp.json()["choices"][0]["message"]["content"])
        failed = faulty.stats.failed_injected
    assert answers and set(answers) == {expected} and failed > 0


def _drop_then_answer(seed: int, fail_rate: float) -> dict[str, Any]:
    """A body the OpenAI client sends whose first sighting draws a dropped connection and whose
    second draws no fault."""
    for n in range(1000):
        body = {"messages": [{"role": "user", "content": "hi"}], "model": "sim", "seed": n}
        key = request_key(body)
        first, second = (draw_fault(seed, key, nth, fail_rate)[0] for nth in (0, 1))
        if first == "drop" and second is None:
            return body
    raise AssertionError("no such body")


async def test_a_dropped_connection_is_a_connection_error_the_retry_layer_retries() -> None:
    import openai

    body = _drop_then_answer(seed=3, fail_rate=0.5)
    failures: list[BaseException] = []
    with SimServer(fail_rate=0.5, seed=3) as server:
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key="x", max_retries=0)

        async def call() -> Any:
            try:
                return await client.chat.completions.create(
                    model="sim", messages=body["messages"], seed=body["seed"]
                )
            except Exception as exc:
                failures.append(exc)
                raise

        try:
            reply = await retry.with_retries(call, attempts=3, what="drop", max_wait_s=0.0)
        finally:
            await client.close()
        stats = server.stats
    assert stats.bodies[0] == body  # the client sent the body the draw was computed for
    assert stats.faults["drop"] == stats.failed_injected == 1 and stats.errors == 0
    # closed without a byte of response: what a crashed or restarted server looks like
    [failure] = failures
    assert isinstance(failure, openai.APIConnectionError) and retry.is_transient(failure)
    assert "without sending a response" in str(failure.__cause__)
    assert reply.choices[0].message.content and stats.requests == stats.completed + 1


def test_lifecycle_restart_and_argument_checks() -> None:
    server = SimServer()
    with pytest.raises(RuntimeError):
        _ = server.base_url
    first = server.start()
    with pytest.raises(RuntimeError):
        server.start()
    server.stop()
    server.stop()  # idempotent
    second = server.start()
    try:
        assert httpx.get(second.removesuffix("/v1") + "/health", timeout=5).status_code == 200
    finally:
        server.stop()
    assert first.startswith("http://127.0.0.1:")
    with pytest.raises(ValueError):
        SimServer(capacity=0)
    with pytest.raises(ValueError):
        SimServer(fail_rate=1.5)


def test_stop_abandons_the_requests_being_served_and_queued() -> None:
    server = SimServer(latency_s=30, capacity=1)
    url = server.start()

    async def slow_calls() -> list[str]:
        async with httpx.AsyncClient(timeout=60) as client:

            async def one(i: int) -> str:
                try:
                    resp = await client.post(f"{url}/chat/completions", json=chat(url, f"{i}"))
                except httpx.RemoteProtocolError:
                    return "dropped"
                return str(resp.status_code)

            calls = asyncio.gather(*(one(i) for i in range(3)))
            while server.stats.in_flight + server.stats.waiting < 3:
                await asyncio.sleep(0.01)
            await asyncio.to_thread(server.stop)  # one served, two queued: all end now
            return await calls

    assert asyncio.run(slow_calls()) == ["dropped"] * 3
    stats = server.stats
    assert stats.in_flight == stats.waiting == stats.completed == stats.errors == 0


def test_a_simulator_bug_is_a_500_counted_as_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.simserver import app

    def broken(*args: Any) -> Any:
        raise KeyError("bug")

    monkeypatch.setattr(app, "complete", broken)
    with SimServer() as server, httpx.Client(timeout=10) as client:
        resp = post(client, server.base_url, chat(server.base_url))
        stats = server.stats
    assert resp.status_code == 500 and resp.json()["error"]["type"] == "server_error"
    assert stats.errors == 1 and stats.completed == 0


def test_runs_as_a_separate_process_until_sigterm() -> None:
    proc = subprocess.Popen(
        command("--port", "0", "--capacity", "2"),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", url), url
        with httpx.Client(timeout=10) as client:
            assert post(client, url, chat(url)).status_code == 200
            assert client.get(url.removesuffix("/v1") + "/sim/stats").json()["completed"] == 1
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert json.loads(err.strip().splitlines()[-1])["completed"] == 1


# --- whole courses through the real OpenAI path --------------------------------------------------


def _config(url: str, **extra: Any) -> Any:
    return load_config(
        overrides={"sessions": 2, "max_turns": 3, "model": {"base_url": url, "model": "sim"}}
        | extra
    )


@pytest.mark.parametrize("persona", ["en-help-rejecting", "zh-help-rejecting"])
async def test_a_course_runs_against_the_server(persona: str, tmp_path: Path) -> None:
    with SimServer(seed=4) as server:
        cfg = _config(server.base_url)
        sim = build_simulation(cfg)
        records = await sim.run_course(
            resolve_profile(persona), tmp_path / "run", embedder=HashingEmbedding()
        )
        stats = server.stats
    assert [r.session_index for r in records] == [1, 2]
    assert all(r.critic.status == "scored" and r.turns for r in records)
    turns = [t for r in records for t in r.turns]
    assert not any(t.flags for t in turns)  # the generated speech passes the turn checks
    assert sum(t.attempts - 1 for t in turns) <= 2
    assert stats.requests == stats.completed > 0 and stats.errors == 0
    step_of = {
        "SessionPlan": Step.PLAN,
        "CounselorThought": Step.THINK,
        "Utterance": Step.REPLY,
        "ClientUtterance": Step.CLIENT,
        "SessionSummary": Step.SUMMARY,
        "Judgement_core": Step.CRITIC,
    }
    for body in stats.bodies:
        assert isinstance(body["seed"], int)
        fmt = body["response_format"]
        assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"]["type"] == "object"
        step = step_of[fmt["json_schema"]["name"]]
        # llama.cpp's server reads max_tokens only; stock langchain-openai renames the kwarg
        # max_completion_tokens, so counselsim must put max_tokens in the body itself
        assert body.get("max_tokens") == cfg.sampling[step].max_tokens, sorted(body)
        assert body.get("max_completion_tokens", body["max_tokens"]) == body["max_tokens"]
        assert body["repetition_penalty"] == cfg.sampling[step].repeat_penalty
    assert len({b["seed"] for b in stats.bodies}) == len(stats.bodies)


async def test_a_course_survives_injected_faults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # no backoff sleeps: the retry layer's own bound, set to zero
    monkeypatch.setattr(
        structured, "with_retries", functools.partial(retry.with_retries, max_wait_s=0.0)
    )
    with SimServer(fail_rate=0.3, malformed_rate=0.2, seed=7) as server:
        cfg = _config(server.base_url, retry_attempts=10, max_repairs=5)
        sim = build_simulation(cfg)
        records = await sim.run_course(
            resolve_profile("en-help-rejecting"), tmp_path / "run", embedder=HashingEmbedding()
        )
        stats = server.stats
    assert [r.session_index for r in records] == [1, 2]
    assert all(r.critic.status == "scored" for r in records)
    assert stats.failed_injected > 0 and stats.malformed_injected > 0
    assert sum(stats.faults.values()) == stats.failed_injected
    assert stats.requests == stats.completed + stats.failed_injected
    llms = {id(llm): llm for llm in (sim.counselor_llm, sim.client_llm, sim.critic_llm)}
    assert sum(llm.usage.repairs for llm in llms.values()) >= stats.malformed_injected


def test_two_event_loops_in_one_process_can_use_the_same_server() -> None:
    from langchain_core.messages import HumanMessage

    from counselsim.config import ModelConfig, Sampling
    from counselsim.llm.models import build_chat_model
    from counselsim.llm.structured import LLM

    with SimServer() as server:
        for run in range(2):  # e.g. two commands, or two courses, each with its own asyncio.run
            cfg = ModelConfig(engine="openai", base_url=server.base_url, model="sim")
            chat_model, model_id = build_chat_model(cfg)
            llm = LLM(chat_model=chat_model, engine=cfg.engine, model_id=model_id)
            call = llm.structured(
                [HumanMessage("hi")], Utterance, Sampling(), run, "counselor_reply", "fix {error}"
            )
            assert asyncio.run(call).reply


async def test_an_answer_cut_at_max_tokens_is_retried_with_more_room() -> None:
    from langchain_core.messages import HumanMessage

    from counselsim.config import ModelConfig, Sampling
    from counselsim.llm.models import build_chat_model
    from counselsim.llm.structured import LLM
    from counselsim.records import CounselorThought

    with SimServer(seed=3) as server:
        cfg = ModelConfig(engine=Engine.OPENAI, base_url=server.base_url, model="sim")
        chat, model_id = build_chat_model(cfg)
        llm = LLM(chat, Engine.OPENAI, model_id, max_repairs=4)
        thought = await llm.structured(
            [HumanMessage(content="think")],
            CounselorThought,
            Sampling(max_tokens=16),
            seed=1,
            step="counselor_think",
            repair_prompt="fix: {error}",
        )
        sent = [b["max_tokens"] for b in server.stats.bodies]
    assert isinstance(thought, CounselorThought)
    # twice the room after a cut answer, once: a looping model does not get ever more
    assert sent[0] == 16 and set(sent[1:]) == {32}
    assert llm.usage.completion_tokens > 0  # cut answers' tokens are counted too
