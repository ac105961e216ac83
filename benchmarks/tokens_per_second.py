"""The embedded model through counselsim vs raw llama-cpp-python, and what per-role contexts save.

Prompts are the exact messages counselsim's agents build (captured with a recording fake).

1. Same prompts, schema and settings on two separate llama.cpp instances (n_ctx 4096,
   n_threads = n_threads_batch = os.cpu_count(), temperature 0, seed 1), calls alternating:
     raw         llama_cpp.Llama(...).create_chat_completion(messages, **kwargs)
     counselsim  ChatLlamaCpp + LLM(engine=EMBEDDED, max_repairs=0).structured(...)
   ``kwargs`` is what counselsim's LLM sends (JSON-schema response_format, top_p,
   repeat_penalty, max_tokens), so both decode the same constrained greedy sequence.
2. Counselor-think and client-reply prompts of a growing transcript, in session order, on
   (a) ONE shared ChatLlamaCpp and (b) one per role, as build_simulation does. llama.cpp
   reuses the longest common token prefix with its context's previous prompt; its own
   counters give the prompt tokens actually evaluated.

Usage:  .venv/bin/python benchmarks/tokens_per_second.py [--model ...] [--skip 1|2]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

PROFILES = Path(__file__).resolve().parents[1] / "examples" / "profiles"
TURNS = {
    "zh": ["你好，我是你的咨询师。今天是什么让你想来聊一聊？",
           "快期末考试了，我每天晚上都睡不着，一坐到书桌前就心慌。",
           "听起来这段时间你真的很辛苦。心慌的时候，你脑子里通常在想些什么？",
           "我总觉得自己肯定要挂科，然后爸妈会对我特别失望。"],
    "en": ["Hi, I'm glad you came in today. What would you like to talk about?",
           "Honestly I'm just exhausted. Work has been nonstop for months and I can't switch off.",
           "That sounds draining. What happens in the evenings when you try to switch off?",
           "I lie awake going over tomorrow's tasks. Usually I end up back on my laptop.",
           "It sounds like work follows you home. What would a good evening look like for you?"],
}  # fmt: skip
FILES = {"zh": "zh_exam_anxiety.yaml", "en": "en_work_burnout.yaml"}


def capture(requests: list[tuple[str, str, int]]) -> list[tuple[list[Any], Any, Any]]:
    """(lang, "think"|"client", n transcript turns) -> (messages, schema, step) per request."""
    from counselsim.agents import AgentDeps, ClientAgent, CounselorAgent
    from counselsim.agents.counselor import SessionContext
    from counselsim.config import Engine, RunConfig, Step
    from counselsim.labels import Emotion, NextAction, Stage, Strategy
    from counselsim.llm.fake import FunctionChatModel
    from counselsim.llm.structured import LLM
    from counselsim.personas import load_profile
    from counselsim.prompts import PromptLibrary
    from counselsim.records import ClientTurn as CT
    from counselsim.records import ClientUtterance, CounselorThought, SessionPlan
    from counselsim.records import CounselorTurn as KT

    answers: list[str] = []
    rec = FunctionChatModel(fn=lambda _m, _k: answers.pop(0))
    deps = AgentDeps(LLM(rec, Engine.CUSTOM, "capture"), PromptLibrary(), RunConfig().sampling, 0)
    counselor, client = CounselorAgent(deps), ClientAgent(deps, memory=None)  # type: ignore[arg-type]
    thought = CounselorThought(
        observation="The client reports exhaustion and sleeplessness.",
        client_emotion=[Emotion.ANXIETY], strategy=[Strategy.QUESTION],
        reasoning="Explore what keeps the client awake.", next_action=NextAction.CONTINUE,
    )  # fmt: skip
    plan = SessionPlan(stage=Stage.INTAKE, goals=["build rapport", "understand the problem"],
                       approach="client-centered", focus="what the distress is about")  # fmt: skip

    def turns(lang: str, n: int) -> list[Any]:
        return [
            KT(index=i, text=t, **thought.model_dump())
            if i % 2 == 0 else CT(index=i, text=t, emotion=[Emotion.ANXIETY])
            for i, t in enumerate(TURNS[lang][:n])
        ]  # fmt: skip

    async def run() -> list[tuple[list[Any], Any, Any]]:
        out = []
        for lang, step, n in requests:
            profile = load_profile(PROFILES / FILES[lang])
            if step == "think":
                answers.append(thought.model_dump_json())
                ctx = SessionContext(profile=profile, plan=plan, session_index=1, n_sessions=3)
                await counselor.think(ctx, turns(lang, n), 6, True, 1)
                out.append((rec.calls[-1].messages, CounselorThought, Step.THINK))
            else:
                answers.append(json.dumps({"emotion": ["Anxiety"], "reply": "ok"}))
                await client.reply(profile, turns(lang, n), [], 1, 1)
                out.append((rec.calls[-1].messages, ClientUtterance, Step.CLIENT))
        return out

    return asyncio.run(run())


def perf(chat_or_llama: Any, reset: bool = False) -> Any:
    import llama_cpp

    ctx = getattr(chat_or_llama, "_llama", chat_or_llama)._ctx.ctx
    return llama_cpp.llama_perf_context_reset(ctx) if reset else llama_cpp.llama_perf_context(ctx)


def rss_mb() -> tuple[float, float]:
    """(private, file-backed) resident MB: RssAnon and RssFile."""
    with open("/proc/self/status") as f:
        kb = {k: int(v.split()[0]) for k, v in (ln.split(":", 1) for ln in f)
              if k in ("RssAnon", "RssFile")}  # fmt: skip
    return kb["RssAnon"] / 1024, kb["RssFile"] / 1024


def warm(llama: Any) -> None:
    """One tiny call (first-use costs), then an empty context (no prefix left to reuse)."""
    llama.create_chat_completion([{"role": "user", "content": "hi"}], max_tokens=1)
    llama.reset()


def compare_paths(path: Path, args: argparse.Namespace) -> None:
    import llama_cpp

    from counselsim.config import Engine, RunConfig
    from counselsim.errors import StructuredOutputError
    from counselsim.llm.local import ChatLlamaCpp, _to_openai
    from counselsim.llm.structured import LLM

    requests = {"zh-think": ("zh", "think", 4), "en-client": ("en", "client", 3)}
    cases = dict(zip(requests, capture(list(requests.values())), strict=True))
    threads = os.cpu_count()
    raw = llama_cpp.Llama(model_path=str(path), n_ctx=args.n_ctx, n_threads=threads,
                          n_threads_batch=threads, verbose=False)  # fmt: skip
    chat = ChatLlamaCpp(model_path=path, n_ctx=args.n_ctx)  # n_threads None -> os.cpu_count()
    chat.load()
    for llama in (raw, chat._llama):
        warm(llama)
    llm = LLM(chat_model=chat, engine=Engine.EMBEDDED, model_id=args.model, max_repairs=0)

    async def one(which: str, msgs: list[Any], schema: Any, s: Any) -> dict[str, Any]:
        perf(raw if which == "raw" else chat, reset=True)
        before, t0 = llm.usage.completion_tokens, time.perf_counter()
        if which == "raw":
            out = raw.create_chat_completion(_to_openai(msgs), **llm._kwargs(s, 1, schema))
            n, text = out["usage"]["completion_tokens"], out["choices"][0]["message"]["content"]
            try:  # parsed as counselsim parses it
                key = schema.model_validate(json.loads(text, strict=False)).model_dump_json()
            except ValueError:
                key = "<invalid>"
        else:
            try:
                key = (await llm.structured(msgs, schema, s, 1, "b", "{error}")).model_dump_json()
            except StructuredOutputError:
                key = "<invalid>"
            n = llm.usage.completion_tokens - before
        wall, p = time.perf_counter() - t0, perf(raw if which == "raw" else chat)
        inside = (p.t_p_eval_ms + p.t_eval_ms) / 1000
        return {"n": n, "wall": wall, "outside": wall - inside, "p_tok": p.n_p_eval, "key": key}

    async def run_all() -> dict[str, dict[str, list[dict[str, Any]]]]:
        res: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for i, (name, (msgs, schema, step)) in enumerate(cases.items()):
            s = RunConfig().sampling[step]
            s = s.model_copy(update={"temperature": 0.0, "max_tokens": args.max_tokens})
            res[name] = {"raw": [], "counselsim": []}
            for r in range(args.repeats):
                for which in ("raw", "counselsim")[:: 1 if (i + r) % 2 == 0 else -1]:
                    res[name][which].append(await one(which, msgs, schema, s))
        return res

    print(f"\n1. tokens/s, raw vs counselsim ({args.repeats} calls per prompt and path, "
          f"max_tokens={args.max_tokens}; wall time includes prompt evaluation)\n")  # fmt: skip
    head = f"{'prompt':<10}{'p.tok':>6}{'raw tok':>8}{'raw s':>7}{'raw tok/s':>10}{'cs tok':>7}"
    head += f"{'cs s':>7}{'cs tok/s':>9}{'cs/raw':>7}{'ms outside llama.cpp':>22}{'same':>5}"
    print(head + "\n" + "-" * len(head))
    res = asyncio.run(run_all())
    res["all"] = {w: [c for r in res.values() for c in r[w]] for w in ("raw", "counselsim")}
    for name, r in res.items():
        (rn, rw, ro), (cn, cw, co) = (
            [sum(c[k] for c in r[w]) for k in ("n", "wall", "outside")] for w in r
        )
        out = f"raw {ro / len(r['raw']) * 1000:.0f} / cs {co / len(r['counselsim']) * 1000:.0f}"
        same = all(a["key"] == b["key"] for a, b in zip(r["raw"], r["counselsim"], strict=True))
        p_tok = r["raw"][0]["p_tok"] if name != "all" else ""
        print(f"{name:<10}{p_tok:>6}{rn:>8}{rw:>7.1f}{rn / rw:>10.2f}{cn:>7}{cw:>7.1f}"
              f"{cn / cw:>9.2f}{(cn / cw) / (rn / rw):>7.3f}{out:>22}"
              f"{'yes' if same else 'NO':>5}")  # fmt: skip
    print("p.tok: prompt tokens the first raw call evaluated. ms outside llama.cpp: wall minus"
          "\nllama.cpp's prompt-eval and decode time per call (sampling incl. JSON grammar, chat"
          "\ntemplate; for counselsim also LangChain, thread hop, validation). same: raw and"
          "\ncounselsim agree call by call (repeats can differ: a reused prefix changes batching)."
          "\n<invalid> outputs are JSON cut short by max_tokens, with no repair call.")  # fmt: skip
    raw.close()
    chat._llama.close()


def per_role(path: Path, args: argparse.Namespace) -> None:
    from counselsim.llm.local import ChatLlamaCpp

    n = args.exchanges
    seq = [(role, k) for k in range(n) for role in ("think", "client")]
    prompts = capture([("en", role, 2 * k + (role == "client")) for role, k in seq])
    shared, counselor, client = (ChatLlamaCpp(model_path=path, n_ctx=args.n_ctx) for _ in range(3))
    rss = [rss_mb()]
    for c in (shared, counselor, client):
        c.load()
        warm(c._llama)
        rss.append(rss_mb())
    own = {"think": counselor, "client": client}
    print(f"\n2. per-role contexts: {n} exchanges of counselor-think + client-reply prompts "
          f"(en), max_tokens={args.seq_max_tokens}\n")  # fmt: skip
    head = f"{'#':>2} {'prompt':<8}{'tokens':>7}{'shared: evaluated':>18}{'s':>6}"
    head += f"{'per role: evaluated':>20}{'s':>6}"
    print(head + "\n" + "-" * len(head))
    got: dict[str, list[tuple[int, float, float]]] = {"shared": [], "role": []}
    for i, ((role, k), (msgs, _schema, _step)) in enumerate(zip(seq, prompts, strict=True)):
        for which in ("shared", "role")[:: 1 if i % 2 == 0 else -1]:
            chat = shared if which == "shared" else own[role]
            perf(chat, reset=True)
            t0 = time.perf_counter()
            msg = chat.invoke(msgs, temperature=0.0, max_tokens=args.seq_max_tokens, seed=1)
            wall, p = time.perf_counter() - t0, perf(chat)
            got[which].append((p.n_p_eval, p.t_p_eval_ms / 1000, wall))
        tokens = msg.response_metadata["usage"]["prompt_tokens"]
        (se, _, sw), (re_, _, rw) = got["shared"][-1], got["role"][-1]
        print(f"{i + 1:>2} {role:<6}{k + 1:>2}{tokens:>7}{se:>18}{sw:>6.1f}{re_:>20}{rw:>6.1f}")
    print("-" * len(head))
    print(f"\n{'shared / per role':<15}{'prompt tokens evaluated':>26}{'prompt eval s':>22}"
          f"{'wall s':>22}")  # fmt: skip
    for label, sel in ((f"exchanges 1-{n}", slice(None)), (f"exchanges 2-{n}", slice(2, None))):
        sums = [[sum(x) for x in zip(*got[w][sel], strict=True)] for w in got]
        fmt = [".0f", ".1f", ".1f"]
        cells = [f"{a:{f}} / {b:{f}} = {a / b:.2f}x" for f, a, b in zip(fmt, *sums, strict=True)]
        print(f"{label:<15}{cells[0]:>26}{cells[1]:>22}{cells[2]:>22}")
    print("prompt eval s: llama.cpp's own prompt-evaluation time; wall: whole call")
    rss.append(rss_mb())
    grow = [f"+{b[0] - a[0]:.0f} / +{b[1] - a[1]:.0f}" for a, b in itertools.pairwise(rss[:4])]
    print(f"RSS private / file-backed MB per ChatLlamaCpp after load + 1 token: {', '.join(grow)}"
          f"\n(private: repacked weights, KV cache, buffers; file-backed: the mmapped GGUF, "
          f"counted per\nmapping, shared page cache). After part 2: {rss[4][0]:.0f} / "
          f"{rss[4][1]:.0f} MB for all three.")  # fmt: skip


def main() -> None:
    from counselsim.llm.weights import DEFAULT_MODEL, PACKAGED_MODELS, ensure_packaged_model

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model", default=DEFAULT_MODEL, choices=sorted(PACKAGED_MODELS))
    ap.add_argument("--n-ctx", type=int, default=4096)
    ap.add_argument("--max-tokens", type=int, default=48, help="part 1: tokens per call")
    ap.add_argument("--repeats", type=int, default=2, help="part 1: calls per prompt and path")
    ap.add_argument("--exchanges", type=int, default=3, help="part 2: exchanges (max 3)")
    ap.add_argument("--seq-max-tokens", type=int, default=16, help="part 2: tokens per call")
    ap.add_argument("--skip", choices=["1", "2"], help="skip part 1 or part 2")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    path = ensure_packaged_model(args.model)
    print(f"model {args.model}, n_ctx={args.n_ctx}, threads={os.cpu_count()}")
    t0 = time.perf_counter()
    if args.skip != "1":
        compare_paths(path, args)
    if args.skip != "2":
        per_role(path, args)
    print(f"\ntotal {time.perf_counter() - t0:.0f}s")


if __name__ == "__main__":
    main()
