"""Run directories: :class:`RunDir` owns their layout, logs, manifest and integrity."""

from counselsim.runs.files import claim_dir, refuse_same_path, write_atomic
from counselsim.runs.logs import CourseLog, CourseStatus, SessionLog, read_statuses
from counselsim.runs.manifest import SCHEMA_VERSION, Manifest, RunKind
from counselsim.runs.results import (
    ComparisonSummary,
    GenerateSummary,
    ItemWins,
    ScoreSummary,
    Summary,
    ValueStats,
)
from counselsim.runs.rundir import RunDir

__all__ = [
    "SCHEMA_VERSION",
    "ComparisonSummary",
    "CourseLog",
    "CourseStatus",
    "GenerateSummary",
    "ItemWins",
    "Manifest",
    "RunDir",
    "RunKind",
    "ScoreSummary",
    "SessionLog",
    "Summary",
    "ValueStats",
    "claim_dir",
    "read_statuses",
    "refuse_same_path",
    "write_atomic",
]
