"""A simulated OpenAI-compatible chat server, for fault-injection tests and capacity benchmarks.

Starlette on uvicorn (the stack of vLLM's own server) answering ``POST /v1/chat/completions``
the way a vLLM server with ``capacity`` batch slots would, without a model:

* **Capacity.** At most ``capacity`` requests are being served at once; each holds its slot for
  ``latency_s + per_token_s * completion_tokens`` and the others queue for a slot.
* **Content.** Deterministic in ``(seed, request body)``: the same request always gets the same
  answer, a different request (another per-call ``seed``, another turn) a different one. With a
  ``response_format`` JSON schema the answer is an instance valid for the schema; without one
  it is a short plain reply (1-3 sentences, at most one question) in the language of the
  messages. Spoken text is built to pass counselsim's turn checks (no speaker labels, no role
  swap, no advice, diagnosis or medication talk, no crisis words, no loops).
* **Faults.** With probability ``fail_rate`` a request gets HTTP 500, 503, 429 (with
  ``Retry-After: 0``) or a connection closed without a response; with probability
  ``malformed_rate`` a structured answer is a 200 whose JSON is cut in half (the client's repair
  path, not its retry path, must handle it). A fault is drawn from ``(seed, body, how many times
  this body was seen)``: reproducible under any concurrency, and a retry of the same request
  draws again. Failures are answered at once, without waiting for a slot.
* **Limits.** ``max_tokens`` (or ``max_completion_tokens``) is honoured: a longer answer is cut
  to that many tokens with ``finish_reason: "length"``. Tokens are counted deterministically
  (:func:`count_tokens`); ``usage`` reports them. ``stream: true`` is refused (400).

Other endpoints: ``GET /health``, ``GET /v1/models`` and ``GET /sim/stats`` (the counters of
:class:`SimStats` as JSON, for a benchmark whose server runs in another process).

In-process (tests)::

    with SimServer(latency_s=0.05, capacity=4, fail_rate=0.1) as server:
        url = server.base_url  # http://127.0.0.1:PORT/v1
        ...
        assert server.stats.max_in_flight <= 4

As a separate process (benchmarks: client and server then do not share a GIL), from the
repository root (see :func:`command`)::

    python -m tests.support.simserver --port 8000 --latency 0.5 --capacity 4

Modules: :mod:`.vocab` and :mod:`.text` (the words), :mod:`.instances` (JSON-schema instances),
:mod:`.content` (what a request gets), :mod:`.stats`, :mod:`.app` (Starlette),
:mod:`.server` (uvicorn on a thread), :mod:`.__main__` (the command line).
"""

from __future__ import annotations

import sys
from pathlib import Path

from .instances import instance_for
from .server import SimServer
from .stats import SimStats
from .text import count_tokens, plain_reply

__all__ = [
    "ROOT",
    "SimServer",
    "SimStats",
    "command",
    "count_tokens",
    "instance_for",
    "plain_reply",
]

ROOT = Path(__file__).resolve().parents[3]
"""The repository root: the working directory :func:`command` needs."""


def command(*args: str) -> list[str]:
    """The command line that runs the server in its own process, with ``args`` (``--port``,
    ``--latency``, ...); run it with ``cwd=ROOT`` so ``tests`` is importable."""
    return [sys.executable, "-m", "tests.support.simserver", *args]
