"""Read the YAML data files shipped inside the package (rules, secret patterns, line templates).

PyYAML's pure-Python loader takes a quarter of a second for the secret patterns alone, and every classify run
in a fresh process (each CLI call, each job) paid it; the C loader (libyaml, in PyYAML's wheels) reads the same
files several times faster. Both are safe loaders and give the same data for these files.
"""

from __future__ import annotations

from importlib import resources
from typing import Any


def load_packaged_yaml(package: str, name: str) -> Any:
    """The parsed content of the data file `name` of `package` (C-accelerated when PyYAML has libyaml)."""
    import yaml  # here, not at import time: `nexus_action.classify` stays importable before it is needed

    text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
