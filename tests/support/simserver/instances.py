"""JSON-schema instances for the simulated server's structured answers.

Hand-written rather than taken from a schema-to-data library (hypothesis-jsonschema and the
like): every value is drawn from the caller's ``random.Random`` in a fixed order, so an answer is
a pure function of ``(seed, request body)`` and the golden run stays byte-identical, and strings
are speech or notes from :mod:`.text` that pass counselsim's turn checks (a library's random
Unicode would fail them).
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from typing import Any

from .text import string_text

__all__ = ["SPOKEN_FIELDS", "instance_for"]

# String properties whose value is speech (checked by the turn guard); the others are notes.
SPOKEN_FIELDS = frozenset({"reply", "utterance", "response", "content", "message", "text"})
DEFAULT_SHARE = 0.7
"""How often an optional property with a (non-null string or boolean) default takes it."""


def _resolve(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    node: Any = root
    for part in ref.lstrip("#/").split("/"):
        if not part:
            continue
        part = part.replace("~1", "/").replace("~0", "~")
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, dict) else {}


def _merge_all_of(schema: dict[str, Any]) -> dict[str, Any]:
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema.get("allOf") or []:
        if not isinstance(part, dict):
            continue
        for k, v in part.items():
            if k == "properties" and isinstance(v, dict):
                merged["properties"] = {**merged.get("properties", {}), **v}
            elif k == "required" and isinstance(v, list):
                merged["required"] = [*merged.get("required", []), *v]
            else:
                merged.setdefault(k, v)
    return merged


def _is_null(schema: Any) -> bool:
    return isinstance(schema, dict) and (
        schema.get("type") == "null" or ("const" in schema and schema["const"] is None)
    )


@dataclass(frozen=True)
class _Range:
    lo: float | None
    hi: float | None
    lo_open: bool  # exclusive bound
    hi_open: bool


def _range(schema: dict[str, Any]) -> _Range:
    """The numeric bounds of ``schema`` (draft 2020-12 numbers or draft-4 boolean flags)."""
    lo, hi = schema.get("minimum"), schema.get("maximum")
    exlo, exhi = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    lo_open, hi_open = exlo is True, exhi is True
    if isinstance(exlo, int | float) and not isinstance(exlo, bool) and (lo is None or exlo >= lo):
        lo, lo_open = exlo, True
    if isinstance(exhi, int | float) and not isinstance(exhi, bool) and (hi is None or exhi <= hi):
        hi, hi_open = exhi, True
    return _Range(lo, hi, lo_open, hi_open)


def _span(r: _Range, width: float) -> tuple[float, float]:
    """Finite bounds: ``width`` wide on the open side of a half-bounded range."""
    if r.lo is None and r.hi is None:
        return 0.0, width
    if r.lo is None:
        assert r.hi is not None
        return r.hi - width, r.hi
    if r.hi is None:
        return r.lo, r.lo + width
    return r.lo, r.hi


def _integer(schema: dict[str, Any], rng: random.Random) -> int:
    r = _range(schema)
    lo_f, hi_f = _span(r, 10)
    lo, hi = math.ceil(lo_f), math.floor(hi_f)
    if r.lo_open and lo == lo_f:
        lo += 1
    if r.hi_open and hi == hi_f:
        hi -= 1
    hi = max(hi, lo)
    step = schema.get("multipleOf")
    if isinstance(step, int) and step > 0:
        multiples = list(range(-(-lo // step) * step, hi + 1, step))
        if multiples:
            return rng.choice(multiples)
    return rng.randint(lo, hi)


def _number(schema: dict[str, Any], rng: random.Random) -> float:
    r = _range(schema)
    lo, hi = _span(r, 1.0)
    value = round(rng.uniform(lo, hi), 3)
    if (r.lo_open and value <= lo) or (r.hi_open and value >= hi) or not lo <= value <= hi:
        value = (lo + hi) / 2
    return value


def _array(
    schema: dict[str, Any],
    rng: random.Random,
    lang: str,
    name: str,
    root: dict[str, Any],
    depth: int,
) -> list[Any]:
    lo = int(schema.get("minItems", 0))
    hi = schema.get("maxItems")
    hi = int(hi) if hi is not None else max(lo, 1) + 1
    prefix = schema.get("prefixItems")
    if isinstance(prefix, list) and prefix:
        out = [instance_for(p, rng, lang, name, root, depth + 1) for p in prefix[:hi]]
        lo = max(lo, len(out))
    else:
        out = []
    n = rng.randint(min(max(lo, 1), hi), min(max(lo, 1) + 1, hi)) if hi > 0 else 0
    items = schema.get("items")
    item_schema: dict[str, Any] = items if isinstance(items, dict) else {}
    seen = {json.dumps(x, sort_keys=True) for x in out}
    tries = 0
    while len(out) < n and tries < 20 * (n + 1):
        tries += 1
        item = instance_for(item_schema, rng, lang, name, root, depth + 1)
        key = json.dumps(item, sort_keys=True)
        if key in seen and (schema.get("uniqueItems") or tries < 10 * (n + 1)):
            continue  # unique when asked, and preferably unique anyway (two equal labels look odd)
        seen.add(key)
        out.append(item)
    return out


def _fits_default(schema: dict[str, Any]) -> bool:
    """True when ``schema`` has a non-null string or boolean default valid for its bounds."""
    default = schema.get("default")
    if isinstance(default, bool):
        return True
    if not isinstance(default, str):
        return False
    return (
        int(schema.get("minLength", 0))
        <= len(default)
        <= int(schema.get("maxLength", len(default)))
    )


def _object(
    schema: dict[str, Any], rng: random.Random, lang: str, root: dict[str, Any], depth: int
) -> dict[str, Any]:
    props = schema.get("properties")
    props = props if isinstance(props, dict) else {}
    required = set(schema.get("required") or [])
    out: dict[str, Any] = {}
    for key, sub in props.items():
        sub = sub if isinstance(sub, dict) else {}
        default = sub.get("default")
        if key not in required and _fits_default(sub) and rng.random() < DEFAULT_SHARE:
            out[key] = default  # e.g. a judge's empty "problem": most verdicts state none
        else:
            out[key] = instance_for(sub, rng, lang, key, root, depth + 1)
    for key in schema.get("required") or []:
        if isinstance(key, str) and key not in out:
            out[key] = string_text(rng, lang, key in SPOKEN_FIELDS, 1, 120)
    return out


def instance_for(
    schema: dict[str, Any],
    rng: random.Random,
    lang: str = "en",
    name: str = "",
    root: dict[str, Any] | None = None,
    depth: int = 0,
) -> Any:
    """A value valid for the JSON ``schema`` (the subset structured outputs use), drawn with
    ``rng``; strings are text in ``lang``, speech when the property ``name`` is a spoken one.

    Supports ``$ref`` (to ``root``), ``allOf``, ``anyOf``/``oneOf`` (the first non-null
    branch), ``const``, ``enum``, nullable type lists (a non-null type), objects (every listed
    property), arrays (``items``/``prefixItems``, ``minItems``/``maxItems``, ``uniqueItems``),
    strings (``minLength``/``maxLength``), integers and numbers (inclusive and exclusive bounds,
    integer ``multipleOf``), booleans and null.
    """
    root = schema if root is None else root
    if depth > 16:
        return None
    if "$ref" in schema:
        target = _resolve(str(schema["$ref"]), root)
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        return instance_for({**target, **extra}, rng, lang, name, root, depth + 1)
    if "allOf" in schema:
        return instance_for(_merge_all_of(schema), rng, lang, name, root, depth + 1)
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            branch = next((b for b in branches if not _is_null(b)), branches[0])
            rest = {k: v for k, v in schema.items() if k != key}
            merged = {**rest, **branch} if isinstance(branch, dict) else rest
            return instance_for(merged, rng, lang, name, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        values = [e for e in enum if e is not None] or enum
        return rng.choice(values)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = (
            "object"
            if "properties" in schema
            else "array"
            if "items" in schema or "prefixItems" in schema
            else "string"
        )
    if kind == "object":
        return _object(schema, rng, lang, root, depth)
    if kind == "array":
        return _array(schema, rng, lang, name, root, depth)
    if kind == "integer":
        return _integer(schema, rng)
    if kind == "number":
        return _number(schema, rng)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    max_len = schema.get("maxLength")
    return string_text(
        rng,
        lang,
        name in SPOKEN_FIELDS,
        int(schema.get("minLength", 0)),
        int(max_len) if max_len is not None else None,
    )
