"""ChromaDB-backed client memory: one embedded PersistentClient per run directory."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import chromadb
import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.config import Settings

from counselsim.errors import ConfigError, ModelUnavailableError
from counselsim.memory.store import MemoryHit, MemoryItem, MemoryKind

COLLECTION = "client_memory"


class ChromaMemory:
    """Memories of every course of a run, in one collection filtered by ``course_id``.

    A client recalls on every turn of sessions after the first, always from the same
    memories (those of its course's earlier sessions, which nothing changes while a session
    runs). So :meth:`search` reads them from Chroma once, with their embeddings, and ranks
    each turn's query by cosine distance in-process, the same hits and order as Chroma's
    filtered query, which cost ~2.5 ms of CPU per turn (timed by hand; ``serving.py
    --sessions 2``: 3.87 → 3.42 ms per model call). A course's writes and deletions drop
    what was read of it.

    Args:
        embedder: the embedding function (always explicit: Chroma's default needs a network).
        path: directory for a persistent store; ``None`` keeps it in memory (tests).
        url: a Chroma server (``chroma run``) instead of a local store, e.g. for workers on
            several machines; ``collection`` then names the run's collection on it.
    """

    def __init__(
        self,
        embedder: EmbeddingFunction[Documents],
        path: Path | None = None,
        *,
        url: str | None = None,
        collection: str = COLLECTION,
    ) -> None:
        settings = Settings(anonymized_telemetry=False, allow_reset=False)
        if url is not None:
            self._client: Any = _http_client(url, settings)
        elif path is None:
            self._client = chromadb.EphemeralClient(settings=settings)
        else:
            path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(path=str(path), settings=settings)
        self._embedder = embedder
        self._collection = self._client.get_or_create_collection(
            collection, embedding_function=embedder, metadata={"hnsw:space": "cosine"}
        )
        self._lock = threading.Lock()
        # course -> (before which session, its memories): the session a course is in
        self._read: OrderedDict[str, tuple[int, _Stored]] = OrderedDict()

    def add(self, items: list[MemoryItem]) -> None:
        if not items:
            return
        self._collection.upsert(
            ids=[m.id for m in items],
            documents=[m.text for m in items],
            metadatas=[
                {"course_id": m.course_id, "session_index": m.session_index, "kind": m.kind.value}
                for m in items
            ],
        )
        self._drop({m.course_id for m in items})

    def search(self, course_id: str, query: str, k: int, before_session: int) -> list[MemoryHit]:
        if k <= 0:
            return []
        stored = self._stored(course_id, before_session)
        if not stored.ids:
            return []
        q = np.asarray(self._embedder([query])[0], dtype=np.float32)
        distances = 1.0 - stored.unit @ (q / (np.linalg.norm(q) or 1.0))
        order = sorted(range(len(stored.ids)), key=lambda i: (distances[i], stored.ids[i]))[:k]
        return [
            MemoryHit(
                id=stored.ids[i],
                session_index=int(stored.metas[i]["session_index"]),
                kind=MemoryKind(str(stored.metas[i]["kind"])),
                text=stored.docs[i],
                distance=float(distances[i]),
            )
            for i in order
        ]

    def _stored(self, course_id: str, before_session: int) -> _Stored:
        """A course's memories of sessions before one, read once per session (the courses
        read most recently are kept)."""
        with self._lock:
            kept = self._read.get(course_id)
            if kept is not None and kept[0] == before_session:
                self._read.move_to_end(course_id)
                return kept[1]
        res = self._collection.get(
            where={"$and": [{"course_id": course_id}, {"session_index": {"$lt": before_session}}]},
            include=["documents", "metadatas", "embeddings"],
        )
        vectors = np.asarray(res["embeddings"], dtype=np.float32)
        if not res["ids"]:  # nothing stored: empty, as Chroma's query would answer
            vectors = np.zeros((0, 1), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        stored = _Stored(
            ids=list(res["ids"]),
            docs=[str(d) for d in res["documents"] or []],
            metas=list(res["metadatas"] or []),
            unit=vectors / np.where(norms == 0, 1.0, norms),
        )
        with self._lock:
            self._read[course_id] = (before_session, stored)
            self._read.move_to_end(course_id)
            while len(self._read) > _COURSES_KEPT:
                self._read.popitem(last=False)
        return stored

    def _drop(self, courses: set[str]) -> None:
        with self._lock:
            for course in courses:
                self._read.pop(course, None)

    def forget(self, course_id: str, from_session: int) -> None:
        """Delete a course's memories of ``from_session`` and later sessions (a resumed run
        regenerating sessions whose records were lost writes them again)."""
        self._collection.delete(
            where={"$and": [{"course_id": course_id}, {"session_index": {"$gte": from_session}}]}
        )
        self._drop({course_id})

    def count(self, course_id: str) -> int:
        return len(self._collection.get(where={"course_id": course_id}, include=[])["ids"])


_COURSES_KEPT = 2048  # courses whose session's memories stay read (a few vectors each)


@dataclass(frozen=True)
class _Stored:
    ids: list[str]
    docs: list[str]
    metas: list[Any]
    unit: np.ndarray  # one unit-length embedding per row


def _http_client(url: str, settings: Settings) -> Any:
    """A client of a Chroma server; one-line error when it is unreachable."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if not parts.hostname:
        raise ConfigError(f"--chroma-url {url}: expected http://HOST:PORT")
    try:
        client = chromadb.HttpClient(
            host=parts.hostname,
            port=parts.port or (443 if parts.scheme == "https" else 8000),
            ssl=parts.scheme == "https",
            settings=settings,
        )
        client.heartbeat()
    except Exception as exc:  # chromadb raises assorted types for a dead server
        raise ModelUnavailableError(
            f"{url}: Chroma server unreachable ({type(exc).__name__})"
        ) from None
    return client
