"""Token log-probabilities from llama.cpp in-process, without ``logits_all``.

llama-cpp-python returns log-probabilities only for a model built with ``logits_all=True``,
which keeps n_ctx × n_vocab floats (about 2.5 GB for a 152k vocabulary at 4k context). Instead
a logits processor reads the next-token logits at every sampling step of the normal
generation: it sees the raw logits before the grammar and the samplers, computes the log-
softmax and keeps the top ``k``. No extra forward pass, no state touched; the cost is one
pass over the vocabulary per generated token (measured in ``benchmarks/README.md``).

Step ``j`` sees the context up to generated token ``j - 1`` as its last input id, so the
sampled tokens are read off the next step's input; the very last token (end of turn, or the
cut at ``max_tokens``) is never evaluated and gets the completion's remaining bytes.
The result has OpenAI's ``logprobs.content`` shape, as langchain-openai gives it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt


class Detokenizer(Protocol):
    """The part of ``llama_cpp.Llama`` used to name tokens."""

    def detokenize(self, tokens: list[int]) -> bytes: ...


class TopLogprobs:
    """A llama-cpp-python logits processor that records the top ``k`` log-probabilities of
    every sampling step and leaves the logits unchanged."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.steps: list[tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]] = []
        self.sampled: list[tuple[int, float]] = []  # token j and its log-probability
        self._previous: tuple[npt.NDArray[np.float32], float] | None = None  # logits, log Z

    def __call__(
        self, input_ids: npt.NDArray[np.intc], scores: npt.NDArray[np.single]
    ) -> npt.NDArray[np.single]:
        if self._previous is not None:  # the last input is the token the previous step chose
            token, (logits, log_z) = int(input_ids[-1]), self._previous
            self.sampled.append((token, float(logits[token]) - log_z))
        # float32 and a contiguous copy of llama-cpp-python's strided view: 1.3 ms per token
        # over a 152k vocabulary on this machine, against 2 ms in float64
        logits = np.array(scores, dtype=np.float32)
        peak = float(logits.max())
        log_z = peak + math.log(float(np.exp(logits - peak).sum(dtype=np.float64)))
        k = min(self.k, len(logits))
        top = np.argpartition(logits, -k)[-k:]
        top = top[np.argsort(-logits[top])]
        self.steps.append((top, logits[top].astype(np.float64) - log_z))
        self._previous = (logits, log_z)
        return scores

    def content(self, llama: Detokenizer, completion: str) -> list[dict[str, Any]]:
        """The generated tokens with their top alternatives, OpenAI-shaped."""

        def entry(text: bytes, logprob: float, top: Sequence[dict[str, Any]]) -> dict[str, Any]:
            return {
                "token": text.decode("utf-8", errors="replace"),
                "bytes": list(text),
                "logprob": logprob,
                "top_logprobs": list(top),
            }

        out: list[dict[str, Any]] = []
        for j, (ids, logprobs) in enumerate(self.steps):
            top = [
                entry(llama.detokenize([int(t)]), float(lp), [])
                for t, lp in zip(ids, logprobs, strict=True)
            ]
            if j < len(self.sampled):
                token, logprob = self.sampled[j]
                text = llama.detokenize([token])
            else:  # the last step's token was never evaluated: the completion's remainder
                done = b"".join(bytes(e["bytes"]) for e in out)
                text, logprob = completion.encode()[len(done) :], float(logprobs[0])
            if text:
                out.append(entry(text, logprob, top))
        return out


def complete(
    llama: Any,
    messages: list[dict[str, str]],
    stop: list[str] | None,
    params: dict[str, Any],
    k: int | None,
) -> dict[str, Any]:
    """``llama.create_chat_completion``; with ``k``, its choice carries OpenAI-shaped
    ``logprobs`` read by :class:`TopLogprobs`."""
    if not k:
        return dict(llama.create_chat_completion(messages=messages, stop=stop, **params))
    recorder = TopLogprobs(k)
    out = dict(
        llama.create_chat_completion(
            messages=messages, stop=stop, logits_processor=[recorder], **params
        )
    )
    choice = out["choices"][0]
    content = recorder.content(llama, choice["message"]["content"] or "")
    choice["logprobs"] = {"content": content}
    return out
