"""What the simulated server saw: :class:`SimStats`, kept by a thread-safe :class:`Ledger`
(the server's event loop writes, tests and benchmarks read from other threads)."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from .content import FAULT_KINDS

__all__ = ["Ledger", "SimStats"]


@dataclass
class SimStats:
    """What the server saw. :attr:`SimServer.stats` returns a copy (safe to read anywhere).

    Attributes:
        requests: chat-completion requests received (valid JSON; faulted ones included).
        completed: 200 answers sent (malformed ones included).
        failed_injected: injected failures (HTTP 500/503/429 or a dropped connection).
        malformed_injected: 200 answers whose JSON was cut in half on purpose.
        rejected: requests answered 4xx because they were invalid (bad JSON, ``stream``).
        errors: unexpected simulator errors (answered 500 and logged; a bug, never injected).
        in_flight: requests being served now (holding a slot).
        waiting: requests queued for a slot now.
        max_in_flight: most requests served at once (never above ``capacity``).
        max_waiting: longest queue for a slot.
        prompt_tokens: summed ``usage.prompt_tokens`` of the answers sent.
        completion_tokens: summed ``usage.completion_tokens`` of the answers sent.
        faults: injected failures by kind (``"500"``, ``"503"``, ``"429"``, ``"drop"``).
        bodies: every received request body (messages and parameters), in arrival order.
    """

    requests: int = 0
    completed: int = 0
    failed_injected: int = 0
    malformed_injected: int = 0
    rejected: int = 0
    errors: int = 0
    in_flight: int = 0
    waiting: int = 0
    max_in_flight: int = 0
    max_waiting: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    faults: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAULT_KINDS, 0))
    bodies: list[dict[str, Any]] = field(default_factory=list)

    def counters(self) -> dict[str, Any]:
        """Everything but the bodies, as JSON-ready values."""
        out = asdict(self)
        out.pop("bodies")
        return out


class Ledger:
    """The live :class:`SimStats` and the count of each request body seen, behind one lock.

    Args:
        keep_bodies: record every request body (off for long benchmarks).
    """

    def __init__(self, keep_bodies: bool) -> None:
        self.keep_bodies = keep_bodies
        self._lock = threading.Lock()
        self._stats = SimStats()
        self._seen: dict[str, int] = {}

    def arrive(self, body: dict[str, Any], key: str) -> int:
        """Count a chat request; returns how many times its body (digest ``key``) came before."""
        with self._lock:
            nth = self._seen.get(key, 0)
            self._seen[key] = nth + 1
            self._stats.requests += 1
            if self.keep_bodies:
                self._stats.bodies.append(body)
        return nth

    def fault(self, kind: str) -> None:
        """Count an injected failure of ``kind``."""
        with self._lock:
            self._stats.failed_injected += 1
            self._stats.faults[kind] += 1

    def bump(self, **deltas: int) -> None:
        """Add ``deltas`` to the named counters and update the high-water marks."""
        with self._lock:
            s = self._stats
            for name, delta in deltas.items():
                setattr(s, name, getattr(s, name) + delta)
            s.max_in_flight = max(s.max_in_flight, s.in_flight)
            s.max_waiting = max(s.max_waiting, s.waiting)

    def snapshot(self) -> SimStats:
        """A consistent copy of the counters and received bodies."""
        with self._lock:
            s = self._stats
            fields = {name: getattr(s, name) for name in s.__dataclass_fields__}
            return SimStats(**{**fields, "faults": dict(s.faults), "bodies": list(s.bodies)})

    def reset(self) -> None:
        """Zero the counters and forget the bodies; the gauges (in flight, waiting) and the
        sightings behind fault draws are kept."""
        with self._lock:
            in_flight, waiting = self._stats.in_flight, self._stats.waiting
            self._stats = SimStats(in_flight=in_flight, waiting=waiting)
