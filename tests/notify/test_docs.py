"""docs/webhooks.md stays true: its JSON example validates, and it documents every field of the schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema

from nexus_action.notify.routes import PAYLOAD_FORMATS

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs/webhooks.md").read_text(encoding="utf-8")
SCHEMA = json.loads((ROOT / "nexus_action/schemas/webhook.schema.json").read_text(encoding="utf-8"))


def _json_blocks() -> list[str]:
    return re.findall(r"```json\n(.*?)```", DOC, re.DOTALL)


def test_the_documented_json_example_validates_against_the_schema() -> None:
    examples = [json.loads(block) for block in _json_blocks() if '"schema_version"' in block]
    assert len(examples) == 1
    jsonschema.Draft202012Validator(SCHEMA).validate(examples[0])


def test_every_schema_field_is_documented() -> None:
    fields = set(SCHEMA["properties"]) | set(SCHEMA["$defs"]["job"]["properties"])
    missing = sorted(f for f in fields if f"`{f}`" not in DOC)
    assert missing == []


def test_every_format_is_documented() -> None:
    for fmt in PAYLOAD_FORMATS:
        assert f"### `{fmt}`" in DOC
