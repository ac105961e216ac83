"""Safe protocol replies as data: the reply a corpus keeps when no generated counselor reply
to a risk cue passed the safety protocol.

One file per language (``critic/evidence/safety/<lang>.yaml``): crisis resources per locale
and a few reply variants that each acknowledge, ask directly about suicide or self-harm, and
offer the resources. A seed picks the variant, so a run is reproducible.
"""

from __future__ import annotations

import random
from functools import lru_cache
from importlib import resources
from string import Template

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from counselsim.critic.evidence.models import Lang
from counselsim.errors import ConfigError, field_error

_PLACES = ("resources", "emergency")


class LocaleResources(BaseModel):
    """What one locale offers: a crisis line sentence and the emergency number."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    resources: str = Field(min_length=4)
    emergency: str = Field(min_length=2)


class SafetyFile(BaseModel):
    """One language's safety replies."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    language: Lang
    default_locale: str
    locales: dict[str, LocaleResources] = Field(min_length=1)
    variants: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _usable(self) -> SafetyFile:
        if self.default_locale not in self.locales:
            raise ValueError(f"default_locale '{self.default_locale}' is not among the locales")
        for n, text in enumerate(self.variants):
            names = {m[1] or m[2] for m in Template.pattern.findall(text) if m[1] or m[2]}
            if names != set(_PLACES):
                raise ValueError(f"variant {n} must use exactly ${{resources}} and ${{emergency}}")
        return self


class SafetyReply(BaseModel):
    """A rendered safety reply and where it came from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    language: Lang
    locale: str
    variant: int = Field(ge=0)


@lru_cache(maxsize=4)
def load_safety(lang: str) -> SafetyFile:
    """The packaged safety replies of ``lang``.

    Raises:
        ConfigError: no file for ``lang``, or an invalid one.
    """
    res = resources.files("counselsim") / "critic" / "evidence" / "safety" / f"{lang}.yaml"
    if not res.is_file():
        raise ConfigError(f"no safety replies for language '{lang}' (zh, en)")
    try:
        return SafetyFile.model_validate(yaml.safe_load(res.read_text(encoding="utf-8")))
    except ValidationError as exc:
        loc, msg = field_error(exc)
        raise ConfigError(f"safety replies '{lang}': invalid field '{loc}': {msg}") from None


def _locale(file: SafetyFile, locale: str | None) -> str:
    if locale is None:
        return file.default_locale
    for name in file.locales:
        if name.lower() == locale.lower():
            return name
    known = ", ".join(file.locales)
    raise ConfigError(f"no crisis resources for locale '{locale}' ({known})")


def render(file: SafetyFile, variant: int, locale: str | None = None) -> SafetyReply:
    """Variant ``variant`` of ``file`` with ``locale``'s resources (default: the file's).

    Raises:
        ConfigError: an unknown locale.
    """
    name = _locale(file, locale)
    where = file.locales[name]
    text = Template(file.variants[variant]).substitute(
        resources=where.resources, emergency=where.emergency
    )
    return SafetyReply(text=text, language=file.language, locale=name, variant=variant)


def safety_reply(lang: str, seed: int, locale: str | None = None) -> SafetyReply:
    """A safe protocol reply in ``lang``, its variant picked by ``seed`` (same seed, same
    reply), with ``locale``'s crisis resources (``US``, ``GB``, ``IE``, ``CN``, ``other``;
    default per language: ``US`` for en, ``CN`` for zh).

    Raises:
        ConfigError: an unknown language or locale.
    """
    file = load_safety(lang)
    return render(file, random.Random(seed).randrange(len(file.variants)), locale)
