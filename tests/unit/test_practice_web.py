"""The practice page's API in-process (httpx over ASGI, no socket): a whole session, nothing
hidden in any answer before the debrief, bad input, the token, a second tab, a failing
model, and a restarted server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from counselsim.llm.fake import FunctionChatModel
from counselsim.memory.embeddings import HashingEmbedding
from counselsim.personas.library import get_persona
from counselsim.practice.room import PracticeOptions, PracticeRoom
from counselsim.web.app import create_app
from tests.unit.practice_support import (
    StreamingClient,
    assert_nothing_hidden,
    client_reply,
    practice_sim,
    story_reply,
)

PERSONA = "en-crisis-risk"
# Closed and plain questions build no rapport: no hidden fact is offered, so none is said.
TURNS = ["Do you work nights?", "Is it hard?", "Do the kids help?"]


@asynccontextmanager
async def page(out: Path, client: Any = None, token: str | None = None) -> AsyncIterator[Any]:
    sim = practice_sim(client)
    async with PracticeRoom.open(sim, out, PracticeOptions(), embedder=HashingEmbedding()) as room:
        app = create_app(room, token)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://practice") as http:
            yield http


def events(body: str) -> list[dict[str, Any]]:
    """The JSON payloads of a Server-Sent Events body."""
    out = []
    for frame in body.split("\n\n"):
        for line in frame.splitlines():
            if line.startswith("data: "):
                out.append(json.loads(line[6:]))
    return out


async def test_a_session_through_the_api_shows_nothing_hidden_before_the_debrief(tmp_path):
    profile = get_persona(PERSONA)
    seen: list[tuple[str, str]] = []

    async def call(method: str, url: str, **kw: Any) -> httpx.Response:
        resp = await http.request(method, url, **kw)
        seen.append((url, resp.text))
        return resp

    async with page(tmp_path / "p") as http:
        for path in ("/", "/static/app.js", "/static/style.css", "/api/personas"):
            assert (await call("GET", path)).status_code == 200
        personas = json.loads(seen[-1][1])
        assert {p["id"] for p in personas} >= {"en-crisis-risk", "zh-grief"}
        assert set(personas[0]) == {
            "id",
            "language",
            "kind",
            "difficulty",
            "age_range",
            "gender",
            "occupation",
        }
        view = (await call("POST", "/api/sessions", json={"persona": PERSONA})).json()
        sid = view["id"]
        base = f"/api/sessions/{sid}"
        for n, text in enumerate(TURNS):
            resp = await call("POST", f"{base}/turns", json={"text": text, "seen": 2 * n})
            kinds = [e["type"] for e in events(resp.text)]
            assert kinds[0] == "turn" and kinds.count("token") > 3 and kinds[-1] == "done"
            assert resp.headers["content-type"].startswith("text/event-stream")
        await call("PUT", f"{base}/formulation", json={"core_beliefs": "I am failing"})
        assert (await call("GET", f"{base}/formulation")).json()["core_beliefs"] == "I am failing"
        for path in (base, "/api/sessions", f"{base}/stream"):
            assert (await call("GET", path)).status_code == 200
        for path in (f"{base}/debrief", f"{base}/transcript.jsonl", f"{base}/transcript.md"):
            resp = await call("GET", path)
            assert resp.status_code == 409 and "debrief opens" in resp.json()["error"]
        for url, body in seen:
            assert_nothing_hidden(body, profile, url)
        ended = await http.post(f"{base}/end", json={"closing": "Thank you, see you next week."})
        assert [e["type"] for e in events(ended.text)] == ["turn", "done"]
        debrief = (await http.get(f"{base}/debrief")).json()
        assert [h["content"] for h in debrief["hidden_facts"]] == [
            h.content for h in profile.hidden
        ]
        assert debrief["formulation"][1]["yours"] == "I am failing"
        late = await http.put(f"{base}/formulation", json={"core_beliefs": "copied after"})
        assert late.status_code == 409 and "formulation is final" in late.json()["error"]
        record = await http.get(f"{base}/transcript.jsonl")
        assert record.status_code == 200 and '"stance"' in record.text
        assert "attachment" in record.headers["content-disposition"]
        md = (await http.get(f"{base}/transcript.md")).text
        assert "Thank you, see you next week." in md


async def test_bad_input_gets_a_clear_answer_and_reaches_no_model(tmp_path):
    client = FunctionChatModel(fn=client_reply)
    async with page(tmp_path / "p", client) as http:
        sid = (await http.post("/api/sessions", json={"persona": "zh-grief"})).json()["id"]
        turns = f"/api/sessions/{sid}/turns"
        cases = [
            (await http.post(turns, json={"text": "  "}), 400, "an empty turn"),
            (await http.post(turns, json={"text": "x" * 20_000}), 400, "20000 characters"),
            (await http.post(turns, content=b"{not json"), 400, "invalid request"),
            (await http.post(turns, json={"text": "Hi", "seen": 4}), 409, "another tab"),
            (await http.post("/api/sessions", json={"persona": "zh-nope"}), 404, "unknown"),
            (await http.get("/api/sessions/nope.s1"), 404, "no practice session"),
            (await http.post(f"/api/sessions/{sid}/retry"), 409, "nothing to retry"),
            (await http.post(f"/api/sessions/{sid}/end", json={}), 400, "nothing to debrief"),
            (await http.get("/static/../app.py"), 404, ""),
        ]
        for resp, status, message in cases:
            assert resp.status_code == status, resp.text
            assert message in resp.text
    assert client.calls == []


async def test_the_api_needs_the_token_when_one_is_set(tmp_path):
    async with page(tmp_path / "p", token="s3cret") as http:
        assert (await http.get("/")).status_code == 200
        assert (await http.get("/api/personas")).status_code == 401
        bad = {"Authorization": "Bearer nope"}
        assert (await http.get("/api/personas", headers=bad)).status_code == 401
        good = {"Authorization": "Bearer s3cret"}
        assert (await http.get("/api/personas", headers=good)).status_code == 200
        assert (await http.get("/api/personas?token=s3cret")).status_code == 200
        started = await http.post("/api/sessions", json={"persona": PERSONA}, headers=good)
        turns = f"/api/sessions/{started.json()['id']}/turns"
        assert (await http.post(turns, json={"text": "Hello?"})).status_code == 401
        streamed = await http.post(turns, json={"text": "Hello?"}, headers=good)
        assert events(streamed.text)[-1]["type"] == "done"


async def test_a_second_tab_follows_the_running_turn_from_its_start(tmp_path):
    async with page(tmp_path / "p", StreamingClient(fn=client_reply, delay_s=0.02)) as http:
        sid = (await http.post("/api/sessions", json={"persona": PERSONA})).json()["id"]
        base = f"/api/sessions/{sid}"
        first = asyncio.create_task(http.post(f"{base}/turns", json={"text": "Hello?"}))
        await asyncio.sleep(0.2)
        view = (await http.get(base)).json()
        assert view["busy"] is True
        assert (await http.post(f"{base}/turns", json={"text": "Again?"})).status_code == 409
        second = await http.get(f"{base}/stream")
        one, two = events((await first).text), events(second.text)
        assert one == two and one[0]["type"] == "turn" and one[-1]["type"] == "done"
        assert (await http.get(base)).json()["busy"] is False


async def test_a_failing_model_shows_a_retry_and_keeps_the_session(tmp_path):
    async with page(tmp_path / "p", StreamingClient(fn=client_reply, failures=1)) as http:
        sid = (await http.post("/api/sessions", json={"persona": PERSONA})).json()["id"]
        base = f"/api/sessions/{sid}"
        got = events((await http.post(f"{base}/turns", json={"text": "Hello?"})).text)
        error = next(e for e in got if e["type"] == "error")
        assert error["retry"] is True and "Your turn is saved" in error["message"]
        view = (await http.get(base)).json()
        assert view["status"] == "client_pending" and len(view["turns"]) == 1
        retried = events((await http.post(f"{base}/retry")).text)
        assert [e["type"] for e in retried if e["type"] != "token"] == ["reply", "alert", "done"]


async def test_a_restarted_server_resumes_the_session(tmp_path):
    out = tmp_path / "p"
    async with page(out) as http:
        sid = (await http.post("/api/sessions", json={"persona": PERSONA})).json()["id"]
        await http.post(f"/api/sessions/{sid}/turns", json={"text": "Hello?"})
    async with page(out) as http:
        listed = (await http.get("/api/sessions")).json()
        assert [(s["id"], s["status"], s["turns"]) for s in listed] == [
            (sid, "awaiting_trainee", 2)
        ]
        again = (await http.post("/api/sessions", json={"persona": PERSONA})).json()
        assert again["id"] == sid and len(again["turns"]) == 2
        more = await http.post(f"/api/sessions/{sid}/turns", json={"text": "Go on.", "seen": 2})
        assert events(more.text)[-1] == {"type": "done", "status": "awaiting_trainee"}


async def test_the_risk_alert_comes_with_the_cue_and_goes_once_asked(tmp_path):
    """After every reply the page is told the open alert: the cue's, then none once the
    trainee has asked about it directly (seen live: an answered alert stayed on the page)."""
    async with page(tmp_path / "p", FunctionChatModel(fn=story_reply)) as http:
        sid = (await http.post("/api/sessions", json={"persona": PERSONA})).json()["id"]
        base = f"/api/sessions/{sid}"
        said = [
            "What brings you here today?",
            "It sounds like you are worn out.",  # -> "Some days I just want to disappear."
            "Are you having thoughts of ending your life?",
        ]
        alerts = []
        for n, text in enumerate(said):
            resp = await http.post(f"{base}/turns", json={"text": text, "seen": 2 * n})
            (alert,) = [e["alert"] for e in events(resp.text) if e["type"] == "alert"]
            alerts.append(alert)
        assert alerts[0] is None and alerts[2] is None
        assert alerts[1] is not None and "disappear" in alerts[1]["quote"]
        assert (await http.get(base)).json()["alert"] is None
