"""The suite: which counselors a stress test runs, from ``--counselor`` flags and a YAML file.

A flag is ``name=NAME,base_url=URL,model=MODEL[,system=FILE][,temperature=T]`` (plus
``max_tokens=N`` and ``api_key_env=VAR``); a suite file holds the same fields under
``counselors:``. Unknown fields, duplicate names and unreadable system prompts are refused in
one line naming the field (and the file). A ``system`` path in a suite file is relative to the
file; in a flag, to the working directory. URLs cannot contain commas in a flag (use a file).

``name: counselsim`` is reserved for counselsim's own counselor agent (plan, think, reply), the
reference every report places the models under test against. It runs on the simulation
model unless given its own ``base_url`` and ``model``; its prompts and sampling are
counselsim's, so it takes no ``system``, ``temperature`` or ``max_tokens``.

API keys come from the environment only: ``api_key_env`` names the variable; without it no
key is sent (an ``EMPTY`` placeholder, which local vLLM servers accept).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from counselsim.errors import ConfigError, field_error
from counselsim.llm.models import openai_chat_model
from counselsim.stress.counselor import BlackBoxCounselor, ReplyPolicy

REFERENCE = "counselsim"
"""The reserved name of counselsim's own counselor agent in a suite."""

NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
"""A counselor's name: its folder in the run directory (``counselors/<name>/``)."""


class CounselorKind(StrEnum):
    """What a suite entry is."""

    ENDPOINT = "endpoint"  # a model under test on an OpenAI-compatible server
    REFERENCE = "reference"  # counselsim's own counselor agent


class CounselorSpec(BaseModel):
    """One counselor of a suite."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN)
    base_url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    model: str | None = Field(default=None, min_length=1)
    system: Path | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1, le=32768)
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")

    @model_validator(mode="after")
    def _fits_kind(self) -> CounselorSpec:
        if (self.base_url is None) != (self.model is None):
            raise ValueError("base_url and model go together")
        if self.name != REFERENCE:
            if self.base_url is None:
                raise ValueError("base_url and model are required")
            return self
        own = [f for f in ("system", "temperature", "max_tokens") if getattr(self, f) is not None]
        if own:
            raise ValueError(
                f"'{REFERENCE}' is counselsim's own counselor agent, with its own prompts and "
                f"sampling: drop {', '.join(own)}"
            )
        return self

    @property
    def kind(self) -> CounselorKind:
        """An endpoint under test, or the reference agent."""
        return CounselorKind.REFERENCE if self.name == REFERENCE else CounselorKind.ENDPOINT


class SuiteFile(BaseModel):
    """A suite YAML file."""

    model_config = ConfigDict(extra="forbid")

    counselors: list[CounselorSpec] = Field(min_length=1)


def _problem(exc: ValidationError) -> str:
    """The error to show: an unknown field first (a typo explains the errors it causes)."""
    unknown = [e for e in exc.errors() if e["type"] == "extra_forbidden"]
    if unknown:
        return f"unknown field '{'.'.join(str(p) for p in unknown[0]['loc'])}'"
    loc, msg = field_error(exc)
    msg = msg.removeprefix("Value error, ")
    return msg if loc == "<root>" else f"field '{loc}': {msg}"


_FLAG_FIELDS = tuple(CounselorSpec.model_fields)


def parse_counselor(value: str) -> CounselorSpec:
    """One ``--counselor`` flag, ``key=value`` pairs separated by commas.

    Raises:
        ConfigError: one line naming the bad field: not ``key=value``, an unknown or repeated
            field, an empty value, or a value the field does not accept.
    """
    fields: dict[str, str] = {}
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        key, sep, val = (s.strip() for s in part.partition("="))
        if not sep:
            raise ConfigError(f"--counselor: '{part}' is not key=value")
        if key not in _FLAG_FIELDS:
            known = ", ".join(_FLAG_FIELDS)
            raise ConfigError(f"--counselor: unknown field '{key}' (fields: {known})")
        if key in fields:
            raise ConfigError(f"--counselor: field '{key}' given twice")
        if not val:
            raise ConfigError(f"--counselor: field '{key}' is empty")
        fields[key] = val
    who = f"--counselor {fields['name']}" if "name" in fields else "--counselor"
    try:
        return CounselorSpec.model_validate(fields)
    except ValidationError as exc:
        raise ConfigError(f"{who}: {_problem(exc)}") from None


def load_suite(path: Path) -> list[CounselorSpec]:
    """The counselors of a suite YAML file, ``system`` paths made relative to the file.

    Raises:
        ConfigError: a missing or unreadable file, invalid YAML, or a bad field (named with
            its place, e.g. ``counselors.1.temprature``).
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        raise ConfigError(f"{path}: suite file not found or not readable text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML{where}") from None
    try:
        suite = SuiteFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_problem(exc)}") from None
    return [
        c.model_copy(update={"system": path.parent / c.system})
        if c.system is not None and not c.system.is_absolute()
        else c
        for c in suite.counselors
    ]


def read_system_prompt(spec: CounselorSpec) -> str | None:
    """The counselor's own system prompt, or None when it has none.

    Raises:
        ConfigError: the file is missing, unreadable, not UTF-8 text or empty.
    """
    if spec.system is None:
        return None
    try:
        text = spec.system.expanduser().read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        raise ConfigError(
            f"counselor '{spec.name}': system prompt {spec.system} not found or not UTF-8 text"
        ) from None
    if not text:
        raise ConfigError(f"counselor '{spec.name}': system prompt {spec.system} is empty")
    return text


def resolve_suite(flags: Sequence[str], suite: Path | None = None) -> list[CounselorSpec]:
    """Every counselor of a run: the suite file's first, then the flags', in order.

    Raises:
        ConfigError: no counselor at all, a name given twice, or any error of
            :func:`parse_counselor`, :func:`load_suite` or :func:`read_system_prompt`.
    """
    specs = (load_suite(suite) if suite is not None else []) + [parse_counselor(f) for f in flags]
    if not specs:
        raise ConfigError("no counselor to test: give --counselor or --suite")
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise ConfigError(f"counselor name '{spec.name}' is given twice")
        seen.add(spec.name)
        read_system_prompt(spec)
    return specs


def check_plugged(specs: Sequence[CounselorSpec], names: Sequence[str]) -> None:
    """Counselors given in Python (by ``names``) beside the suite's ``specs``.

    Raises:
        ConfigError: no counselor at all, or a name that is not a counselor name (letters,
            digits, ``_ . -``), is the reference's, or is taken.
    """
    taken = {spec.name for spec in specs}
    for name in names:
        if not re.fullmatch(NAME_PATTERN, name) or name == REFERENCE:
            raise ConfigError(
                f"counselor name '{name}': letters, digits, _ . - (not '{REFERENCE}', the "
                "reference agent's)"
            )
        if name in taken:
            raise ConfigError(f"counselor name '{name}' is given twice")
        taken.add(name)
    if not taken:
        raise ConfigError("no counselor to test: give models, --counselor or --suite")


def api_key(spec: CounselorSpec) -> str:
    """The API key for the counselor's endpoint, from the environment only.

    Raises:
        ConfigError: ``api_key_env`` names a variable that is not set (the value is never
            shown).
    """
    if spec.api_key_env is None:
        return "EMPTY"
    key = os.environ.get(spec.api_key_env)
    if not key:
        raise ConfigError(
            f"counselor '{spec.name}': environment variable {spec.api_key_env} is not set"
        )
    return key


def build_counselor(spec: CounselorSpec, policy: ReplyPolicy | None = None) -> BlackBoxCounselor:
    """The black box for an endpoint counselor: a ChatOpenAI client with no retries of its
    own, sent ``temperature``/``max_tokens`` when given and a seed with every call.

    Raises:
        ConfigError: the spec is the reference agent (the stress-test runner builds that from
            the simulation's composition root), or as :func:`api_key` and
            :func:`read_system_prompt`.
    """
    if spec.kind is CounselorKind.REFERENCE or spec.base_url is None or spec.model is None:
        raise ConfigError(f"counselor '{spec.name}' is not an endpoint under test")
    policy = policy or ReplyPolicy()
    kwargs: dict[str, object] = {}
    if spec.temperature is not None:
        kwargs["temperature"] = spec.temperature
    if spec.max_tokens is not None:
        # in the body: langchain-openai renames max_tokens, which llama.cpp's server ignores
        kwargs["extra_body"] = {"max_tokens": spec.max_tokens}
    chat = openai_chat_model(spec.base_url, spec.model, api_key(spec), policy.timeout_s)
    return BlackBoxCounselor(
        name=spec.name,
        chat_model=chat,
        system_prompt=read_system_prompt(spec),
        call_kwargs=kwargs,
        seeded=True,
        policy=policy,
    )
