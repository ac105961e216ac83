"""Before any work: is every counselor endpoint of the suite answering?

Each endpoint is asked for ``GET {base_url}/models``; one that has no such route (404/405)
is asked a one-token chat instead. All endpoints are asked at once, each within the timeout;
the first that fails (in suite order) is named in one line with its URL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

import httpx

from counselsim.errors import ModelUnavailableError
from counselsim.stress.suite import CounselorSpec, api_key


def shown_url(url: str) -> str:
    """The URL without any ``user:password@`` part, for messages."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


async def _probe(client: httpx.AsyncClient, spec: CounselorSpec) -> str | None:
    """None when the endpoint answers, else why not (without the counselor's name)."""
    assert spec.base_url is not None and spec.model is not None
    base = spec.base_url.rstrip("/")
    headers = {"Authorization": f"Bearer {api_key(spec)}"}
    try:
        resp = await client.get(f"{base}/models", headers=headers)
        if resp.status_code in (404, 405):
            ping = {"model": spec.model, "messages": [{"role": "user", "content": "hi"}]}
            resp = await client.post(
                f"{base}/chat/completions", headers=headers, json={**ping, "max_tokens": 1}
            )
    except httpx.TimeoutException:
        return f"{shown_url(base)} did not answer within {client.timeout.read:g} s"
    except httpx.HTTPError as exc:
        return f"{shown_url(base)} unreachable ({type(exc).__name__})"
    if resp.status_code >= 400:
        where = shown_url(str(resp.request.url))
        return f"{where} answered HTTP {resp.status_code}"
    return None


async def check_reachable(specs: Sequence[CounselorSpec], timeout_s: float = 10.0) -> None:
    """Check every counselor with a ``base_url`` (endpoints, and the reference agent when it
    has its own server).

    Raises:
        ModelUnavailableError: one line naming the first counselor that did not answer and
            its URL (with how many more failed).
        ConfigError: a counselor's ``api_key_env`` is not set.
    """
    targets = [s for s in specs if s.base_url is not None]
    if not targets:
        return
    for spec in targets:
        api_key(spec)  # a missing key is a config error, not an unreachable server
    async with httpx.AsyncClient(timeout=httpx.Timeout(timeout_s)) as client:
        problems = await asyncio.gather(*(_probe(client, s) for s in targets))
    failed = [(s.name, p) for s, p in zip(targets, problems, strict=True) if p is not None]
    if failed:
        name, problem = failed[0]
        more = f" (and {len(failed) - 1} more: {', '.join(n for n, _ in failed[1:])})"
        raise ModelUnavailableError(
            f"counselor '{name}': {problem}{more if len(failed) > 1 else ''}"
        )
