"""The simulated server's lifecycle: uvicorn serving :class:`~.app.SimApp` on a background
thread with its own event loop, started and stopped from the caller's thread."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from .app import SimApp, SimOptions
from .stats import Ledger, SimStats

__all__ = ["SimServer"]

START_TIMEOUT_S = 30.0
GRACE_S = 2
"""uvicorn's bound on a stop (stop() abandons the requests being served: they end at once)."""
KEEP_ALIVE_S = 75
"""Idle keep-alive connections stay open this long (uvicorn's 5 s default would make clients
reconnect between slow steps, and race a reuse against the server's close)."""


class SimServer:
    """A simulated OpenAI-compatible server on a background thread with its own event loop.

    Args:
        latency_s: seconds each request holds its slot (time to first token, roughly).
        capacity: requests served at once (batch slots); the rest queue.
        fail_rate: probability of an injected failure (500, 503, 429 or a dropped connection).
        malformed_rate: probability that a structured answer's JSON is cut in half (HTTP 200).
        seed: seeds content and faults.
        model: the model id ``/v1/models`` lists.
        per_token_s: extra slot time per completion token (decode speed).
        host: interface to bind (loopback by default).
        port: port to bind; 0 picks a free one.
        keep_bodies: record every request body in :attr:`stats` (off for long benchmarks).

    Raises:
        ValueError: a capacity below 1, a negative time, or a rate outside [0, 1].
    """

    def __init__(
        self,
        latency_s: float = 0.0,
        capacity: int = 8,
        fail_rate: float = 0.0,
        malformed_rate: float = 0.0,
        seed: int = 0,
        model: str = "sim",
        per_token_s: float = 0.0,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        keep_bodies: bool = True,
    ) -> None:
        self.options = SimOptions(
            latency_s, capacity, fail_rate, malformed_rate, seed, model, per_token_s
        )
        self.host = host
        self.port = port
        self._ledger = Ledger(keep_bodies)
        self._server: uvicorn.Server | None = None
        self._app: SimApp | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._bound_port: int | None = None

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/v1`` of the running server."""
        if self._bound_port is None:
            raise RuntimeError("the server is not running")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._bound_port}/v1"

    @property
    def stats(self) -> SimStats:
        """A consistent copy of the counters and received bodies."""
        return self._ledger.snapshot()

    def reset_stats(self) -> None:
        """Zero the counters and forget the bodies (content and fault draws are unaffected)."""
        self._ledger.reset()

    def start(self) -> str:
        """Start serving on a background thread; returns the base URL.

        Raises:
            RuntimeError: already running, or the server did not come up.
            OSError: the port could not be bound.
        """
        if self._thread is not None:
            raise RuntimeError("the server is already running")
        # Bound here, not by uvicorn: a busy port is an OSError in the caller's thread, and
        # port 0 is known before serving starts.
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.create_server((self.host, self.port), family=family)
        port = int(sock.getsockname()[1])
        app = SimApp(self.options, self._ledger, self._drop)
        config = uvicorn.Config(
            app.asgi,
            log_config=None,  # leave the process's logging alone
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=KEEP_ALIVE_S,
            timeout_graceful_shutdown=GRACE_S,
        )
        server = uvicorn.Server(config)
        self._server, self._app, self._error = server, app, None
        thread = threading.Thread(target=self._run, args=(server, sock), name="simserver")
        thread.daemon = True
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join(timeout=5)
                sock.close()
                raise RuntimeError(f"the simulated server did not start: {self._error!r}")
            time.sleep(0.005)
        self._thread, self._bound_port = thread, port
        return self.base_url

    def stop(self) -> None:
        """Stop serving: open connections are closed, queued requests abandoned. Idempotent."""
        server, app, thread = self._server, self._app, self._thread
        if thread is None or server is None or app is None:
            return
        app.abandon()
        server.should_exit = True
        thread.join(timeout=GRACE_S + 10)
        self._thread = self._server = self._app = None
        self._bound_port = None

    def __enter__(self) -> SimServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self, server: uvicorn.Server, sock: socket.socket) -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # reported by start()
            self._error = exc

    def _drop(self, client: Any) -> bool:
        """Close the connection of ``client`` (a scope's ``(host, port)``) without a reply.

        Runs on the server's loop. uvicorn keeps its open connections (one protocol object
        each, with the peer address and the transport) in ``server_state``.
        """
        server = self._server
        if server is None or client is None:
            return False
        for connection in list(server.server_state.connections):
            if getattr(connection, "client", None) == tuple(client):
                connection.transport.close()
                return True
        return False
