"""Build the chat model a config asks for. Nothing here runs at import time."""

from __future__ import annotations

import os

import httpx
from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from counselsim.config import Engine, ModelConfig
from counselsim.errors import ConfigError, ModelUnavailableError
from counselsim.llm.local import ChatLlamaCpp
from counselsim.llm.server import ChatOpenAICompatible
from counselsim.llm.weights import ensure_packaged_model


def _api_key(cfg: ModelConfig) -> str:
    # Local vLLM servers accept any key; a real one is read from the environment, never a flag.
    return os.environ.get(cfg.api_key_env) or os.environ.get("OPENAI_API_KEY") or "EMPTY"


def check_server(cfg: ModelConfig) -> None:
    """Fail fast, with the URL, when an OpenAI-compatible server cannot be reached."""
    assert cfg.base_url is not None
    url = cfg.base_url.rstrip("/") + "/models"
    try:
        resp = httpx.get(url, timeout=10.0, headers={"Authorization": f"Bearer {_api_key(cfg)}"})
    except httpx.HTTPError as exc:
        raise ModelUnavailableError(
            f"{cfg.base_url}: server unreachable ({type(exc).__name__})"
        ) from None
    if resp.status_code >= 400:
        raise ModelUnavailableError(f"{url}: server answered HTTP {resp.status_code}")


def openai_chat_model(base_url: str, model: str, api_key: str, timeout_s: float) -> BaseChatModel:
    """A chat model on an OpenAI-compatible server, with no retries of its own (counselsim's
    tenacity layer is the only retry layer)."""
    return ChatOpenAICompatible(
        base_url=base_url, model=model, api_key=SecretStr(api_key), timeout_s=timeout_s
    )


def build_chat_model(cfg: ModelConfig) -> tuple[BaseChatModel, str]:
    """Return ``(chat_model, model_id)`` for the configured engine, loading/checking it now.

    Raises:
        ConfigError: flags that do not fit together.
        ModelUnavailableError: missing weights, a bad GGUF, an unreachable server.
    """
    if cfg.engine is Engine.OPENAI:
        if not cfg.base_url or not cfg.model:
            raise ConfigError("an OpenAI-compatible server needs both --base-url and --model")
        check_server(cfg)
        chat = openai_chat_model(cfg.base_url, cfg.model, _api_key(cfg), cfg.timeout_s)
        return chat, cfg.model
    if cfg.engine is Engine.GGUF:
        if cfg.model_path is None:
            raise ConfigError("--model-path is required for a GGUF file")
        path = cfg.model_path.expanduser()
        model_id = path.name
    elif cfg.engine is Engine.EMBEDDED:
        path = ensure_packaged_model(cfg.packaged)
        model_id = cfg.packaged
    else:
        raise ConfigError("engine 'custom' takes a chat model passed in by code, not a flag")
    local = ChatLlamaCpp(model_path=path, n_ctx=cfg.n_ctx, n_threads=cfg.n_threads)
    local.load()
    return local, model_id
