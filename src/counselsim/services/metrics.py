"""``counselsim metrics``: corpus metrics of runs and corpora, side by side."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from counselsim.runs import Summary, refuse_same_path


@dataclass(frozen=True)
class MetricsOptions:
    """``counselsim metrics``: the inputs (a path, or ``FORMAT:PATH`` for an importer
    format; the path may be a Hugging Face dataset ``hf:NAME[:SPLIT]``), the output file, the
    format of every input, the equal-D subsampling, and whether identifiers are counted (the
    slowest measure on a large corpus)."""

    inputs: tuple[str, ...]
    out: Path
    fmt: str | None = None
    equal_d: int | None = None
    draws: int = 10
    seed: int = 0
    identifiers: bool = True


class InputRow(BaseModel):
    """One input's headline figures (``None``: not measurable, e.g. no turns of a role)."""

    model_config = ConfigDict(extra="forbid")

    input: str
    dialogues: int
    avg_turns: float | None
    ldd_client: float | None
    ldd_counselor: float | None
    distinct2_client: float | None
    distinct2_counselor: float | None
    minimal_response_rate: float | None


class EqualDRow(BaseModel):
    """LDD at an equal number of dialogues per input: mean and sd over the draws."""

    model_config = ConfigDict(extra="forbid")

    input: str
    d: int
    draws: int
    client_mean: float
    client_sd: float
    counselor_mean: float
    counselor_sd: float


class MetricsSummary(Summary):
    """What ``metrics`` wrote (``metrics.json``, every measure) and its headline rows."""

    out: Path
    rows: list[InputRow]
    equal_d: list[EqualDRow]


def _row(name: str, block: dict[str, Any]) -> InputRow:
    ldd, dist = block["ldd"], block["distinct"]
    return InputRow(
        input=name,
        dialogues=block["dialogues"],
        avg_turns=block["avg_turns"],
        ldd_client=ldd["client"]["ldd"],
        ldd_counselor=ldd["counselor"]["ldd"],
        distinct2_client=dist["client"]["2"],
        distinct2_counselor=dist["counselor"]["2"],
        minimal_response_rate=block["minimal_response"]["rate"],
    )


def summarize(result: dict[str, Any], out: Path) -> MetricsSummary:
    """The headline rows of a ``metrics.json`` result."""
    blocks = result.get("inputs") or [{"input": ", ".join(result["paths"]), **result}]
    eq: dict[str, Any] = result.get("equal_d") or {}
    equal_d = [
        EqualDRow(
            input=b["input"],
            d=eq["d"],
            draws=eq["draws"],
            client_mean=b["client"]["ldd"]["mean"],
            client_sd=b["client"]["ldd"]["sd"],
            counselor_mean=b["counselor"]["ldd"]["mean"],
            counselor_sd=b["counselor"]["ldd"]["sd"],
        )
        for b in eq.get("inputs", [])
    ]
    return MetricsSummary(out=out, rows=[_row(b["input"], b) for b in blocks], equal_d=equal_d)


def _source(spec: str, fmt: str | None) -> tuple[Path, str | None]:
    """An input's path and format: ``FORMAT:PATH`` for a known importer format, else the
    path with the format given for every input."""
    from counselsim.importers.registry import IMPORTERS

    prefix, _, rest = spec.partition(":")
    if rest and prefix in IMPORTERS:
        return Path(rest), prefix
    return Path(spec), fmt


def metrics(opts: MetricsOptions) -> MetricsSummary:
    """Read every input, measure, write ``metrics.json``.

    Raises:
        MetricsError: an unreadable or empty input, an undetectable format.
        ConfigError: ``--out`` is one of the inputs.
        OutputError: the output cannot be written.
    """
    from counselsim.metrics import compute_metrics, load_input, write_metrics

    sources = [_source(spec, opts.fmt) for spec in opts.inputs]
    refuse_same_path(opts.out, *(path for path, _ in sources))
    loaded = [(str(path), load_input(path, fmt)) for path, fmt in sources]
    result = compute_metrics(
        loaded,
        equal_d=opts.equal_d,
        draws=opts.draws,
        seed=opts.seed,
        identifiers=opts.identifiers,
    )
    write_metrics(result, opts.out)
    return summarize(result, opts.out)
