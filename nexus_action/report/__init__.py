"""The report: Snapshot -> Transition, hidden state and history -> comment, fallback issue and step summary.

Pure: plain data in, plain data out. `build_report` is the one entry point for the report flow;
`render_comment` re-renders a state after a slash command changed it.
"""

from __future__ import annotations

from nexus_action.report.build import Report, build_report
from nexus_action.report.derive import read_state
from nexus_action.report.render import render_comment
from nexus_action.report.state import REPORT_MARKER, ReportState, decode_block, encode_block, is_report_body

__all__ = [
    "REPORT_MARKER",
    "Report",
    "ReportState",
    "build_report",
    "decode_block",
    "encode_block",
    "is_report_body",
    "read_state",
    "render_comment",
]
