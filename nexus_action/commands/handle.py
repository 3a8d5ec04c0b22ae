"""Slash commands from issue_comment events: gate, acknowledge, act."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TextIO

from nexus_action.settings import Settings


def run_command(args: argparse.Namespace, env: Mapping[str, str], settings: Settings, out: TextIO) -> int:
    raise NotImplementedError("slash commands land with issue 8")
