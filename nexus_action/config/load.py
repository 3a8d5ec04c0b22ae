"""Settings for one invocation: the environment plus the repository config file, when there is one."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from nexus_action.config.file import read_config
from nexus_action.config.settings import OPTIONS_BY_ATTR, Settings, load_settings, raw_from_env


def settings_from(env: Mapping[str, str], config_arg: str | None) -> Settings:
    """Settings from the environment plus the config file (schema-checked) when it exists."""
    default = str(OPTIONS_BY_ATTR["config_path"].default)
    path = config_arg or raw_from_env("config_path", env) or default
    # A path someone chose must exist; only the conventional default may be absent.
    config = read_config(Path(path), required=path != default)
    return load_settings(env, config)
