"""Rubrics are YAML data validated here; users add their own without code."""

from __future__ import annotations

from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from counselsim.errors import ConfigError


class RubricView(StrEnum):
    """How much of a session the judge may see."""

    SPOKEN = "spoken"  # the words only
    ANNOTATED = "annotated"  # plus counselor strategies and client emotion labels


class Dimension(BaseModel):
    """One scored dimension with its bounds and per-language guidance."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,40}$")
    min: int
    max: int
    description: dict[str, str] = Field(min_length=1)

    def text(self, lang: str) -> str:
        """The description in ``lang``, else in any language the rubric gives."""
        return self.description.get(lang) or next(iter(self.description.values()))

    @model_validator(mode="after")
    def _bounds(self) -> Dimension:
        if self.min >= self.max:
            raise ValueError(
                f"dimension '{self.name}': min {self.min} must be below max {self.max}"
            )
        return self


class Rubric(BaseModel):
    """A named set of dimensions scored on one session."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str
    source: str = ""
    view: RubricView = RubricView.ANNOTATED
    dimensions: list[Dimension] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Rubric:
        names = [d.name for d in self.dimensions]
        if len(set(names)) != len(names):
            raise ValueError("dimension names must be unique")
        return self

    def output_model(self) -> type[BaseModel]:
        """The judge's structured output: per dimension a bounded integer and a rationale.

        Rationale comes first so the score is conditioned on it. Scores are an enum of the
        allowed integers: grammar-constrained engines enforce enums, not numeric bounds.
        """
        fields: dict[str, Any] = {}
        for d in self.dimensions:
            allowed: Any = Literal[tuple(range(d.min, d.max + 1))]
            item = create_model(
                f"Score_{d.name}",
                __config__=ConfigDict(extra="forbid"),
                rationale=(str, Field(min_length=2, max_length=160)),
                score=(allowed, Field()),
            )
            fields[d.name] = (item, ...)
        return create_model(
            f"Judgement_{self.name}", __config__=ConfigDict(extra="forbid"), **fields
        )


def load_rubric(name_or_path: str) -> Rubric:
    """A packaged rubric by name (``core``) or a YAML file by path.

    Raises:
        ConfigError: not found, unreadable, unknown fields or impossible ranges.
    """
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            raise ConfigError(f"{path}: rubric file not found or unreadable") from None
        where = str(path)
    else:
        res = resources.files("counselsim") / "critic" / "rubrics" / f"{name_or_path}.yaml"
        if not res.is_file():
            raise ConfigError(f"unknown rubric '{name_or_path}'")
        text, where = res.read_text(encoding="utf-8"), f"rubric '{name_or_path}'"
    try:
        return Rubric.model_validate(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: invalid rubric YAML: {str(exc).splitlines()[0]}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "<root>"
        raise ConfigError(f"{where}: invalid rubric field '{loc}': {first['msg']}") from None
