"""ChromaDB-backed client memory: one embedded PersistentClient per run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import chromadb
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.config import Settings

from counselsim.errors import ConfigError, ModelUnavailableError
from counselsim.memory.store import MemoryHit, MemoryItem, MemoryKind

COLLECTION = "client_memory"


class ChromaMemory:
    """Memories of every course of a run, in one collection filtered by ``course_id``.

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
        self._collection = self._client.get_or_create_collection(
            collection, embedding_function=embedder, metadata={"hnsw:space": "cosine"}
        )

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

    def search(self, course_id: str, query: str, k: int, before_session: int) -> list[MemoryHit]:
        where: dict[str, Any] = {
            "$and": [{"course_id": course_id}, {"session_index": {"$lt": before_session}}]
        }
        if k <= 0:
            return []
        res = self._collection.query(  # fewer than k stored: returns those (none: empty)
            query_texts=[query],
            n_results=k,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        hits = []
        for id_, doc, meta, dist in zip(
            res["ids"][0],
            res["documents"][0],
            res["metadatas"][0],
            res["distances"][0],
            strict=True,
        ):
            hits.append(
                MemoryHit(
                    id=id_,
                    session_index=int(meta["session_index"]),
                    kind=MemoryKind(str(meta["kind"])),
                    text=doc,
                    distance=float(dist),
                )
            )
        return hits

    def forget(self, course_id: str, from_session: int) -> None:
        """Delete a course's memories of ``from_session`` and later sessions (a resumed run
        regenerating sessions whose records were lost writes them again)."""
        self._collection.delete(
            where={"$and": [{"course_id": course_id}, {"session_index": {"$gte": from_session}}]}
        )

    def count(self, course_id: str) -> int:
        return len(self._collection.get(where={"course_id": course_id}, include=[])["ids"])


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
