"""Loading the detectors: YAML files validated into specs, compiled once into a catalog."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from counselsim.critic.evidence.context import FUNCTIONS, Function, Params
from counselsim.critic.evidence.models import DetectorSpec, Lang, Patterns
from counselsim.critic.evidence.text import Piece, clauses
from counselsim.errors import ConfigError, field_error
from counselsim.labels import Role


class DetectorFile(BaseModel):
    """One YAML file of detectors."""

    model_config = ConfigDict(extra="forbid")

    detectors: list[DetectorSpec]


def _compile(table: Patterns | None) -> dict[Lang, re.Pattern[str]]:
    """One alternation per language: a single scan per sentence instead of one per regex."""
    return {
        lang: re.compile("|".join(f"(?:{rx})" for rx in rxs), re.IGNORECASE)
        for lang, rxs in (table or {}).items()
        if rxs
    }


@dataclass(frozen=True)
class Detector:
    """A validated, compiled detector."""

    spec: DetectorSpec
    patterns: dict[tuple[Role, Lang], re.Pattern[str]]
    requires: dict[Lang, re.Pattern[str]]
    guards: dict[Lang, re.Pattern[str]]
    function: Function | None
    params: Params | None

    @property
    def id(self) -> str:
        """The detector's id."""
        return self.spec.id

    def pattern(self, role: Role, lang: Lang) -> re.Pattern[str] | None:
        """The regex that ``role``'s turns in ``lang`` are scanned with, if any."""
        return self.patterns.get((role, lang))

    def required(self, sents: list[Piece], k: int, lang: Lang) -> bool:
        """Whether sentence ``k`` (or, in window scope, it or the next) meets ``requires``."""
        rx = self.requires.get(lang)
        if rx is None:
            return True
        last = k + 2 if self.spec.requires_scope == "window" else k + 1
        return any(rx.search(s.text) for s in sents[k:last])

    def guarded(self, sentence: Piece, at: int, lang: Lang) -> bool:
        """Whether a guard matches around the hit at turn offset ``at``."""
        rx = self.guards.get(lang)
        if rx is None:
            return False
        if self.spec.guard_scope == "sentence":
            return rx.search(sentence.text) is not None
        parts = clauses(sentence)
        clause = next((c for c in reversed(parts) if c.start <= at), parts[0])
        return rx.search(clause.text) is not None


def compile_spec(spec: DetectorSpec) -> Detector:
    """Compile one spec (its function and params resolved).

    Raises:
        ConfigError: unknown function, a function of the wrong level, or invalid params.
    """
    function = params = None
    if spec.function is not None:
        function = FUNCTIONS.get(spec.function)
        if function is None:
            known = ", ".join(sorted(FUNCTIONS))
            raise ConfigError(f"detector '{spec.id}': unknown function '{spec.function}' ({known})")
        if function.level != spec.level:
            raise ConfigError(
                f"detector '{spec.id}': function '{spec.function}' is {function.level}-level"
            )
        try:
            params = function.params.model_validate(spec.params)
        except ValidationError as exc:
            loc, msg = field_error(exc)
            raise ConfigError(f"detector '{spec.id}': invalid param '{loc}': {msg}") from None
    elif spec.params:
        raise ConfigError(f"detector '{spec.id}': params given without a function")
    by_role = spec.role_patterns or dict.fromkeys(spec.roles, spec.patterns or {})
    patterns = {
        (role, lang): rx for role in spec.roles for lang, rx in _compile(by_role[role]).items()
    }
    return Detector(
        spec, patterns, _compile(spec.requires), _compile(spec.guards), function, params
    )


@dataclass(frozen=True)
class Catalog:
    """Every detector, in file order (files sorted by name)."""

    detectors: tuple[Detector, ...]

    @property
    def ids(self) -> list[str]:
        """Detector ids in catalog order."""
        return [d.id for d in self.detectors]

    def get(self, detector_id: str) -> Detector:
        """The detector ``detector_id``.

        Raises:
            KeyError: no such detector.
        """
        for d in self.detectors:
            if d.id == detector_id:
                return d
        raise KeyError(detector_id)


def build_catalog(specs: Iterable[DetectorSpec]) -> Catalog:
    """A catalog of ``specs``, checked as a whole (unique ids, params naming known detectors).

    Raises:
        ConfigError: a duplicate id, or params naming an unknown detector.
    """
    detectors = tuple(compile_spec(s) for s in specs)
    ids = [d.id for d in detectors]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError(f"detector ids must be unique: {', '.join(dupes)}")
    for d in detectors:
        unknown = [r for r in (d.params.refs() if d.params else []) if r not in ids]
        if unknown:
            raise ConfigError(f"detector '{d.id}': params name unknown detector '{unknown[0]}'")
    return Catalog(detectors)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error in one line: what went wrong and where (PyYAML's own text spans lines)."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        return f"{exc.problem} (line {exc.problem_mark.line + 1})"
    return " ".join(str(exc).split())


def _read(source: Traversable | Path) -> list[DetectorSpec]:
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        return DetectorFile.model_validate(data).detectors
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"detectors file '{source.name}': not YAML: {_yaml_problem(exc)}"
        ) from None
    except ValidationError as exc:
        loc, msg = field_error(exc)
        raise ConfigError(f"detectors file '{source.name}': invalid field '{loc}': {msg}") from None


def load_catalog(directory: Path | None = None) -> Catalog:
    """The detectors of every ``*.yaml`` in ``directory`` (default: the packaged ones).

    Raises:
        ConfigError: a file that is not YAML or does not validate, or an invalid catalog.
    """
    if directory is None:
        return packaged_catalog()
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise ConfigError(f"no detector files (*.yaml) in {directory}")
    return build_catalog(spec for f in files for spec in _read(f))


@lru_cache(maxsize=1)
def packaged_catalog() -> Catalog:
    """The packaged detectors, loaded once (lazily, never at import)."""
    root = resources.files("counselsim") / "critic" / "evidence" / "detectors"
    files = sorted((f for f in root.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
    return build_catalog(spec for f in files for spec in _read(f))
