"""The report renders in a real browser: headless Chromium, offline (skipped without it)."""

from __future__ import annotations

import shutil
import struct
from datetime import date
from pathlib import Path

import pytest
from benchmarks.render_report import WIDTH, dump_dom, screenshot

from counselsim.report import write_report
from tests.unit.test_report import METRICS, write_run

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HEADINGS = ("Rubric scores", "Client emotion", "Counselor strategies", "Text metrics")


@pytest.fixture
def page(tmp_path: Path) -> Path:
    if shutil.which("chromium") is None:
        pytest.skip("chromium not installed")
    out = tmp_path / "report.html"
    write_report(write_run(tmp_path), out, METRICS, generated=date(2025, 1, 31))
    return out


def test_screenshot_is_a_full_width_non_blank_png(page: Path, tmp_path: Path) -> None:
    png = tmp_path / "shot.png"
    done = screenshot(page, png)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-500:]
    data = png.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (WIDTH, 2000)
    assert len(data) > 20_000  # a blank 1280x2000 page is about 12 KB


def test_dom_holds_the_figures_and_sections(page: Path) -> None:
    done = dump_dom(page)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-500:]
    dom = done.stdout.decode("utf-8")
    assert dom.count("<svg") == 7
    assert dom.count("<figcaption>") == 7
    for heading in HEADINGS:
        assert heading in dom
    assert "anna&lt;b&gt;x&lt;/b&gt;" in dom  # still text, not markup, after parsing
