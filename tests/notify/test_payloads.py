from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from slack_sdk.models.blocks import Block

from nexus_action.config.settings import WEBHOOK_FORMATS
from nexus_action.errors import NexusError
from nexus_action.notify.payloads import PAYLOAD_FORMATS, build_payload, dedupe_key, payload_bytes
from nexus_action.report.model import Snapshot
from tests.notify.conftest import SNAPSHOTS, TOKEN, WEBHOOK, hostile, job, oversized, small, snapshot, typical

ROOT = Path(__file__).resolve().parents[2]
CARD_SCHEMA = json.loads((ROOT / "tests/data/schemas/adaptive-card-1.4.0.json").read_text(encoding="utf-8"))
WEBHOOK_SCHEMA = json.loads((ROOT / "nexus_action/schemas/webhook.schema.json").read_text(encoding="utf-8"))
SECRETS = (WEBHOOK,)


@pytest.fixture(scope="module")
def payloads() -> dict[tuple[str, str], dict[str, Any]]:
    """Every format for every snapshot, built once (the oversized one takes a moment)."""
    built = {}
    for name, make in SNAPSHOTS.items():
        snap = make()
        for fmt in PAYLOAD_FORMATS:
            built[(name, fmt)] = build_payload(fmt, snap, secrets=SECRETS, transition_lines=["new: clippy"])
    return built


CASES = sorted(SNAPSHOTS)


def test_formats_match_the_settings_table() -> None:
    assert PAYLOAD_FORMATS == WEBHOOK_FORMATS


# --- slack_blocks ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_slack_blocks_parse_and_validate_with_slack_sdk(payloads: dict[tuple[str, str], Any], case: str) -> None:
    payload = payloads[(case, "slack_blocks")]
    assert payload["text"]  # the plain fallback notifications show
    for raw in payload["blocks"]:
        block = Block.parse(raw)
        assert block is not None, f"slack_sdk does not know block type {raw['type']}"
        block.validate_json()  # raises SlackObjectFormationError on a broken block
        # slack_sdk drops keys it does not model; a round trip that loses one means Slack would too.
        assert block.to_dict() == raw


@pytest.mark.parametrize("case", CASES)
def test_slack_blocks_stay_within_slack_limits(payloads: dict[tuple[str, str], Any], case: str) -> None:
    payload = payloads[(case, "slack_blocks")]
    blocks = payload["blocks"]
    assert len(blocks) <= 50
    # msg_blocks_too_long starts around 13k characters: stay well under.
    assert len(json.dumps(blocks, ensure_ascii=False)) < 11_000
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert "text" not in block or len(block["text"]["text"]) <= 3000
            assert len(block.get("fields", [])) <= 10
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
        if block["type"] == "actions":
            assert all(len(e["text"]["text"]) <= 75 and len(e["url"]) <= 3000 for e in block["elements"])
    assert len(payload["text"]) <= 1000 + 100  # entities may lengthen the clipped fallback a little


def test_slack_layout_has_header_top_blocker_fields_buttons_and_context(payloads: dict[tuple[str, str], Any]) -> None:
    blocks = payloads[("typical", "slack_blocks")]["blocks"]
    types = [b["type"] for b in blocks]
    assert types[0] == "header"
    assert blocks[0]["text"]["text"] == "❌ CI failed in octo-org/web-app"
    assert types[-1] == "context"
    top = next(b for b in blocks if b["type"] == "section" and "Top blocker" in b.get("text", {}).get("text", ""))
    assert "identical blocks" in top["text"]["text"]
    fields = [f["text"] for b in blocks if b["type"] == "section" for f in b.get("fields", [])]
    assert len(fields) == 4
    assert "frontend · typecheck · Blaze" in fields[1]
    buttons = next(b for b in blocks if b["type"] == "actions")["elements"]
    assert [e["text"]["text"] for e in buttons] == ["Workflow run", "Failing job log", "Commit aaaaaaa"]
    assert (
        buttons[1]["url"] == "https://github.com/octo-org/web-app/actions/runs/9001/job/1#step:4:1"
    )  # step-relative line (none known: 1)
    assert "new: clippy" in json.dumps(blocks)


def test_oversized_slack_message_lists_fewer_jobs_and_counts_the_rest(payloads: dict[tuple[str, str], Any]) -> None:
    blocks = payloads[("oversized", "slack_blocks")]["blocks"]
    fields = [f for b in blocks if b["type"] == "section" for f in b.get("fields", [])]
    assert 1 <= len(fields) <= 30
    assert f"+{500 - len(fields)} more failed jobs" in blocks[-1]["elements"][0]["text"]


def test_slack_escapes_control_characters_and_keeps_untrusted_text_in_code(
    payloads: dict[tuple[str, str], Any],
) -> None:
    text = json.dumps(payloads[("hostile", "slack_blocks")], ensure_ascii=False)
    for raw in ("<!channel>", "<!here>", "<!everyone>", "<@U123>", "<script>"):
        assert raw not in text
    assert "&lt;script&gt;" in text
    assert "&amp; done" in text
    # The job name is inline code: its `*[click](...)*` cannot become bold or a link.
    assert "`*[click](https://evil.example)* &lt;\u200b!here&gt; ˋjobˋ`" in text
    # A blocker's own ``` cannot close the code block it is shown in (the plain `text` fallback is not mrkdwn
    # when blocks are present: Slack uses it for notifications only).
    assert "```fence```" not in json.dumps(payloads[("hostile", "slack_blocks")]["blocks"], ensure_ascii=False)


# --- teams_adaptive -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_adaptive_card_validates_against_the_official_1_4_schema(
    payloads: dict[tuple[str, str], Any], case: str
) -> None:
    payload = payloads[(case, "teams_adaptive")]
    assert payload["type"] == "message"
    (attachment,) = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["version"] == "1.4"
    jsonschema.Draft6Validator(CARD_SCHEMA).validate(card)


def test_the_card_schema_really_rejects_a_broken_card() -> None:
    card = build_payload("teams_adaptive", small())["attachments"][0]["content"]
    card["body"][0]["colour"] = "Attention"  # a misspelt property
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft6Validator(CARD_SCHEMA).validate(card)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("fmt", ["teams_adaptive", "teams_messagecard"])
def test_teams_messages_stay_under_28_kb(payloads: dict[tuple[str, str], Any], case: str, fmt: str) -> None:
    assert len(payload_bytes(payloads[(case, fmt)])) < 28 * 1024


def test_oversized_card_keeps_top_blocker_and_counts_hidden_jobs(payloads: dict[tuple[str, str], Any]) -> None:
    text = json.dumps(payloads[("oversized", "teams_adaptive")], ensure_ascii=False)
    assert "**Top blocker**" in text
    assert "more failed jobs in the workflow run" in text


def test_adaptive_card_escapes_markdown_in_untrusted_text(payloads: dict[tuple[str, str], Any]) -> None:
    card = payloads[("hostile", "teams_adaptive")]["attachments"][0]["content"]
    text = json.dumps(card, ensure_ascii=False)
    assert "[click](https://evil" not in text
    assert "\\\\[click\\\\](https://evil.example)" in text  # JSON-encoded `\[click\](...)`
    assert "feat/\\\\*x\\\\*\\\\_y\\\\_" in text
    assert [a["title"] for a in card["actions"]][:2] == ["Workflow run", "Failing job log"]


# --- teams_messagecard ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_messagecard_has_the_connector_fields(payloads: dict[tuple[str, str], Any], case: str) -> None:
    card = payloads[(case, "teams_messagecard")]
    assert card["@type"] == "MessageCard"
    assert card["@context"] == "https://schema.org/extensions"
    assert card["summary"]
    assert card["themeColor"] == "D70000"
    assert card["sections"]
    assert card["potentialAction"]
    for action in card["potentialAction"]:
        assert action["@type"] == "OpenUri"
        assert action["targets"][0]["uri"].startswith("https://github.com/octo-org/web-app/")


def test_messagecard_turns_html_into_entities(payloads: dict[tuple[str, str], Any]) -> None:
    text = json.dumps(payloads[("hostile", "teams_messagecard")], ensure_ascii=False)
    assert "<script>" not in text.replace('"summary"', "")[text.index('"sections"') :]
    assert "&lt;script&gt;" in text


# --- json ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_json_payload_validates_against_its_schema(payloads: dict[tuple[str, str], Any], case: str) -> None:
    jsonschema.Draft202012Validator.check_schema(WEBHOOK_SCHEMA)
    jsonschema.Draft202012Validator(WEBHOOK_SCHEMA).validate(payloads[(case, "json")])


def test_json_payload_content(payloads: dict[tuple[str, str], Any]) -> None:
    data = payloads[("typical", "json")]
    assert data["schema"] == "nexus-autofix/webhook"
    assert data["schema_version"] == 1
    assert data["event"] == "ci.failed"
    assert data["failed_job_count"] == 4
    assert data["omitted_jobs"] == 0
    assert data["top_blocker"]["job"] == "clippy"
    assert data["top_blocker"]["location"] == "src/lib.rs:12"
    assert data["run"] == {"id": 9001, "attempt": 2, "url": "https://github.com/octo-org/web-app/actions/runs/9001"}
    assert [j["agent"] for j in data["failed_jobs"]] == ["Rex", "Blaze", "Atlas", "Atlas"]
    assert data["pull_request"] is None
    assert data["transition"] == ["new: clippy"]


def test_oversized_json_lists_100_jobs_and_counts_the_rest(payloads: dict[tuple[str, str], Any]) -> None:
    data = payloads[("oversized", "json")]
    assert len(data["failed_jobs"]) == 100
    assert data["omitted_jobs"] == 400
    assert all(len(j["blocker"]) <= 1000 for j in data["failed_jobs"])
    assert len(data["top_blocker"]["blocker"]) <= 2000


def test_schema_rejects_a_payload_missing_its_dedupe_key() -> None:
    data = build_payload("json", small())
    del data["dedupe_key"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(WEBHOOK_SCHEMA).validate(data)


# --- all formats ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", PAYLOAD_FORMATS)
def test_no_secret_leaves_in_any_format(fmt: str) -> None:
    text = payload_bytes(build_payload(fmt, hostile(), secrets=SECRETS)).decode("utf-8")
    assert TOKEN not in text
    assert WEBHOOK not in text
    assert "/services/T0AAAAAAA" not in text
    assert "@octocat" not in text  # a mention would ping; it carries a zero-width space now


@pytest.mark.parametrize("fmt", PAYLOAD_FORMATS)
def test_a_run_secret_is_masked_even_in_job_names(fmt: str) -> None:
    snap = snapshot(job("deploy with hunter2-secret-value", "failed"))
    text = payload_bytes(build_payload(fmt, snap, secrets=["hunter2-secret-value"])).decode("utf-8")
    assert "hunter2-secret-value" not in text
    assert "deploy with ***" in text.replace("\\", "")  # Teams escapes the mask as \*\*\*


@pytest.mark.parametrize("fmt", PAYLOAD_FORMATS)
def test_every_format_carries_the_dedupe_key(fmt: str) -> None:
    snap = typical()
    assert dedupe_key(snap) in payload_bytes(build_payload(fmt, snap)).decode("utf-8").replace("\\", "")


@pytest.mark.parametrize("fmt", PAYLOAD_FORMATS)
def test_headline_override_is_used_and_redacted(fmt: str) -> None:
    text = payload_bytes(build_payload(fmt, small(), headline=f"Nightly broke {TOKEN}")).decode("utf-8")
    assert "Nightly broke ***" in text.replace("\\", "")
    assert TOKEN not in text


def test_link_with_a_token_in_it_is_left_out() -> None:
    snap = snapshot(job("a", "b"), run_url="https://ci.example/run?token=abcdef123456")
    data = build_payload("json", snap)
    assert all("token=" not in link["url"] for link in data["links"])
    assert data["run"]["url"] == "https://github.com/octo-org/web-app/actions/runs/9001"


def test_recovery_snapshot_builds_a_green_message() -> None:
    snap = snapshot()
    data = build_payload("json", snap)
    assert data["event"] == "ci.recovered"
    assert data["failed_jobs"] == []
    assert data["top_blocker"] is None
    assert build_payload("teams_messagecard", snap)["themeColor"] == "2EB886"
    assert build_payload("slack_blocks", snap)["blocks"][0]["text"]["text"].startswith("✅")


def test_unknown_format_is_a_config_error() -> None:
    with pytest.raises(NexusError) as err:
        build_payload("slack", small())
    assert err.value.code == "NEXUS-CONFIG-INVALID"
    assert "slack_blocks" in err.value.message


# --- dedupe_key -----------------------------------------------------------------------------------------------


def test_dedupe_key_is_stable_across_job_order_and_volatile_numbers() -> None:
    a = snapshot(job("x", "error at 0x1f after 12ms", job_id=1), job("y", "boom", job_id=2))
    b = snapshot(job("y", "boom", job_id=9), job("x", "error at 0x2e after 30ms", job_id=8))
    assert dedupe_key(a) == dedupe_key(b)
    assert dedupe_key(a).startswith("nexus:v1:octo-org/web-app:9001:2:")


@pytest.mark.parametrize(
    "change",
    [{"run_attempt": 3}, {"run_id": 9002}, {"repository": "octo-org/other"}],
)
def test_dedupe_key_changes_with_repo_run_and_attempt(change: dict[str, Any]) -> None:
    base = small()
    assert dedupe_key(base) != dedupe_key(snapshot(*base.jobs, **change))


def test_dedupe_key_changes_with_the_failures() -> None:
    assert dedupe_key(small()) != dedupe_key(snapshot(job("clippy", "a different error")))


def test_dedupe_key_of_an_odd_repository_is_still_well_formed() -> None:
    snap = Snapshot(repository="not a repo\n", run_id=None, run_attempt=1, head_sha="", branch="", created_at="")
    assert dedupe_key(snap).startswith("nexus:v1:unknown:0:1:")


def test_oversized_snapshot_really_is_oversized() -> None:
    snap = oversized()
    assert len(snap.jobs) == 500
    assert all(len(j.classification.top_blocker.text) == 10_000 for j in snap.jobs if j.classification.top_blocker)
