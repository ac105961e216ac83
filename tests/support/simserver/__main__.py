"""``python -m tests.support.simserver``: the simulated server in its own process. Prints the
base URL, serves until SIGINT/SIGTERM, then prints the counters as JSON on stderr."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from .server import SimServer


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until a signal; returns the exit status (1: the port could not be bound)."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.simserver",
        description="A simulated OpenAI-compatible chat server (tests and benchmarks).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--per-token", type=float, default=0.0, help="seconds per output token")
    parser.add_argument("--capacity", type=int, default=8, help="requests served at once")
    parser.add_argument("--fail-rate", type=float, default=0.0)
    parser.add_argument("--malformed-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default="sim")
    args = parser.parse_args(argv)
    try:
        server = SimServer(
            latency_s=args.latency,
            capacity=args.capacity,
            fail_rate=args.fail_rate,
            malformed_rate=args.malformed_rate,
            seed=args.seed,
            model=args.model,
            per_token_s=args.per_token,
            host=args.host,
            port=args.port,
            keep_bodies=False,
        )
    except ValueError as exc:
        parser.error(str(exc))
    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    # Our handlers, in the main thread: uvicorn runs on another thread and installs none.
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        url = server.start()
    except OSError as exc:
        print(f"simserver: cannot bind {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(url, flush=True)
    while not done.wait(0.5):
        pass
    server.stop()
    print(json.dumps(server.stats.counters()), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
