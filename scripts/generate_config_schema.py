"""Write nexus_action/schemas/config.schema.json from the settings table (`make golden` runs it).

The schema describes `.github/nexus.yml`; a test fails when it falls out of step with OPTIONS.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nexus_action.settings import DOMAINS, OPTIONS, Option  # noqa: E402

SCHEMA_PATH = ROOT / "nexus_action" / "schemas" / "config.schema.json"


def _property(option: Option) -> dict[str, Any]:
    prop: dict[str, Any] = {"description": option.description}
    if option.kind == "bool":
        prop["type"] = ["boolean", "string"]
    elif option.kind in ("int", "float"):
        prop["type"] = ["integer", "string"] if option.kind == "int" else ["number", "string"]
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


def main() -> None:
    SCHEMA_PATH.write_text(json.dumps(build_schema(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {SCHEMA_PATH.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
