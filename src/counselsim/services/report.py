"""``counselsim report``: one self-contained HTML page of a run (see
:mod:`counselsim.report`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from counselsim.errors import DataError
from counselsim.runs import RunDir, refuse_same_path


@dataclass(frozen=True)
class ReportOptions:
    """``counselsim report``: the run, the HTML file, and a ``metrics.json`` to show
    (default: the run's own, else computed from its sessions)."""

    run_dir: Path
    out: Path
    metrics: Path | None = None


def report(opts: ReportOptions) -> Path:
    """Write the report of the run; returns its path.

    Raises:
        DataError: an unreadable run, scores or metrics file.
        ConfigError: ``--out`` is one of the inputs.
        OutputError: the page cannot be written.
    """
    from counselsim.metrics import compute_metrics, load_input
    from counselsim.report import write_report

    run = RunDir.at(opts.run_dir)
    refuse_same_path(opts.out, opts.run_dir, run.sessions_file, run.run_file, opts.metrics)
    if opts.metrics is not None:
        metric_data = run.read_json(opts.metrics)
        if metric_data is None:
            raise DataError(f"{opts.metrics}: metrics file not found")
    elif run.metrics_file.is_file():
        metric_data = None  # the report reads it
    else:
        metric_data = compute_metrics([(str(opts.run_dir), load_input(opts.run_dir))])
    write_report(opts.run_dir, opts.out, metrics=metric_data)
    return opts.out
