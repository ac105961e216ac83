"""The Retrieve step's index: real dialogues in ChromaDB, found by what the client brings.

Each dialogue is indexed by its client's opening words (the first client turns, up to
``KEY_CHARS`` characters), masked before they are embedded or stored, so the persistent
index never holds an identifier. A profile is matched by its presenting problem and
history; :func:`nearest_profile` goes the other way (the profile for a dialogue).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.config import Settings

from counselsim.errors import CounselsimError
from counselsim.labels import Role
from counselsim.personas.models import ClientProfile
from counselsim.privacy import Masker
from counselsim.records import Dialogue

KEY_CHARS = 400
COLLECTION = "corpus"


def dialogue_key(dialogue: Dialogue) -> str:
    """What the client brings, from its first turns (unmasked: mask before storing)."""
    text = ""
    for turn in dialogue.turns:
        if turn.role is Role.CLIENT:
            text = f"{text} {turn.text}".strip()
            if len(text) >= KEY_CHARS:
                break
    return text[:KEY_CHARS] or dialogue.turns[0].text[:KEY_CHARS]


def profile_key(profile: ClientProfile) -> str:
    """What a profile's client brings: its title, presenting problem, then its history."""
    return f"{profile.title or ''} {profile.presenting_problem} {profile.relevant_history}"[
        :KEY_CHARS
    ].strip()


class CorpusIndex:
    """Dialogues of a corpus, retrievable by similarity to a profile.

    Args:
        dialogues: the corpus (kept in memory; the index holds masked keys only).
        embedder: an explicit embedding function (Chroma's default needs a network).
        path: a directory for a persistent index reused by later runs; None = in memory.
        masker: makes the masker applied to each key before it is embedded.
    """

    def __init__(
        self,
        dialogues: Sequence[Dialogue],
        embedder: EmbeddingFunction[Documents],
        path: Path | None = None,
        masker: Callable[[], Masker] = Masker,
    ) -> None:
        if not dialogues:
            raise CounselsimError("the corpus holds no dialogues")
        self._by_id = {d.id: d for d in dialogues}
        if len(self._by_id) != len(dialogues):
            raise CounselsimError("the corpus has duplicate dialogue ids")
        settings = Settings(anonymized_telemetry=False, allow_reset=False)
        client: Any
        if path is None:
            client = chromadb.EphemeralClient(settings=settings)
        else:
            path.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(path=str(path), settings=settings)
        self._collection = client.get_or_create_collection(
            COLLECTION, embedding_function=embedder, metadata={"hnsw:space": "cosine"}
        )
        self._add_missing(dialogues, masker)

    def _add_missing(self, dialogues: Iterable[Dialogue], masker: Callable[[], Masker]) -> None:
        have = set(self._collection.get(include=[])["ids"])
        todo = [d for d in dialogues if d.id not in have]
        for start in range(0, len(todo), 256):
            batch = todo[start : start + 256]
            self._collection.upsert(
                ids=[d.id for d in batch],
                documents=[masker()(dialogue_key(d), d.language).text for d in batch],
                metadatas=[{"language": d.language, "turns": len(d.turns)} for d in batch],
            )

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, dialogue_id: str) -> Dialogue:
        """The dialogue with this id."""
        try:
            return self._by_id[dialogue_id]
        except KeyError:
            raise CounselsimError(f"no dialogue '{dialogue_id}' in the corpus") from None

    def ranked(self, query: str, k: int, exclude: frozenset[str] = frozenset()) -> list[str]:
        """Ids of the ``k`` dialogues most similar to ``query``, skipping ``exclude``."""
        n = min(len(self._by_id), k + len(exclude))
        res = self._collection.query(query_texts=[query], n_results=n, include=[])
        return [i for i in res["ids"][0] if i not in exclude and i in self._by_id][:k]

    def nearest(self, profile: ClientProfile, exclude: frozenset[str] = frozenset()) -> Dialogue:
        """The dialogue most similar to what this client brings."""
        ids = self.ranked(profile_key(profile), 1, exclude)
        if not ids:
            raise CounselsimError("no unused dialogue left in the corpus")
        return self._by_id[ids[0]]


def nearest_profile(
    dialogue: Dialogue,
    profiles: Sequence[ClientProfile],
    embedder: EmbeddingFunction[Documents],
) -> ClientProfile:
    """The profile most similar to a dialogue's client (cosine over the same keys)."""
    if not profiles:
        raise CounselsimError("no profiles to match")
    vectors = np.asarray(embedder([dialogue_key(dialogue), *(profile_key(p) for p in profiles)]))
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return profiles[int(np.argmax(unit[1:] @ unit[0]))]
