"""The repository config file (`.github/nexus.yml`): read, parse, and check against its JSON schema.

jsonschema is imported only here and only when a config file exists, to keep `classify` fast.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from nexus_action.errors import NexusError


def load_schema(name: str) -> dict[str, Any]:
    """A JSON schema shipped in nexus_action/schemas/."""
    text = resources.files("nexus_action.schemas").joinpath(name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate_config(data: Any, source: str) -> dict[str, Any]:
    if data is None:
        return {}  # an empty file: nothing to check, and no reason to import jsonschema on the classify path
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema("config.schema.json"))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = ".".join(str(p) for p in first.absolute_path) or "(top level)"
        raise NexusError(
            "NEXUS-CONFIG-INVALID",
            f"{source}: {where}: {first.message}",
            "See docs/configuration.md for the keys and values the config file accepts.",
        )
    if not isinstance(data, dict):  # the schema says object; this keeps mypy and a bad schema honest
        raise NexusError("NEXUS-CONFIG-INVALID", f"{source}: the top level must be a mapping", "")
    return data


def read_config(path: Path, *, required: bool = False) -> dict[str, Any]:
    """Parse and validate the config file; an absent optional file is an empty config."""
    if not path.is_file():
        if required:
            raise NexusError(
                "NEXUS-INPUT-INVALID",
                f"config file {str(path)!r} does not exist",
                "Pass the path of a YAML file, or leave --config out to use .github/nexus.yml when present.",
            )
        return {}
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise NexusError(
            "NEXUS-CONFIG-INVALID",
            f"config file {str(path)!r} is not valid YAML: {exc}",
            "Fix the YAML syntax (check indentation and quoting).",
        ) from None
    return validate_config(data, str(path))
