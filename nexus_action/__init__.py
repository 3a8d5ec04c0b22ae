"""NEXUS AutoFix: classify failed CI jobs, keep one sticky report, and never lose it.

Library entry point: `classify_log`. Importing this package stays cheap: it does not import
PyGithub, requests or jsonschema (the CLI's classify path depends on that).
"""

from __future__ import annotations

from nexus_action.classify import classify_log
from nexus_action.classify.model import Blocker, Classification, Evidence
from nexus_action.errors import NexusError

__all__ = ["Blocker", "Classification", "Evidence", "NexusError", "classify_log"]
__version__ = "0.1.0"
