"""The run report: one self-contained HTML page with inline SVG figures."""

from counselsim.report.build import build_report, write_report

__all__ = ["build_report", "write_report"]
