#!/usr/bin/env python3
"""Thin shim: the Action (and anyone with a checkout) runs the `nexus-autofix` CLI through this file."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nexus_action.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
