from __future__ import annotations

import json
from typing import Any

import pytest

from nexus_action.config.settings import Settings, load_settings
from nexus_action.errors import NexusError
from nexus_action.notify.alert import AlertOutcome, alert_secrets, send_alert
from nexus_action.notify.payloads import dedupe_key
from nexus_action.notify.send import WebhookOutcome
from nexus_action.report.model import Snapshot
from tests.notify.conftest import TOKEN, hostile, small, snapshot

SLACK = "https://hooks.slack.com/services/T0000/B0000/" + "s" * 24
JSON_URL = "https://alerts.example.com/hooks/" + "j" * 24


class FakeSender:
    """Records posts; answers as told. The HTTP behaviour itself is tested in test_send.py."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.posts: list[tuple[str, dict[str, Any]]] = []

    def post(self, url: str, payload: dict[str, Any]) -> WebhookOutcome:
        self.posts.append((url, payload))
        ok = self.status < 300
        return WebhookOutcome(self.status, ok, ok and self.status != 202, 1, 0.0, f"HTTP {self.status}")


def settings(**env: str) -> Settings:
    base = {"AUTOFIX_ALERT_WEBHOOK_ENABLED": "true", "AUTOFIX_ALERT_WEBHOOK_URL": JSON_URL}
    base.update(env)
    return load_settings(base)


def alert(
    snap: Snapshot,
    cfg: Settings,
    *,
    comment_ok: bool = False,
    issue_ok: bool = False,
    sender: FakeSender | None = None,
    sent: set[str] | None = None,
) -> tuple[AlertOutcome, FakeSender]:
    fake = sender or FakeSender()
    outcome = send_alert(
        snap,
        cfg,
        comment_ok=comment_ok,
        issue_ok=issue_ok,
        sender=fake,
        already_sent=set() if sent is None else sent,
        secrets=(),
    )
    return outcome, fake


@pytest.mark.parametrize(
    ("on", "comment_ok", "issue_ok", "fires"),
    [
        ("fallback", False, False, True),
        ("fallback", True, False, False),
        ("fallback", False, True, False),
        ("fallback", True, True, False),
        ("always", True, True, True),
        ("always", False, False, True),
        ("never", False, False, False),
    ],
)
def test_when_the_alert_fires(on: str, comment_ok: bool, issue_ok: bool, fires: bool) -> None:
    outcome, fake = alert(small(), settings(AUTOFIX_ALERT_WEBHOOK_ON=on), comment_ok=comment_ok, issue_ok=issue_ok)
    assert outcome.sent is fires
    assert len(fake.posts) == (1 if fires else 0)
    assert outcome.delivered is fires


def test_the_default_is_fallback() -> None:
    assert settings().alert_webhook_on == "fallback"
    outcome, fake = alert(small(), settings(), comment_ok=True)
    assert not fake.posts
    assert "delivered by the PR comment" in outcome.reason


def test_disabled_means_nothing_is_sent_or_even_resolved() -> None:
    cfg = settings(AUTOFIX_ALERT_WEBHOOK_ENABLED="false", AUTOFIX_ALERT_WEBHOOK_ROUTE_MAP="garbage")
    outcome, fake = alert(small(), cfg)
    assert not outcome.sent
    assert not fake.posts
    assert "not enabled" in outcome.reason


def test_a_run_without_failures_sends_nothing() -> None:
    outcome, fake = alert(snapshot(), settings(AUTOFIX_ALERT_WEBHOOK_ON="always"))
    assert not fake.posts
    assert "no failed jobs" in outcome.reason


def test_the_same_attempt_is_never_alerted_twice() -> None:
    sent: set[str] = set()
    cfg = settings(AUTOFIX_ALERT_WEBHOOK_ON="always")
    fake = FakeSender()
    first, _ = alert(small(), cfg, sender=fake, sent=sent)
    second, _ = alert(small(), cfg, sender=fake, sent=sent)
    assert first.sent
    assert not second.sent
    assert "already alerted" in second.reason
    assert len(fake.posts) == 1
    assert sent == {dedupe_key(small())}
    # A new attempt of the same run is a new alert.
    third, _ = alert(snapshot(*small().jobs, run_attempt=3), cfg, sender=fake, sent=sent)
    assert third.sent
    assert len(fake.posts) == 2


def test_a_failed_post_still_counts_as_sent() -> None:
    """A timed-out POST may have been delivered: retrying within the run could double the alert."""
    sent: set[str] = set()
    outcome, _ = alert(small(), settings(), sender=FakeSender(500), sent=sent)
    assert outcome.sent
    assert not outcome.delivered
    assert dedupe_key(small()) in sent


def test_the_route_map_chooses_url_and_format() -> None:
    cfg = settings(AUTOFIX_ALERT_WEBHOOK_ROUTE_MAP=f"repo:octo-org/*=slack_blocks@{SLACK}")
    outcome, fake = alert(small(), cfg)
    ((url, payload),) = fake.posts
    assert url == SLACK
    assert "blocks" in payload
    assert outcome.route is not None
    assert outcome.route.pattern == "repo:octo-org/*"
    assert SLACK not in outcome.line
    assert "https://hooks.slack.com/***" in outcome.line


def test_without_a_matching_route_the_url_setting_and_format_are_used() -> None:
    cfg = settings(
        AUTOFIX_ALERT_WEBHOOK_ROUTE_MAP=f"repo:other/*={SLACK}", AUTOFIX_ALERT_WEBHOOK_FORMAT="teams_messagecard"
    )
    _, fake = alert(small(), cfg)
    ((url, payload),) = fake.posts
    assert url == JSON_URL
    assert payload["@type"] == "MessageCard"


def test_no_url_for_this_repository_is_reported_not_raised() -> None:
    cfg = settings(AUTOFIX_ALERT_WEBHOOK_URL="", AUTOFIX_ALERT_WEBHOOK_ROUTE_MAP=f"repo:other/x={SLACK}")
    outcome, fake = alert(small(), cfg)
    assert not outcome.sent
    assert not fake.posts
    assert "no webhook URL for octo-org/web-app" in outcome.reason


def test_a_malformed_map_fails_when_the_settings_are_read_before_any_alert() -> None:
    with pytest.raises(NexusError) as err:
        settings(AUTOFIX_ALERT_WEBHOOK_ROUTE_MAP="repo:octo-org/web=http://insecure.example/hook")
    assert err.value.code == "NEXUS-CONFIG-INVALID"
    assert "/hook" not in err.value.message


def test_a_dry_run_records_the_request_with_the_host_only() -> None:
    from nexus_action.channels import RecordingSender

    recorded: list[dict[str, object]] = []
    outcome, _ = alert(small(), settings(AUTOFIX_DRY_RUN="true"), sender=RecordingSender(recorded), sent=set())
    assert outcome.sent
    assert [r["path"] for r in recorded] == ["https://alerts.example.com/***"]
    assert str(recorded[0]["body_sha256"]).startswith("sha256:")
    assert "j" * 24 not in str(recorded)


def test_payloads_are_redacted_with_the_settings_secrets() -> None:
    cfg = settings(AUTOFIX_GITHUB_TOKEN=TOKEN)
    assert TOKEN in alert_secrets(cfg)
    assert JSON_URL in alert_secrets(cfg)
    _, fake = alert(hostile(), cfg)
    text = json.dumps(fake.posts[0][1], ensure_ascii=False)
    assert TOKEN not in text


def test_outcome_line_says_accepted_not_delivered_for_202() -> None:
    outcome, _ = alert(small(), settings(), sender=FakeSender(202))
    assert outcome.line.startswith("webhook accepted:")
