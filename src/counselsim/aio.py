"""The event loop counselsim's runs use: uvloop where it is installed (Linux, macOS), else
asyncio's own. A run with 64-256 model calls in flight spends a good part of its driver CPU
in the loop (callbacks, socket writes, hand-offs from worker threads), which uvloop does in
C (``benchmarks/README.md``, ``serving.py``: cut 5)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on the fastest loop available."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
