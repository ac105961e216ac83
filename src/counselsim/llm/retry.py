"""The one retry layer: transient model errors only (timeouts, connection, 429, 5xx)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
import openai
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from counselsim.errors import ModelUnavailableError, TransientModelError

log = logging.getLogger(__name__)
T = TypeVar("T")

_TRANSIENT: tuple[type[BaseException], ...] = (
    TransientModelError,
    asyncio.TimeoutError,
    httpx.TimeoutException,
    httpx.NetworkError,
    openai.APITimeoutError,
    openai.APIConnectionError,
    openai.RateLimitError,
    openai.InternalServerError,
)


def is_transient(exc: BaseException) -> bool:
    """True for errors a later attempt may not meet; validation errors are never transient."""
    if isinstance(exc, _TRANSIENT):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500


async def with_retries(
    call: Callable[[], Awaitable[T]], attempts: int, what: str, max_wait_s: float = 20.0
) -> T:
    """Run ``call``, retrying transient errors with jittered exponential backoff.

    Raises:
        ModelUnavailableError: the transient errors outlasted ``attempts``.
    """
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(attempts),
            wait=wait_exponential_jitter(multiplier=0.5, max=max_wait_s),
            retry=retry_if_exception(is_transient),
            before_sleep=lambda state: log.warning(
                "%s: retrying in %.1f s after %s",
                what,
                state.upcoming_sleep,
                type(state.outcome.exception()).__name__ if state.outcome else "error",
            ),
            reraise=False,
        ):
            with attempt:
                return await call()
    except RetryError as exc:
        last = exc.last_attempt.exception()
        raise ModelUnavailableError(
            f"{what}: model call failed {attempts} times: {type(last).__name__}: {last}"
        ) from None
    raise AssertionError("unreachable")  # pragma: no cover
