"""NEXUS AutoFix: classify failed CI jobs, keep one sticky report, and never lose it.

Library entry points: `classify_log`, `load_settings`, `parse_context`. Importing this package stays
cheap: it does not import PyGithub, requests or jsonschema (the CLI's classify path depends on that).
"""

from __future__ import annotations

from nexus_action.classify import classify_log
from nexus_action.classify.model import Blocker, Classification, Evidence
from nexus_action.config.settings import Settings, load_settings
from nexus_action.errors import NexusError
from nexus_action.runner.context import RunContext, parse_context

__all__ = [
    "Blocker",
    "Classification",
    "Evidence",
    "NexusError",
    "RunContext",
    "Settings",
    "classify_log",
    "load_settings",
    "parse_context",
]
__version__ = "0.1.0"
