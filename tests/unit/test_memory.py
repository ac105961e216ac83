"""ChromaDB client memory with offline embedders.

Chroma's EphemeralClient instances share state within one process, so every test uses its
own course_id, and the USE test uses a persistent store in tmp_path (its collection would
otherwise clash with the hashing embedder's).
"""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from counselsim.memory import MemoryHit, MemoryItem, MemoryKind
from counselsim.memory.chroma import ChromaMemory
from counselsim.memory.embeddings import HashingEmbedding, USEEmbedding


@pytest.fixture
def course() -> str:
    return f"course-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["ephemeral", "persistent"])
def memory(request, tmp_path) -> ChromaMemory:
    path = None if request.param == "ephemeral" else tmp_path / "memory"
    return ChromaMemory(HashingEmbedding(), path)


def item(
    course: str, session: int, text: str, kind=MemoryKind.EVENT, ordinal: int = 0
) -> MemoryItem:
    return MemoryItem(
        course_id=course, session_index=session, kind=kind, ordinal=ordinal, text=text
    )


def notes(course: str) -> list[MemoryItem]:
    return [
        item(course, 1, "the client cannot sleep before exams", MemoryKind.SUMMARY),
        item(course, 1, "the client agreed to keep a sleep diary", ordinal=0),
        item(course, 1, "the client's father criticised her grades", ordinal=1),
        item(course, 2, "the client argued with her roommate", MemoryKind.SUMMARY),
        item(course, 3, "the client felt calmer this week", MemoryKind.SUMMARY),
    ]


def test_memory_item_id_is_stable_and_distinct():
    a = item("c", 2, "x", MemoryKind.EVENT, 3)
    assert a.id == "c:s2:event:3"
    assert a.id == item("c", 2, "different text", MemoryKind.EVENT, 3).id
    assert len({m.id for m in notes("c")}) == 5


def test_add_count_and_search(memory, course):
    assert memory.count(course) == 0
    memory.add(notes(course))
    assert memory.count(course) == 5
    hits = memory.search(course, "sleep diary", k=2, before_session=2)
    assert len(hits) == 2
    assert all(isinstance(h, MemoryHit) for h in hits)
    assert hits[0].text == "the client agreed to keep a sleep diary"
    assert hits[0].id == f"{course}:s1:event:0"
    assert hits[0].kind is MemoryKind.EVENT and hits[0].session_index == 1
    # nearest first, cosine distances
    assert hits[0].distance <= hits[1].distance
    assert hits[0].distance >= 0
    # the stored text itself is at (cosine) distance ~0 from its own memory
    exact = memory.search(course, "the client argued with her roommate", k=1, before_session=3)
    assert exact[0].id == f"{course}:s2:summary:0"
    assert exact[0].distance == pytest.approx(0.0, abs=1e-4)


def test_add_empty_list_is_a_no_op(memory, course):
    memory.add([])
    assert memory.count(course) == 0


def test_search_filters_by_course(memory, course):
    other = course + "-other"
    memory.add(notes(course))
    memory.add([item(other, 1, "the client cannot sleep before exams (other course)")])
    assert memory.count(course) == 5 and memory.count(other) == 1
    hits = memory.search(other, "cannot sleep", k=10, before_session=5)
    assert [h.id for h in hits] == [f"{other}:s1:event:0"]
    assert all(h.id.startswith(course + ":") for h in memory.search(course, "sleep", 10, 5))


@pytest.mark.parametrize("before,sessions", [(1, set()), (2, {1}), (3, {1, 2}), (4, {1, 2, 3})])
def test_search_filters_before_session(memory, course, before, sessions):
    memory.add(notes(course))
    hits = memory.search(course, "the client", k=10, before_session=before)
    assert {h.session_index for h in hits} == sessions
    assert len(hits) == sum(1 for m in notes(course) if m.session_index < before)


def test_search_ranks_the_sessions_memories_as_chromas_own_query(memory, course):
    """Recall reads a course's earlier memories once and ranks each query in-process: the
    same hits, in the same order, at the same cosine distances as Chroma's filtered query."""
    memory.add([*notes(course), item(course, 2, "the client skipped her exam", ordinal=0)])
    for query in ("sleep diary before exams", "her father", "roommate argument", "calm week"):
        for before in (2, 3, 4):
            ours = memory.search(course, query, k=3, before_session=before)
            where = {"$and": [{"course_id": course}, {"session_index": {"$lt": before}}]}
            chroma = memory._collection.query(
                query_texts=[query], n_results=3, where=where, include=["distances"]
            )
            assert [h.id for h in ours] == chroma["ids"][0], (query, before)
            assert [h.distance for h in ours] == pytest.approx(chroma["distances"][0], abs=1e-5)


def test_a_course_written_or_forgotten_after_a_search_is_read_again(memory, course):
    memory.add(notes(course))
    assert len(memory.search(course, "sleep", k=10, before_session=3)) == 4
    memory.add([item(course, 2, "the client started running", ordinal=0)])
    hits = memory.search(course, "started running", k=10, before_session=3)
    assert len(hits) == 5 and hits[0].text == "the client started running"
    memory.forget(course, 2)
    assert {h.session_index for h in memory.search(course, "running", 10, 3)} == {1}


def test_upsert_is_idempotent(memory, course):
    memory.add(notes(course))
    memory.add(notes(course))
    assert memory.count(course) == 5
    # the same id with new text overwrites
    memory.add([item(course, 1, "the client now sleeps six hours", MemoryKind.SUMMARY)])
    assert memory.count(course) == 5
    hits = memory.search(course, "sleeps six hours", k=1, before_session=2)
    assert hits[0].id == f"{course}:s1:summary:0"
    assert hits[0].text == "the client now sleeps six hours"


def test_k_larger_than_available_returns_all(memory, course):
    memory.add(notes(course))
    hits = memory.search(course, "exams", k=20, before_session=2)
    assert len(hits) == 3
    assert len({h.id for h in hits}) == 3


def test_k_zero_returns_nothing(memory, course):
    memory.add(notes(course))
    assert memory.search(course, "exams", k=0, before_session=5) == []


def test_search_of_unknown_course_is_empty(memory, course):
    assert memory.search(course + "-none", "anything", k=3, before_session=9) == []


def test_persistent_store_reopened_sees_the_data(tmp_path, course):
    path = tmp_path / "memory"
    first = ChromaMemory(HashingEmbedding(), path)
    first.add(notes(course))
    del first
    again = ChromaMemory(HashingEmbedding(), path)
    assert again.count(course) == 5
    hits = again.search(course, "sleep diary", k=1, before_session=2)
    assert hits[0].text == "the client agreed to keep a sleep diary"
    # a different directory is a different store
    assert ChromaMemory(HashingEmbedding(), tmp_path / "elsewhere").count(course) == 0


def test_hashing_embedding_is_deterministic_and_normalised():
    emb = HashingEmbedding(dim=64)
    a, b, c = emb(["睡不着觉", "睡不着觉", "completely different"])
    assert a.shape == (64,)
    assert np.allclose(a, b)
    assert np.linalg.norm(a) == pytest.approx(1.0, abs=1e-5)
    assert not np.allclose(a, c)
    assert HashingEmbedding.build_from_config(emb.get_config()).dim == 64
    # an empty string embeds to the zero vector instead of dividing by zero
    (z,) = emb([""])
    assert not np.isnan(z).any() and float(np.abs(z).sum()) == 0.0


def test_use_embedding_retrieves_the_semantically_related_chinese_memory(tmp_path, course):
    emb = USEEmbedding()
    docs = {
        "sleep": "来访者说最近总是失眠，晚上躺在床上翻来覆去，凌晨三点还醒着。",
        "work": "来访者说工作压力很大，每天加班到深夜，老板又安排了新项目。",
        "family": "来访者提到和家人关系紧张，父母总是批评她，回家就吵架。",
    }
    vectors = emb(list(docs.values()))
    assert len(vectors) == 3 and vectors[0].shape == (512,)
    mem = ChromaMemory(emb, tmp_path / "use-memory")
    mem.add([item(course, 1, text, ordinal=i) for i, text in enumerate(docs.values())])
    expected = {
        "我晚上睡不好觉，老是做梦醒来": docs["sleep"],
        "加班太多了，项目让我喘不过气": docs["work"],
        "我爸妈总是说我，我不想回家": docs["family"],
    }
    for query, best in expected.items():
        hits = mem.search(course, query, k=3, before_session=2)
        assert len(hits) == 3
        assert hits[0].text == best, (query, [h.text for h in hits])
        assert hits[0].distance < hits[1].distance
