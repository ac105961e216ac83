"""Rubrics are YAML data validated here; users add their own without code.

A rubric says *what* is scored (dimensions with bounds, behavior codes to count, ratios of
those counts), *whose* turns (``target``), at which grain (``level``: the whole session or
each target turn in its context), from whose side (``perspective``: an observer, or the
client rating its own experience, as WAI-SR and PANAS are) and when (``timing``: after the
session, or before and after it, as PANAS is).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    create_model,
    model_validator,
)

from counselsim.errors import ConfigError, field_error
from counselsim.labels import Role

NAME = r"^[a-z][a-z0-9_]{0,40}$"
NONE_CODE = "none"  # a counselor turn that carries none of a rubric's behavior codes


class RubricView(StrEnum):
    """How much of a session the judge may see."""

    SPOKEN = "spoken"  # the words only
    ANNOTATED = "annotated"  # plus counselor strategies and client emotion labels


class Level(StrEnum):
    """The grain of a judgement."""

    SESSION = "session"  # one judgement of the whole session
    TURN = "turn"  # one judgement per target turn, in its context; folded by the mean


class Perspective(StrEnum):
    """Who the judge speaks as."""

    OBSERVER = "observer"  # a supervisor reading the transcript
    CLIENT = "client"  # the client rating its own experience (needs the client's profile)


class Timing(StrEnum):
    """When a client-perspective rubric is filled in."""

    POST = "post"  # after the session
    PRE_POST = "pre_post"  # before the session (from the profile and earlier sessions) and after


Limit = Literal["min", "mid", "max"] | int
"""Where an evidence rule holds a score: the item's minimum, middle (rounded down, so on a
two-point scale a floor at ``mid`` holds nothing), maximum, or a score of its range."""


class EvidenceRule(BaseModel):
    """An evidence rule of a rubric item: when ``detector`` fired (on a turn, or as a
    finding such as ``missed_crisis``), the judge's score is held at most at ``ceiling`` or at
    least at ``floor``. With ``after``, the rule fires only where ``detector`` fired within
    the first ``within`` turns of its speaker that follow a turn where ``after`` fired (a
    direct risk question right after a risk cue). Ceilings win over floors.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    detector: str
    after: str | None = None
    within: int = Field(default=1, ge=1, le=8)
    ceiling: Limit | None = None
    floor: Limit | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> EvidenceRule:
        if (self.ceiling is None) == (self.floor is None):
            raise ValueError(f"evidence rule on '{self.detector}': give a ceiling or a floor")
        return self

    @property
    def kind(self) -> Literal["ceiling", "floor"]:
        """Whether the rule caps or lifts the score."""
        return "ceiling" if self.ceiling is not None else "floor"

    @property
    def limit(self) -> Limit:
        """The ceiling or the floor, as written."""
        return self.ceiling if self.ceiling is not None else self.floor  # type: ignore[return-value]

    @property
    def label(self) -> str:
        """The rule in one line, as recorded with a bounded score."""
        after = f" within {self.within} turn(s) after {self.after}" if self.after else ""
        return f"{self.detector}{after}: {self.kind} {self.limit}"

    def resolve(self, lo: int, hi: int) -> int:
        """The limit as a score of the range ``[lo, hi]``."""
        named = {"min": lo, "mid": (lo + hi) // 2, "max": hi}
        return named[self.limit] if isinstance(self.limit, str) else self.limit


def _known_detectors(rules: Sequence[EvidenceRule]) -> None:
    """Every detector a rule names exists in the packaged evidence catalog."""
    if not rules:
        return
    from counselsim.critic.evidence.catalog import packaged_catalog

    ids = set(packaged_catalog().ids)
    for r in rules:
        for name in (r.detector, r.after):
            if name is not None and name not in ids:
                raise ValueError(f"evidence rule names unknown detector '{name}'")


class Dimension(BaseModel):
    """One scored item with its bounds, per-language guidance and optional anchors, and the
    evidence rules that bound what a judge may give it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME)
    min: int
    max: int
    description: dict[str, str] = Field(min_length=1)
    anchors: dict[int, dict[str, str]] = Field(
        default_factory=dict, description="what a score means, for some scores in range"
    )
    group: str | None = Field(default=None, pattern=NAME, description="subscale it belongs to")
    evidence: list[EvidenceRule] = Field(
        default_factory=list, description="ceilings and floors set by the evidence detectors"
    )

    def text(self, lang: str) -> str:
        """The description in ``lang``, else in any language the rubric gives."""
        return _in(self.description, lang)

    def anchor_texts(self, lang: str) -> list[tuple[int, str]]:
        """``(score, meaning)`` pairs in score order, in ``lang`` where given."""
        return [(k, _in(v, lang)) for k, v in sorted(self.anchors.items())]

    @model_validator(mode="after")
    def _bounds(self) -> Dimension:
        if self.min >= self.max:
            raise ValueError(
                f"dimension '{self.name}': min {self.min} must be below max {self.max}"
            )
        outside = [k for k in self.anchors if not self.min <= k <= self.max]
        if outside:
            raise ValueError(
                f"dimension '{self.name}': anchor {outside[0]} outside [{self.min}, {self.max}]"
            )
        for rule in self.evidence:
            if isinstance(rule.limit, int) and not self.min <= rule.limit <= self.max:
                raise ValueError(
                    f"dimension '{self.name}': evidence {rule.kind} {rule.limit} outside"
                    f" [{self.min}, {self.max}]"
                )
        try:
            _known_detectors(self.evidence)
        except ValueError as exc:
            raise ValueError(f"dimension '{self.name}': {exc}") from None
        return self


class Code(BaseModel):
    """A behavior code a judge assigns to single target turns (MITI); the session value is
    its count."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME)
    description: dict[str, str] = Field(min_length=1)

    def text(self, lang: str) -> str:
        """The description in ``lang``, else in any language the rubric gives."""
        return _in(self.description, lang)


class Ratio(BaseModel):
    """A summary of code counts: sum(numerator) / sum(denominator) (times 100 if percent)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME)
    numerator: list[str] = Field(min_length=1)
    denominator: list[str] = Field(min_length=1)
    percent: bool = False


class Rubric(BaseModel):
    """A named set of dimensions (and behavior codes) scored on one session."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_.-]{0,60}$", description="no ':' (subsets use it)")
    title: str
    source: str = ""
    view: RubricView = RubricView.ANNOTATED
    level: Level = Level.SESSION
    target: Role = Role.COUNSELOR
    perspective: Perspective = Perspective.OBSERVER
    timing: Timing = Timing.POST
    rationale: bool = Field(default=True, description="the judge justifies each score first")
    group_fold: Literal["mean", "sum"] = "mean"
    dimensions: list[Dimension] = Field(default_factory=list)
    codes: list[Code] = Field(default_factory=list)
    ratios: list[Ratio] = Field(default_factory=list)
    subsets: dict[str, list[str]] = Field(
        default_factory=dict, description="named selections of dimensions, e.g. ctrs:cactus"
    )
    # Output models built once, keyed by what shapes them (copies share the dict).
    _models: dict[object, type[BaseModel]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Rubric:
        if not self.dimensions and not self.codes:
            raise ValueError("a rubric needs at least one dimension or code")
        names = [d.name for d in self.dimensions] + [c.name for c in self.codes]
        if len(set(names)) != len(names):
            raise ValueError("dimension and code names must be unique")
        if NONE_CODE in {c.name for c in self.codes}:
            raise ValueError(f"'{NONE_CODE}' is reserved for a turn with no code")
        codes = {c.name for c in self.codes}
        for r in self.ratios:
            unknown = [n for n in (*r.numerator, *r.denominator) if n not in codes]
            if unknown:
                raise ValueError(f"ratio '{r.name}' names unknown code '{unknown[0]}'")
        dims = {d.name for d in self.dimensions}
        for subset, members in self.subsets.items():
            unknown = [n for n in members if n not in dims]
            if not members:
                raise ValueError(f"subset '{subset}' is empty")
            if unknown:
                raise ValueError(f"subset '{subset}' names unknown dimension '{unknown[0]}'")
        if self.perspective is Perspective.CLIENT and (self.level is Level.TURN or self.codes):
            raise ValueError("a client-perspective rubric is scored per session, without codes")
        if self.timing is Timing.PRE_POST and self.perspective is not Perspective.CLIENT:
            raise ValueError("timing pre_post needs perspective client")
        return self

    @property
    def groups(self) -> dict[str, list[str]]:
        """Subscales: group name -> its dimensions, in file order."""
        out: dict[str, list[str]] = {}
        for d in self.dimensions:
            if d.group:
                out.setdefault(d.group, []).append(d.name)
        return out

    def subset(self, name: str) -> Rubric:
        """The rubric restricted to a named subset (``ctrs`` -> ``ctrs:cactus``)."""
        if name not in self.subsets:
            known = ", ".join(sorted(self.subsets)) or "none"
            raise ConfigError(f"rubric '{self.name}' has no subset '{name}' (subsets: {known})")
        keep = set(self.subsets[name])
        return self.model_copy(
            update={
                "name": f"{self.name}:{name}",
                "dimensions": [d for d in self.dimensions if d.name in keep],
                "subsets": {},
            }
        )

    def output_model(self, order: Sequence[str] | None = None) -> type[BaseModel]:
        """The judge's structured output: per dimension a bounded integer (after a rationale
        when the rubric asks for one), fields in ``order`` (default: file order).

        The rationale comes first so the score is conditioned on it. Scores are an enum of the
        allowed integers: grammar-constrained engines enforce enums, not numeric bounds, and
        the field order is the order a grammar makes the judge fill them in.
        """
        dims = tuple((d.name, d.min, d.max) for d in self.dimensions)
        key = ("scores", self.name, dims, self.rationale, tuple(order or ()))
        if key not in self._models:  # built once: a model class per call costs ~1 ms
            self._models[key] = self._output_model(order)
        return self._models[key]

    def _output_model(self, order: Sequence[str] | None) -> type[BaseModel]:
        by_name = {d.name: d for d in self.dimensions}
        fields: dict[str, Any] = {}
        for name in order or list(by_name):
            d = by_name[name]
            allowed: Any = Literal[tuple(range(d.min, d.max + 1))]
            if self.rationale:
                item = create_model(
                    f"Score_{d.name}",
                    __config__=ConfigDict(extra="forbid"),
                    rationale=(str, Field(min_length=2, max_length=160)),
                    score=(allowed, Field()),
                )
                fields[d.name] = (item, ...)
            else:
                fields[d.name] = (allowed, ...)
        return create_model(
            f"Judgement_{self.name.replace(':', '_')}",
            __config__=ConfigDict(extra="forbid"),
            **fields,
        )

    def codes_model(self) -> type[BaseModel]:
        """The structured output for coding one target turn: a reason, then 1-2 codes."""
        key = ("codes", self.name, tuple(c.name for c in self.codes))
        if key in self._models:
            return self._models[key]
        allowed: Any = Literal[tuple([c.name for c in self.codes] + [NONE_CODE])]
        self._models[key] = create_model(
            f"Codes_{self.name.replace(':', '_')}",
            __config__=ConfigDict(extra="forbid"),
            rationale=(str, Field(min_length=2, max_length=160)),
            codes=(list[allowed], Field(min_length=1, max_length=2)),
        )
        return self._models[key]


def _in(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or next(iter(texts.values()))


def _packaged_dir() -> Any:
    return resources.files("counselsim") / "critic" / "rubrics"


def list_rubrics() -> list[str]:
    """Names of the packaged rubrics."""
    return sorted(
        p.name.removesuffix(".yaml") for p in _packaged_dir().iterdir() if p.name.endswith(".yaml")
    )


def load_rubric(name_or_path: str) -> Rubric:
    """A packaged rubric by name (``core``, ``ctrs``), a subset (``ctrs:cactus``) or a YAML
    file by path (``my.yaml``, ``my.yaml:subset``).

    Raises:
        ConfigError: not found, unreadable, unknown fields or impossible ranges.
    """
    base, _, subset = name_or_path.partition(":")
    if Path(name_or_path).suffix in (".yaml", ".yml"):
        base, subset = name_or_path, ""
    path = Path(base)
    if path.suffix in (".yaml", ".yml"):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise ConfigError(
                f"{path}: rubric file not found or unreadable (or not UTF-8 text)"
            ) from None
        where = str(path)
    else:
        res = _packaged_dir() / f"{base}.yaml"
        if not res.is_file():
            known = ", ".join(list_rubrics())
            raise ConfigError(f"unknown rubric '{base}' (packaged: {known})")
        text, where = res.read_text(encoding="utf-8"), f"rubric '{base}'"
    try:
        rubric = Rubric.model_validate(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: invalid rubric YAML: {str(exc).splitlines()[0]}") from None
    except ValidationError as exc:
        loc, msg = field_error(exc)
        raise ConfigError(f"{where}: invalid rubric field '{loc}': {msg}") from None
    return rubric.subset(subset) if subset else rubric
