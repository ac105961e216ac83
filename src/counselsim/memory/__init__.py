"""Client long-term memory: what earlier sessions left behind."""

from counselsim.memory.store import MemoryHit, MemoryItem, MemoryKind, MemoryStore

__all__ = ["MemoryHit", "MemoryItem", "MemoryKind", "MemoryStore"]
