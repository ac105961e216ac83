"""The embedded model's throughput through llama.cpp's OpenAI-compatible server, at concurrency 1
and 4, measured in one run: the server counselsim starts with ``--serve-model FILE.gguf``.

Each request is a counselor-reply-sized chat completion (fixed prompt, ``max_tokens`` 96,
distinct seeds). llama-cpp-python's server decodes one sequence at a time, so requests beyond
the first queue: the ratio shows whether concurrency buys anything on this engine (on vLLM,
continuous batching is what makes it pay).

Usage:  .venv/bin/python benchmarks/llama_server.py [--model FILE.gguf] [--requests 8]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx

PROMPT = (
    "You are a counselor. The client says: I have not slept well for weeks and I keep "
    "thinking about the exam. Answer in two sentences."
)


async def burst(url: str, n: int, concurrency: int, max_tokens: int) -> tuple[float, int]:
    sem = asyncio.Semaphore(concurrency)
    tokens = 0

    async def one(client: httpx.AsyncClient, i: int) -> None:
        nonlocal tokens
        async with sem:
            body = {
                "model": "m",
                "messages": [{"role": "user", "content": PROMPT}],
                "max_tokens": max_tokens,
                "temperature": 0.8,
                "seed": i,
            }
            r = await client.post(url + "/chat/completions", json=body, timeout=600)
            r.raise_for_status()
            tokens += r.json()["usage"]["completion_tokens"]

    started = time.perf_counter()
    async with httpx.AsyncClient() as client:
        await asyncio.gather(*(one(client, i) for i in range(n)))
    return time.perf_counter() - started, tokens


def main() -> None:
    from counselsim.llm.serve import serve
    from counselsim.llm.weights import DEFAULT_MODEL, ensure_packaged_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, help="GGUF (default: the packaged 1.5B)")
    ap.add_argument("--requests", type=int, default=8)
    ap.add_argument("--max-tokens", type=int, default=96)
    args = ap.parse_args()
    gguf = args.model or ensure_packaged_model(DEFAULT_MODEL)
    with tempfile.TemporaryDirectory() as tmp, serve(str(gguf), log_dir=Path(tmp)) as servers:
        url = servers[0].base_url
        print(f"{gguf.name}: server ready in {servers[0].ready_s:.1f} s")
        asyncio.run(burst(url, 1, 1, 8))  # warm-up
        rows = {}
        for c in (1, 4):
            wall, tokens = asyncio.run(burst(url, args.requests, c, args.max_tokens))
            rows[c] = tokens / wall
            print(f"concurrency {c}: {args.requests} requests, {tokens} tokens in {wall:.1f} s"
                  f" = {rows[c]:.1f} tok/s")  # fmt: skip
        print(f"ratio concurrency 4 / 1: {rows[4] / rows[1]:.2f}")


if __name__ == "__main__":
    main()
