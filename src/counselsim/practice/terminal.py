"""Practice in the terminal (rich): the client's reply printed as it is generated.

Commands: ``/hint`` (hints on your last turn), ``/formulate`` (fill in the case
formulation), ``/end [closing words]`` (end the session and read the debrief), ``/help``.
End of input (Ctrl-D) leaves the session as it is: the same command resumes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from counselsim.errors import PracticeError
from counselsim.personas.models import RiskFlag
from counselsim.practice.models import Debrief, Event, Formulation, SessionStatus
from counselsim.practice.session import PracticeSession

HELP = (
    "Type what you say to the client and press Enter.\n"
    "  /hint              hints on your last turn\n"
    "  /formulate         fill in your case formulation (compared in the debrief)\n"
    "  /end [words]       end the session (optionally with closing words) and read the debrief\n"
    "  /help              this help\n"
    "Ctrl-D leaves the session open; run the same command to resume it."
)
FIELDS = ("presenting_problem", "core_beliefs", "intermediate_beliefs", "automatic_thoughts")

Reader = Callable[[str], str]


class Terminal:
    """One session in the terminal; ``read`` asks the trainee for a line (EOFError to leave)."""

    def __init__(self, session: PracticeSession, console: Console, read: Reader) -> None:
        self.session, self.console, self.read = session, console, read

    async def ask(self, prompt: str) -> str | None:
        try:
            return await asyncio.to_thread(self.read, prompt)
        except EOFError:
            return None

    async def show(self, events: AsyncIterator[Event]) -> SessionStatus | None:
        """Print a turn's events; the client's reply as it streams."""
        c, status, streaming = self.console, None, False
        for_client = "[bold magenta]client>[/] "
        async for ev in events:
            if ev.type == "token":
                if not streaming:
                    c.print(for_client, end="")
                    streaming = True
                c.print(escape(ev.text), end="", highlight=False, soft_wrap=True)
            elif ev.type == "reset":
                c.print("\n[dim](the client starts again)[/]")
                streaming = False
            elif ev.type == "reply":
                if streaming:
                    c.print()
                else:  # nothing streamed (a resumed reply): print it whole
                    c.print(for_client + escape(ev.turn.text), highlight=False)
                streaming = False
            elif ev.type == "hint":
                for h in ev.hints:
                    c.print(f"[cyan]hint:[/] {escape(h.text)}", highlight=False)
            elif ev.type == "alert" and ev.alert is not None:
                a = ev.alert
                c.print(f"[bold red]risk:[/] {escape(a.text)}", highlight=False)
                for step in a.protocol:
                    c.print(f"  - {escape(step)}", highlight=False)
                c.print("  " + escape(" | ".join(a.resources)), style="red", highlight=False)
            elif ev.type == "error":
                c.print(f"\n[bold red]{escape(ev.message)}[/]", highlight=False)
            elif ev.type == "done":
                status = ev.status
        return status

    async def formulate(self) -> None:
        """Ask for each field of the formulation; Enter keeps the current text."""
        store = self.session.room.store
        current = store.formulation(self.session.id)
        data = current.model_dump()
        for name in (*FIELDS, "emotions"):
            got = await self.ask(f"{name.replace('_', ' ')} [{data[name]}]: ")
            if got:
                data[name] = got.strip()
        risks = ", ".join(r.value for r in RiskFlag)
        got = await self.ask(f"risk (comma-separated: none, {risks}): ")
        if got is not None and got.strip():
            picked = [r.strip() for r in got.split(",") if r.strip() and r.strip() != "none"]
            data["risk"] = [r for r in picked if r in {f.value for f in RiskFlag}]
        await self.session.save_formulation(Formulation.model_validate(data))
        self.console.print("[green]formulation saved[/]")

    async def run(self) -> Debrief | None:
        """The session loop; returns the debrief once the session has ended."""
        s, c = self.session, self.console
        view = await s.view()
        p = view.persona
        c.print(
            f"[bold]Session {view.session_index}[/] with a client ({p.kind}, {p.difficulty}; "
            f"{p.age_range or '?'}, {p.gender or '?'}, {p.occupation or '?'}). /help for commands."
        )
        for t in view.turns:
            c.print(f"[bold]{t.role.value}>[/] {escape(t.text)}", highlight=False)
        if view.status in (SessionStatus.CLIENT_PENDING, SessionStatus.ENDING):
            await self.show(await s.retry())
        while await s.status() is not SessionStatus.ENDED:
            line = await self.ask("you> ")
            if line is None:
                c.print("\nsession left open: run the same command to resume it")
                return None
            await self.command(line.strip())
        debrief = await s.debrief()
        print_debrief(c, debrief)
        return debrief

    async def command(self, line: str) -> None:
        """One line of input: a command, or a turn for the client."""
        s, c = self.session, self.console
        try:
            if line == "/help":
                c.print(HELP, highlight=False)
            elif line == "/hint":
                values, _ = await s.snapshot()
                for h in s.hints_now(values.get("turns", [])) or []:
                    c.print(f"[cyan]hint:[/] {escape(h.text)}", highlight=False)
            elif line == "/formulate":
                await self.formulate()
            elif line == "/end" or line.startswith("/end "):
                c.print("[dim]writing notes, scores and the debrief...[/]")
                await self.show(await s.end(line[4:].strip()))
            elif line.startswith("/"):
                c.print(f"unknown command {escape(line.split()[0])}: /help lists them")
            else:
                status = await self.show(await s.say(line))
                if status is SessionStatus.CLIENT_PENDING:
                    c.print("[dim]retrying the client's reply...[/]")
                    await self.show(await s.retry())
        except PracticeError as exc:
            c.print(f"[yellow]{escape(str(exc))}[/]", highlight=False)


def print_debrief(c: Console, d: Debrief) -> None:
    """The debrief, as tables."""
    c.rule(f"Debrief: session {d.session_index} ({d.profile_id})")
    c.print(f"[yellow]{escape(d.judge.note)}[/]", highlight=False)
    scores = Table(title=f"rubric {d.scores.rubric}: {d.scores.status}")
    for col in ("item", "score", "rationale"):
        scores.add_column(col)
    for s in d.scores.scores:
        scores.add_row(s.dimension, f"{s.score:g}/{s.max:g}", s.rationale)
    c.print(scores if d.scores.scores else f"not scored: {d.scores.error}")
    ch = d.checks
    c.print(
        f"risk cues {len(ch.risk_cues)}, missed crises {ch.missed_crisis}, open questions "
        f"{ch.open_questions}, closed {ch.closed_questions}, advice before exploration "
        f"{len(ch.advice_before_exploration)}",
        highlight=False,
    )
    facts = Table(title="hidden facts")
    for col in ("fact", "ready to tell", "drawn out"):
        facts.add_column(col)
    for h in d.hidden_facts:
        facts.add_row(h.content, "yes" if h.offered else "no", "yes" if h.uncovered else "no")
    c.print(facts)
    form = Table(title="your formulation beside the profile's")
    for col in ("field", "yours", "reference (found?)"):
        form.add_column(col)
    for f in d.formulation:
        refs = "; ".join(
            f"{r} ({'yes' if m else 'no'})" for r, m in zip(f.reference, f.matched, strict=True)
        )
        form.add_row(f.field.replace("_", " "), f.yours, refs)
    c.print(form)
    mix = ", ".join(f"{k} {v}" for k, v in d.strategy_mix.items())
    c.print(f"strategy mix: {mix}", highlight=False)
    c.print(f"transcript: {', '.join(d.transcript.values())} (under the practice directory)")
