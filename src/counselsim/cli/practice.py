"""``counselsim practice``: a trainee counsels a simulated client (terminal, script or web)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from counselsim.cli.app import SeedOpt, app, err, model_flags, out
from counselsim.services.options import ModelFlags

if TYPE_CHECKING:
    from counselsim.services.compose import Simulation

# practice's own options
OutOpt = Annotated[
    Path, typer.Option("--out", help="Practice directory (sessions, debriefs; reruns resume).")
]
ProfileOpt = Annotated[
    str | None,
    typer.Option("--profile", help="The client: a profile file or a persona id (en-grief)."),
]
SessionOpt = Annotated[
    int | None,
    typer.Option("--session", help="Session of the course (default: the open one, or next)."),
]
HintsOpt = Annotated[bool, typer.Option("--hints", help="Hints after every turn.")]
ScriptOpt = Annotated[
    Path | None,
    typer.Option("--script", help="Trainee turns from a file, one per line; /end finishes."),
]
FormulationOpt = Annotated[
    Path | None,
    typer.Option("--formulation", help="Your case formulation (YAML/JSON) for the debrief."),
]
WebOpt = Annotated[bool, typer.Option("--web", help="Serve the practice page instead.")]
HostOpt = Annotated[
    str, typer.Option("--host", help="Web page address (not loopback needs --token).")
]
PortOpt = Annotated[int, typer.Option("--port", min=1, max=65535, help="Web page port.")]
TokenOpt = Annotated[
    str | None,
    typer.Option("--token", help="Token the page must send.", envvar="COUNSELSIM_TOKEN"),
]
MaxTurnsOpt = Annotated[int, typer.Option("--max-turns", min=1, max=200, help="Your most turns.")]
CrisisOpt = Annotated[
    Path | None,
    typer.Option("--crisis", help="Crisis protocol and resources for your locale (YAML)."),
]


@app.command()
@model_flags
def practice(
    out_dir: OutOpt,
    profile: ProfileOpt = None,
    session: SessionOpt = None,
    hints: HintsOpt = False,
    script: ScriptOpt = None,
    formulation: FormulationOpt = None,
    web: WebOpt = False,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    token: TokenOpt = None,
    max_turns: MaxTurnsOpt = 40,
    crisis: CrisisOpt = None,
    seed: SeedOpt = None,
    *,
    flags: ModelFlags,
) -> None:
    """Practise as the counselor with a simulated client: in the terminal, from a script, or
    in a web page (--web). Writes DIR/sessions.jsonl and DIR/debrief.json."""
    from counselsim.personas.library import resolve_profile
    from counselsim.practice.room import PracticeOptions
    from counselsim.practice.service import PracticeRequest, run_practice
    from counselsim.services.compose import build_simulation

    cfg = flags.resolve(seed=seed)
    req = PracticeRequest(
        out=out_dir,
        profile=resolve_profile(profile) if profile else None,
        session=session,
        options=PracticeOptions(hints=hints, max_turns=max_turns, crisis_file=crisis),
        script=script,
        formulation=formulation,
        web=web,
        host=host,
        port=port,
        token=token,
    )

    def load() -> Simulation:
        with err.status("loading model..."):
            return build_simulation(cfg)

    run_practice(req, load, out)
