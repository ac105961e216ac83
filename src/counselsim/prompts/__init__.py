"""Prompt templates: one Jinja2 file per agent step and language, loaded as package data.

Each template defines a ``system`` block (static: role, persona, rules) and a ``user`` block
(the instruction and per-turn material). Agents place the transcript between the two, so a
serving engine's prefix cache reuses the static part and the transcript across calls.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template, TemplateNotFound

from counselsim.errors import ConfigError


@dataclass(frozen=True)
class RenderedPrompt:
    """A rendered template: its two blocks and the template it came from."""

    name: str
    system: str
    user: str


class PromptLibrary:
    """Renders ``{agent}/{step}.{lang}.j2`` with undefined variables as errors."""

    def __init__(self) -> None:
        self._env = Environment(
            loader=PackageLoader("counselsim", "prompts"),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
            auto_reload=False,  # package files: no stat() of the template on every render
        )
        self._repair: dict[str, str] = {}

    def _template(self, name: str) -> Template:
        try:
            return self._env.get_template(name)
        except TemplateNotFound:
            raise ConfigError(f"prompt template '{name}' not found") from None

    def render(self, agent: str, step: str, lang: str, **ctx: Any) -> RenderedPrompt:
        """Render both blocks of one step's template."""
        name = f"{agent}/{step}.{lang}.j2"
        tpl = self._template(name)
        context = tpl.new_context(ctx)
        blocks = {
            block: "".join(tpl.blocks[block](context)).strip() for block in ("system", "user")
        }
        return RenderedPrompt(name=name, system=blocks["system"], user=blocks["user"])

    def repair(self, lang: str) -> str:
        """The re-ask sent after an invalid structured output, ``{error}`` left to fill:
        rendered once per language (every model call carries it; few use it)."""
        if lang not in self._repair:
            self._repair[lang] = self.render("common", "repair", lang, error="{error}").user
        return self._repair[lang]

    def render_text(self, agent: str, step: str, lang: str, **ctx: Any) -> str:
        """Render a whole template that has no blocks (e.g. an export message format)."""
        return self._template(f"{agent}/{step}.{lang}.j2").render(**ctx).strip()

    @cached_property
    def hashes(self) -> dict[str, str]:
        """sha256 (first 12 hex digits) of every template's source, for provenance."""
        root = resources.files("counselsim") / "prompts"
        out: dict[str, str] = {}
        agents = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith("_")]
        for agent in sorted(agents, key=lambda p: p.name):
            for f in sorted(agent.iterdir(), key=lambda p: p.name):
                if f.name.endswith(".j2"):
                    out[f"{agent.name}/{f.name}"] = hashlib.sha256(f.read_bytes()).hexdigest()[:12]
        return out
