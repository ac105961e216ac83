"""The practice page in headless Chromium (Debian's, driven by Playwright), over a real
uvicorn server on 127.0.0.1 with fake models: pick a persona, send two turns, watch the
replies stream in, end, read the debrief. Skipped without chromium or Playwright.

(The README's ``docs/practice.png`` is a real session on the embedded model, not this one.)
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from counselsim.memory.embeddings import HashingEmbedding
from counselsim.practice.room import PracticeOptions, PracticeRoom
from counselsim.practice.service import bind_port
from counselsim.web.app import create_app
from counselsim.web.server import page_url
from tests.unit.practice_support import STORY, StreamingClient, practice_sim, story_reply

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@contextmanager
def served(out: Path) -> Iterator[str]:
    """The practice page on 127.0.0.1 (a free port) in a thread; yields its address."""
    started: dict[str, Any] = {}

    async def run() -> None:
        sim = practice_sim(StreamingClient(fn=story_reply, delay_s=0.03))
        options = PracticeOptions()
        async with PracticeRoom.open(sim, out, options, embedder=HashingEmbedding()) as room:
            sock = bind_port("127.0.0.1", 0)
            server = uvicorn.Server(uvicorn.Config(create_app(room), log_level="warning"))
            started.update(server=server, url=page_url(sock, None))
            await server.serve(sockets=[sock])

    thread = threading.Thread(target=lambda: asyncio.run(run()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not (started.get("server") and started["server"].started):
        assert time.monotonic() < deadline and thread.is_alive(), "the page server did not start"
        time.sleep(0.05)
    try:
        yield started["url"]
    finally:
        started["server"].should_exit = True
        thread.join(15)


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium not installed (make browser)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


# Records the text length of the reply being streamed at every change of the transcript.
WATCH = """() => {
  window.lengths = [];
  new MutationObserver(() => {
    const item = document.querySelector('#transcript li.streaming');
    if (item) window.lengths.push(item.textContent.length);
  }).observe(document.getElementById('transcript'),
             {childList: true, subtree: true, characterData: true});
}"""


def send(page: Any, text: str, replies: int) -> list[int]:
    """Type a turn, wait for the client's reply to settle; the lengths it was seen at."""
    page.evaluate(WATCH)
    page.fill("#say-text", text)
    page.click("#send")
    # locator waits, not wait_for_function: the page's CSP forbids evaluating strings
    settled = page.locator("#transcript li.client:not(.streaming)")
    settled.nth(replies - 1).wait_for(timeout=20_000)
    return list(page.evaluate("() => window.lengths"))


def test_a_trainee_session_in_the_browser(browser, tmp_path):
    with served(tmp_path / "practice") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(url)
        page.select_option("#f-language", "en")
        page.select_option("#f-kind", "crisis risk")
        cards = page.locator("#personas li.card")
        assert cards.count() == 1 and "crisis risk" in cards.first.inner_text()
        cards.first.locator("button").click()
        page.wait_for_selector("#room:not([hidden])")
        page.check("#hints-on")
        for n, text in enumerate(["What brings you here today?", "It sounds like you feel alone."]):
            seen = send(page, text, n + 1)
            assert len(set(seen)) > 3 and seen == sorted(seen)  # the reply grew in the page
        client = page.locator("#transcript li.client")
        assert client.count() == 2
        for i in range(2):
            assert int(client.nth(i).get_attribute("data-chunks") or 0) > 3
            assert client.nth(i).inner_text() == STORY[i]
        assert "reflection of feelings" in page.locator("#hints").inner_text()
        alert = page.locator("#alert")  # the risk cue in the second reply, never asked about
        assert alert.is_visible() and "want to disappear" in alert.inner_text()
        assert "988" in alert.inner_text() and not page.locator("#error").is_visible()
        page.fill("#formulation textarea[name=core_beliefs]", "I am failing my kids")
        page.fill("#formulation textarea[name=emotions]", "guilt, exhaustion")
        page.check("#risk input[value=suicidal_ideation]")
        page.locator("#saved", has_text="saved").wait_for()
        page.click("#end")
        page.wait_for_selector("#debrief:not([hidden])", timeout=20_000)
        assert page.locator("#scores tbody tr").count() == 5
        assert page.locator("#facts tbody tr").count() == 3
        assert "not been validated" in page.locator("#judge-note").inner_text()
        assert (
            "missed (no risk question within two of your turns): 1"
            in page.locator("#checks").inner_text()
        )
        compare = page.locator("#compare").inner_text()
        assert "✓ I'm failing my kids" in compare and "✓ suicidal_ideation" in compare
        shot = tmp_path / "practice.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        page.reload()  # a reload opens the same session at its debrief
        page.wait_for_selector("#debrief:not([hidden])", timeout=10_000)
        assert page.locator("#transcript li.turn").count() == 4
