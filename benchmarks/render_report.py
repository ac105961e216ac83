"""Screenshot a run's HTML report in headless Chromium (for documentation).

Takes a report (``counselsim report DIR --out report.html``), or builds the report of a run
directory into a temporary file (:func:`counselsim.report.build_report`); opens it in
headless Chromium offline (no network, no sandbox, a throwaway profile), saves a 1280-px-wide
screenshot to OUT.png and prints its size.

Usage:  .venv/bin/python benchmarks/render_report.py REPORT.html|RUN_DIR OUT.png [--height 2000]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TIMEOUT = 60
WIDTH = 1280


def chromium_command(url: str, profile_dir: Path, *extra: str) -> list[str]:
    """The headless Chromium call: offline, quiet, a throwaway profile, then ``extra``."""
    exe = shutil.which("chromium") or "chromium"
    return [
        exe,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile_dir}",
        "--hide-scrollbars",
        *extra,
        url,
    ]


def screenshot(html: Path, png: Path, height: int = 2000) -> subprocess.CompletedProcess[bytes]:
    """Render ``html`` to ``png`` at ``WIDTH`` x ``height``; returns Chromium's result."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        cmd = chromium_command(
            html.resolve().as_uri(),
            Path(profile),
            f"--window-size={WIDTH},{height}",
            f"--screenshot={png.resolve()}",
        )
        return subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, check=False)


def dump_dom(html: Path) -> subprocess.CompletedProcess[bytes]:
    """The DOM of ``html`` after Chromium has loaded it (``--dump-dom`` to stdout)."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        cmd = chromium_command(html.resolve().as_uri(), Path(profile), "--dump-dom")
        return subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a report.html, or a run directory to build")
    parser.add_argument("out", type=Path, help="the PNG to write")
    parser.add_argument("--height", type=int, default=2000, help="viewport height in px")
    args = parser.parse_args()
    if shutil.which("chromium") is None:
        print("chromium not installed", file=sys.stderr)
        return 2

    from counselsim.report import write_report

    with tempfile.TemporaryDirectory(prefix="report-") as tmp:
        page = args.source
        if page.is_dir():
            page = Path(tmp) / "report.html"
            write_report(args.source, page)
        done = screenshot(page, args.out, args.height)
    if done.returncode != 0 or not args.out.is_file():
        print(f"chromium failed (exit {done.returncode})", file=sys.stderr)
        print(done.stderr.decode(errors="replace")[-2000:], file=sys.stderr)
        return 1
    print(f"{args.out}: {args.out.stat().st_size} bytes PNG, {WIDTH}x{args.height}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
