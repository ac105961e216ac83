"""The embedded engine: a langchain-core chat model over llama-cpp-python."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

from counselsim.errors import ModelUnavailableError
from counselsim.llm.topk import complete

log = logging.getLogger(__name__)

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}
_CALL_KWARGS = {"temperature", "top_p", "max_tokens", "repeat_penalty", "seed", "response_format"}


def _to_openai(messages: list[BaseMessage]) -> list[dict[str, str]]:
    return [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]


class ChatLlamaCpp(BaseChatModel):
    """A GGUF model run in-process by llama.cpp.

    Call kwargs understood: ``temperature``, ``top_p``, ``max_tokens``, ``repeat_penalty``,
    ``seed``, ``stop`` and ``response_format`` (``{"type": "json_object", "schema": ...}``,
    which llama.cpp turns into a grammar: constrained decoding). ``logprobs=k`` adds the top
    ``k`` log-probabilities of every generated token, OpenAI-shaped, to the message's
    ``response_metadata["logprobs"]`` (read off the sampled logits, see :mod:`.topk`).

    llama.cpp reuses the longest common token prefix of consecutive prompts in its context, so
    counselsim gives the client and the counselor an instance each (see ``build_simulation``):
    each role's next prompt extends its previous one and only the new tokens are evaluated.
    llama-cpp-python's RAM state cache is not used: each entry copies the whole logits buffer
    (~300 MB here) that its capacity accounting does not count.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: Path
    n_ctx: int = 4096
    n_threads: int | None = None
    _llama: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def load(self) -> None:
        """Load the weights now (otherwise on first call). Raises ModelUnavailableError."""
        if self._llama is not None:
            return
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ModelUnavailableError(
                "llama-cpp-python is not installed: pip install 'counselsim[embedded]'"
            ) from None
        if not self.model_path.is_file():
            raise ModelUnavailableError(f"{self.model_path}: model file not found")
        try:
            llama = Llama(
                model_path=str(self.model_path),
                n_ctx=self.n_ctx,
                # llama-cpp-python defaults to half the cores; generation is compute-bound here.
                n_threads=self.n_threads or os.cpu_count(),
                n_threads_batch=self.n_threads or os.cpu_count(),
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelUnavailableError(
                f"{self.model_path}: cannot load GGUF model: {exc}"
            ) from None
        self._llama = llama

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.load()
        params = {k: v for k, v in kwargs.items() if k in _CALL_KWARGS and v is not None}
        with self._lock:  # a llama.cpp context serves one sequence at a time
            out = complete(self._llama, _to_openai(messages), stop, params, kwargs.get("logprobs"))
        choice = out["choices"][0]
        usage = out.get("usage", {})
        meta = {"finish_reason": choice.get("finish_reason"), "usage": usage}
        if choice.get("logprobs"):
            meta["logprobs"] = choice["logprobs"]
        msg = AIMessage(content=choice["message"]["content"] or "", response_metadata=meta)
        return ChatResult(generations=[ChatGeneration(message=msg)], llm_output={"usage": usage})

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Token by token (used when a caller streams, e.g. the practice client's reply).
        langchain-core runs each step in a worker thread; the lock is held until the last."""
        self.load()
        params = {k: v for k, v in kwargs.items() if k in _CALL_KWARGS and v is not None}
        with self._lock:
            for part in self._llama.create_chat_completion(
                messages=_to_openai(messages), stop=stop, stream=True, **params
            ):
                choice = part["choices"][0]
                finish = choice.get("finish_reason")
                meta = {"finish_reason": finish} if finish else {}
                text = choice.get("delta", {}).get("content") or ""
                yield ChatGenerationChunk(
                    message=AIMessageChunk(content=text, response_metadata=meta)
                )

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return await asyncio.to_thread(self._generate, messages, stop, None, **kwargs)
