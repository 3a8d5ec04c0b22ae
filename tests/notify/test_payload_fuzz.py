"""Seeded random snapshots full of characters that break chat formats: every payload must still be accepted."""

from __future__ import annotations

import json
import random
from pathlib import Path

import jsonschema
import pytest
from slack_sdk.models.blocks import Block

from nexus_action.notify.payloads import build_payload, payload_bytes
from tests.notify.conftest import job, snapshot

ROOT = Path(__file__).resolve().parents[2]
CARD = jsonschema.Draft6Validator(
    json.loads((ROOT / "tests/data/schemas/adaptive-card-1.4.0.json").read_text(encoding="utf-8"))
)
WEBHOOK = jsonschema.Draft202012Validator(
    json.loads((ROOT / "nexus_action/schemas/webhook.schema.json").read_text(encoding="utf-8"))
)
ALPHABET = "ab 09_*~`<>&|[]()#!@:/\\\"'\n\t\r\x00\x1b\u202e\u200béü漢字😀-+.>"


def _text(rng: random.Random, longest: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, longest)))


@pytest.mark.parametrize("seed", range(12))
def test_random_hostile_snapshots_give_valid_payloads(seed: int) -> None:
    rng = random.Random(seed)
    jobs = [
        job(_text(rng, 200), _text(rng, 4000), file=_text(rng, 80) or None, job_id=i) for i in range(rng.randint(0, 40))
    ]
    snap = snapshot(*jobs, workflow=_text(rng, 300), branch=_text(rng, 300), pr=rng.choice([None, 7]))
    transition = [_text(rng, 400) for _ in range(rng.randint(0, 30))]
    headline = rng.choice([None, "", _text(rng, 300)])

    slack = build_payload("slack_blocks", snap, transition_lines=transition, headline=headline)
    assert len(slack["blocks"]) <= 50
    for raw in slack["blocks"]:
        block = Block.parse(raw)
        assert block is not None
        block.validate_json()
        if raw["type"] == "header":
            assert raw["text"]["text"].strip()
    assert len(json.dumps(slack["blocks"], ensure_ascii=False)) < 11_000

    adaptive = build_payload("teams_adaptive", snap, transition_lines=transition, headline=headline)
    CARD.validate(adaptive["attachments"][0]["content"])
    assert len(payload_bytes(adaptive)) < 28 * 1024
    assert len(payload_bytes(build_payload("teams_messagecard", snap, transition_lines=transition))) < 28 * 1024

    WEBHOOK.validate(build_payload("json", snap, transition_lines=transition, headline=headline))
