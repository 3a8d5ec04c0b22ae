"""Write nexus_action/schemas/config.schema.json from the settings table (`make golden` runs it).

The schema describes `.github/nexus.yml`; tests/config/test_settings.py fails when it falls out of step with
OPTIONS. `--check` exits 1 instead of writing when the committed file is stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nexus_action.classify.model import DOMAINS  # noqa: E402
from nexus_action.config.settings import OPTIONS, Option  # noqa: E402

SCHEMA_PATH = ROOT / "nexus_action" / "schemas" / "config.schema.json"


def _property(option: Option) -> dict[str, Any]:
    prop: dict[str, Any] = {"description": option.description}
    if option.kind == "bool":
        prop["type"] = ["boolean", "string"]
    elif option.kind in ("int", "float"):
        # Strings are allowed (YAML users quote numbers); load_settings checks them with the same bounds.
        prop["type"] = ["integer", "string"] if option.kind == "int" else ["number", "string"]
        if option.minimum is not None:
            prop["minimum"] = option.minimum
        if option.maximum is not None:
            prop["maximum"] = option.maximum
    elif option.kind == "enum":
        prop["enum"] = list(option.choices)
    elif option.kind == "list":
        prop["type"] = ["array", "string"]
        prop["items"] = {"type": "string"}
    elif option.kind == "map":
        prop["type"] = "object"
        prop["propertyNames"] = {"enum": list(DOMAINS)}
        prop["additionalProperties"] = {"type": "string", "minLength": 1}
    else:
        prop["type"] = "string"
    return prop


def build_schema() -> dict[str, Any]:
    properties = {o.attr: _property(o) for o in OPTIONS if o.in_config}
    properties["rules"] = {
        "description": "Extra classification rules (see docs/configuration.md); checked by the rules schema.",
        "type": "array",
        "items": {"type": "object"},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/nexus-autofix/nexus-autofix/schemas/config.schema.json",
        "title": "NEXUS AutoFix repository config (.github/nexus.yml)",
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
    }


def render() -> str:
    return json.dumps(build_schema(), indent=2) + "\n"


def main(argv: list[str]) -> int:
    if "--check" in argv:
        if SCHEMA_PATH.read_text(encoding="utf-8") != render():
            print(f"{SCHEMA_PATH.relative_to(ROOT)} is stale: run python scripts/generate_config_schema.py")
            return 1
        return 0
    SCHEMA_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
