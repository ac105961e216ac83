"""The driver's CPU per model call for each way of calling an OpenAI-compatible server, K
requests in flight against the simulated server (its CPU not counted).

Rows: httpx's AsyncClient and aiohttp posting the same body (the HTTP stack alone);
langchain-openai's ``ChatOpenAI.ainvoke``; counselsim's ``ChatOpenAICompatible.ainvoke`` as
a run calls it (no callback handler: the server is asked directly) and with a callback handler
attached (LangChain's run bookkeeping, as with a tracer or the practice page's streaming).
Each row runs once unmeasured, then measured; all in one process on uvloop.

Usage:  .venv/bin/python benchmarks/http_clients.py [--calls 2000] [--capacity 64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable

import aiohttp
import httpx
from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.messages import HumanMessage, SystemMessage
from serving import start_server  # benchmarks/serving.py, beside this

from counselsim import aio

MESSAGES = [SystemMessage("You are a client. " * 200), HumanMessage("hello " * 100)]
FORMAT = {"type": "json_object"}
KWARGS = {"temperature": 0.7, "top_p": 0.9, "seed": 1,
          "extra_body": {"max_tokens": 300, "response_format": FORMAT}}  # fmt: skip
BODY = {
    "model": "sim",
    "messages": [{"role": "system", "content": str(MESSAGES[0].content)},
                 {"role": "user", "content": str(MESSAGES[1].content)}],
    "temperature": 0.7, "top_p": 0.9, "seed": 1, "max_tokens": 300,
    "response_format": FORMAT,
}  # fmt: skip


async def cpu_per_call(call: Callable[[], Awaitable[object]], n: int, k: int) -> float:
    """Driver CPU ms per call with ``k`` in flight, after an unmeasured round."""
    sem = asyncio.Semaphore(k)

    async def one() -> None:
        async with sem:
            await call()

    await asyncio.gather(*(one() for _ in range(n)))
    started = time.process_time()
    await asyncio.gather(*(one() for _ in range(n)))
    return 1000 * (time.process_time() - started) / n


async def main(url: str, n: int, k: int) -> None:
    import openai
    from langchain_openai import ChatOpenAI

    from counselsim.llm.server import ChatOpenAICompatible

    rows: dict[str, float] = {}
    limits = httpx.Limits(max_connections=k, max_keepalive_connections=k)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def httpx_call() -> None:
            r = await client.post(url + "/chat/completions", json=BODY)
            json.loads(r.raise_for_status().content)

        rows["httpx AsyncClient (HTTP only)"] = await cpu_per_call(httpx_call, n, k)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=k)) as session:
        data = json.dumps(BODY).encode()

        async def aiohttp_call() -> None:
            headers = {"Content-Type": "application/json"}
            async with session.post(url + "/chat/completions", data=data, headers=headers) as r:
                json.loads(await r.read())

        rows["aiohttp (HTTP only)"] = await cpu_per_call(aiohttp_call, n, k)
    lc = ChatOpenAI(base_url=url, model="sim", api_key="x", timeout=openai.Timeout(60),
                    max_retries=0)  # fmt: skip
    rows["ChatOpenAI.ainvoke"] = await cpu_per_call(lambda: lc.ainvoke(MESSAGES, **KWARGS), n, k)
    await lc.root_async_client.close()
    ours = ChatOpenAICompatible(base_url=url, model="sim", timeout_s=60)
    rows["ChatOpenAICompatible.ainvoke"] = await cpu_per_call(
        lambda: ours.ainvoke(MESSAGES, **KWARGS), n, k
    )
    observed = {"callbacks": [AsyncCallbackHandler()]}  # a handler that does nothing
    rows["ChatOpenAICompatible.ainvoke, observed"] = await cpu_per_call(
        lambda: ours.ainvoke(MESSAGES, observed, **KWARGS), n, k
    )
    await ours.aclose()
    print(f"{n} calls, {k} in flight; driver CPU ms per call")
    for name, ms in rows.items():
        print(f"{name:<34} {ms:6.2f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--capacity", type=int, default=64, help="K: server slots = in flight")
    ap.add_argument("--latency", type=float, default=0.05)
    args = ap.parse_args()
    proc, url = start_server(args.latency, args.capacity)
    try:
        aio.run(main(url, args.calls, args.capacity))
    finally:
        proc.terminate()
        proc.wait()
