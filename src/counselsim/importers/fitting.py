"""Fitting text to a model's bounds: :func:`clip` shortens at a sentence end and never
inside a ``[PLACEHOLDER]``; :func:`fit_to_model` applies it to every bounded field."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel

_SENTENCE_END = "。！？!?；;."


def clip(text: str, limit: int) -> str:
    """Shorten to at most ``limit`` characters, at a sentence end when one is in the second
    half, else at a space, never inside a ``[PLACEHOLDER]``; adds ``…`` when cut mid-way."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    ends = [cut.rfind(ch) for ch in _SENTENCE_END]
    best = max(ends)
    if best >= limit // 2:
        out = cut[: best + 1]
    else:
        cut = text[: limit - 1]
        space = cut.rfind(" ")
        if space >= limit // 2:
            cut = cut[:space]
        out = cut.rstrip() + "…"
    if out.rfind("[") > out.rfind("]"):  # never leave half a placeholder
        out = out[: out.rfind("[")].rstrip() + "…"
    return out


def _max_len(info: Any) -> int | None:
    for meta in getattr(info, "metadata", ()):
        n = getattr(meta, "max_length", None)
        if isinstance(n, int):
            return n
    return None


def _submodel(annotation: Any) -> type[BaseModel] | None:
    candidates = [annotation, *get_args(annotation)]
    for c in candidates:
        if isinstance(c, type) and issubclass(c, BaseModel):
            return c
    return None


def fit_to_model(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """Clip strings and lists in ``data`` to ``model``'s ``max_length`` bounds (recursively),
    so text that grew in masking or came long from a source still validates."""
    out = dict(data)
    for name, info in model.model_fields.items():
        value = out.get(name)
        if value is None:
            continue
        limit = _max_len(info)
        sub = _submodel(info.annotation)
        if isinstance(value, str) and limit is not None:
            out[name] = clip(value, limit)
        elif isinstance(value, list):
            items = value[:limit] if limit is not None else list(value)
            if sub is not None:
                items = [fit_to_model(sub, v) if isinstance(v, dict) else v for v in items]
            out[name] = items
        elif isinstance(value, dict) and sub is not None:
            out[name] = fit_to_model(sub, value)
    return out


__all__ = ["clip", "fit_to_model"]
