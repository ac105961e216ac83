"""The run report: one self-contained HTML page with inline SVG figures."""

from counselsim.report.build import VALENCE, build_report, write_report

__all__ = ["VALENCE", "build_report", "write_report"]
