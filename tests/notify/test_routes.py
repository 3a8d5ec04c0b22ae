from __future__ import annotations

import pytest

from nexus_action.errors import NexusError
from nexus_action.notify.routes import (
    Route,
    parse_route_map,
    redact_url,
    resolve_route,
    webhook_urls,
)

SLACK = "https://hooks.slack.com/services/T0000/B0000/" + "s" * 24
TEAMS = "https://contoso.webhook.office.com/webhookb2/" + "a1b2@c3d4" + "/IncomingWebhook/" + "e" * 32 + "/f5"
FLOW = (
    "https://prod-01.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig="
    + "k" * 20
)
JSON_URL = "https://alerts.example.com/hooks/nexus?key=" + "j" * 20


def resolve(text: str, repo: str, url: str = "", fmt: str = "json") -> Route | None:
    return resolve_route(parse_route_map(text), repo, default_url=url, default_format=fmt)


def test_the_runbook_example_parses() -> None:
    route_map = parse_route_map(f"repo:org/repo={SLACK};default={JSON_URL}")
    assert [e.key for e in route_map.entries] == ["repo:org/repo", "default"]
    assert route_map.urls == (SLACK, JSON_URL)


def test_exact_beats_glob_beats_default() -> None:
    text = f"default={JSON_URL};repo:org/*=teams_adaptive@{FLOW};repo:org/web={SLACK}"
    assert resolve(text, "org/web") == Route(SLACK, "json", "repo:org/web")
    assert resolve(text, "org/api") == Route(FLOW, "teams_adaptive", "repo:org/*")
    assert resolve(text, "other/api") == Route(JSON_URL, "json", "default")


def test_the_longest_glob_wins_whatever_the_order() -> None:
    text = f"repo:org/*={JSON_URL};repo:org/web-*=slack_blocks@{SLACK};repo:*/*=teams_messagecard@{TEAMS}"
    route = resolve(text, "org/web-admin")
    assert route is not None
    assert (route.url, route.format, route.pattern) == (SLACK, "slack_blocks", "repo:org/web-*")
    assert resolve(text, "org/api") == Route(JSON_URL, "json", "repo:org/*")
    assert resolve(text, "else/where") == Route(TEAMS, "teams_messagecard", "repo:*/*")


def test_repository_names_match_case_insensitively() -> None:
    assert resolve(f"repo:Org/Web={SLACK}", "org/WEB") == Route(SLACK, "json", "repo:org/web")


def test_a_format_per_route_and_the_default_format_for_the_rest() -> None:
    text = f"repo:org/web=slack_blocks@{SLACK};default={JSON_URL}"
    assert resolve(text, "org/web", fmt="teams_adaptive") == Route(SLACK, "slack_blocks", "repo:org/web")
    assert resolve(text, "org/x", fmt="teams_adaptive") == Route(JSON_URL, "teams_adaptive", "default")


def test_teams_urls_with_an_at_sign_need_no_quoting() -> None:
    assert resolve(f"repo:org/web={TEAMS}", "org/web") == Route(TEAMS, "json", "repo:org/web")
    assert resolve(f"repo:org/web=teams_messagecard@{TEAMS}", "org/web") == Route(
        TEAMS, "teams_messagecard", "repo:org/web"
    )


def test_query_strings_with_equals_signs_survive() -> None:
    assert resolve(f"default=teams_adaptive@{FLOW}", "a/b") == Route(FLOW, "teams_adaptive", "default")


def test_newlines_spaces_and_trailing_separators_are_fine() -> None:
    text = f"\n  repo:org/web = {SLACK} ;\n default = {JSON_URL} ;;\n"
    assert resolve(text, "org/web") == Route(SLACK, "json", "repo:org/web")
    assert resolve(text, "x/y") == Route(JSON_URL, "json", "default")


def test_without_a_map_entry_the_plain_url_setting_is_used() -> None:
    route = resolve(f"repo:org/web={SLACK}", "other/repo", url=JSON_URL, fmt="json")
    assert route == Route(JSON_URL, "json", "AUTOFIX_ALERT_WEBHOOK_URL")
    assert resolve("", "a/b", url=SLACK, fmt="slack_blocks") == Route(
        SLACK, "slack_blocks", "AUTOFIX_ALERT_WEBHOOK_URL"
    )


def test_the_map_default_beats_the_plain_url_setting() -> None:
    assert resolve(f"default={SLACK}", "a/b", url=JSON_URL) == Route(SLACK, "json", "default")


def test_nothing_configured_means_no_route() -> None:
    assert resolve("", "a/b") is None
    assert resolve(f"repo:org/web={SLACK}", "a/b") is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (f"org/web={SLACK}", "unknown key 'org/web'"),
        (f"repo:orgweb={SLACK}", "OWNER/NAME"),
        (f"repo:org/web {SLACK}", "expected KEY=URL"),
        ("repo:org/web=", "expected KEY=URL"),
        ("default=http://hooks.slack.com/services/T/B/insecure", "must start with https://"),
        ("default=hooks.slack.com/services/T/B/x", "must start with https://"),
        ("default=https:///nohost", "no host"),
        (f"repo:org/web=slack@{SLACK}", "unknown format 'slack'"),
        (f"repo:org/web={SLACK};repo:ORG/web={JSON_URL}", "already routed by entry 1"),
        (f"default={SLACK};default={JSON_URL}", "already routed"),
    ],
)
def test_bad_maps_name_the_entry_and_never_show_the_url(text: str, problem: str) -> None:
    with pytest.raises(NexusError) as err:
        parse_route_map(text)
    message = err.value.message
    assert err.value.code == "NEXUS-CONFIG-INVALID"
    assert problem in message
    assert "AUTOFIX_ALERT_WEBHOOK_ROUTE_MAP entry" in message
    for secret in ("/services/T0000", "sss", "/T/B/", "jjjj"):
        assert secret not in message


def test_the_error_names_the_position_of_the_bad_entry() -> None:
    with pytest.raises(NexusError) as err:
        parse_route_map(f"repo:a/b={SLACK};repo:c/d=slack_blockz@{SLACK}")
    assert "entry 2 'repo:c/d=slack_blockz@https://hooks.slack.com/***'" in err.value.message


def test_a_bad_plain_url_setting_is_a_config_error_without_the_url() -> None:
    with pytest.raises(NexusError) as err:
        resolve("", "a/b", url="http://hooks.slack.com/services/T/B/secretpart")
    assert "AUTOFIX_ALERT_WEBHOOK_URL" in err.value.message
    assert "secretpart" not in err.value.message


def test_an_unknown_default_format_is_a_config_error() -> None:
    with pytest.raises(NexusError, match="slack_blocks"):
        resolve("", "a/b", url=SLACK, fmt="slack")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (SLACK, "https://hooks.slack.com/***"),
        (FLOW, "https://prod-01.westus.logic.azure.com:443/***"),
        ("https://user:pw@example.com/x", "https://example.com/***"),
        ("not a url", "***"),
        ("", "***"),
        ("https://[broken/x", "***"),
    ],
)
def test_redact_url_keeps_scheme_and_host_only(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_routes_never_print_their_url() -> None:
    route = resolve(f"repo:org/web=slack_blocks@{SLACK}", "org/web")
    assert route is not None
    assert SLACK not in repr(route)
    assert SLACK not in route.display
    assert route.display == "slack_blocks -> https://hooks.slack.com/*** (repo:org/web)"
    assert SLACK not in repr(parse_route_map(f"default={SLACK}"))


def test_webhook_urls_lists_everything_to_mask_even_from_a_broken_map() -> None:
    assert webhook_urls(f"repo:a/b={SLACK};default={TEAMS}", JSON_URL) == (SLACK, TEAMS, JSON_URL)
    assert webhook_urls(f"repo:a/b=slack_blocks@{SLACK};broken", "") == (SLACK,)
    assert webhook_urls("", "") == ()
