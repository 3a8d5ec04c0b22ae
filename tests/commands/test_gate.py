from __future__ import annotations

import pytest

from nexus_action.commands.gate import (
    at_least,
    check_permission,
    check_sender,
    effective_permission,
    required_level,
)
from nexus_action.config.settings import Settings
from nexus_action.runner.context import CommentInfo


def comment(author: str = "octocat", *, bot: bool = False, on_pr: bool = True) -> CommentInfo:
    return CommentInfo(
        id=1,
        body="/nexus retry",
        author=author,
        author_is_bot=bot,
        author_association="MEMBER",
        issue_number=7,
        on_pull_request=on_pr,
        url="https://github.com/o/r/pull/7#issuecomment-1",
    )


@pytest.mark.parametrize(
    ("permission", "allowed"), [("admin", True), ("write", True), ("read", False), ("none", False)]
)
def test_default_level_is_write(permission: str, allowed: bool) -> None:
    level = effective_permission(permission, permission)
    decision = check_permission("octocat", level, required_level("retry", Settings()))
    assert decision.allowed is allowed
    if not allowed:
        assert decision.refused
        assert f"has {permission} permission" in decision.reason
        assert "need write or higher" in decision.reason


def test_role_name_refines_the_coarse_permission() -> None:
    # GitHub folds maintain into write and triage into read; role_name says which one it really is.
    assert effective_permission("write", "maintain") == "maintain"
    assert effective_permission("read", "triage") == "triage"
    assert effective_permission("write", "custom-release-role") == "write"
    assert effective_permission(None, None) == "none"
    assert effective_permission("weird", None) == "none"


def test_configured_level_is_honoured() -> None:
    settings = Settings(command_permission="maintain")
    assert not check_permission("u", "write", required_level("retry", settings)).allowed
    assert check_permission("u", "maintain", required_level("retry", settings)).allowed
    triage = Settings(command_permission="triage")
    assert check_permission("u", "triage", required_level("fix", triage)).allowed
    assert not check_permission("u", "read", required_level("fix", triage)).allowed


def test_reset_needs_admin_whatever_the_level() -> None:
    assert required_level("reset", Settings(command_permission="read")) == "admin"
    assert not check_permission("u", "maintain", "admin").allowed
    assert check_permission("u", "admin", "admin").allowed


def test_unknown_required_level_allows_only_admin() -> None:
    assert not at_least("maintain", "owner")
    assert at_least("admin", "owner")


def test_people_pass_the_sender_check() -> None:
    assert check_sender(comment(), Settings()).allowed


def test_bots_are_refused_out_loud() -> None:
    for who, flag in (("dependabot[bot]", True), ("renovate[bot]", False), ("some-app", True)):
        decision = check_sender(comment(who, bot=flag), Settings())
        assert not decision.allowed
        assert decision.refused, "refusals are answered, never silent"
        assert "bot" in decision.reason


def test_bots_may_be_allowed() -> None:
    assert check_sender(comment("renovate[bot]", bot=True), Settings(allow_bot_commands=True)).allowed


def test_the_action_itself_is_ignored_silently_even_when_bots_are_allowed() -> None:
    for settings in (Settings(), Settings(allow_bot_commands=True)):
        decision = check_sender(comment("GitHub-Actions[bot]", bot=True), settings)
        assert not decision.allowed
        assert decision.silent
    custom = Settings(bot_login="nexus-app[bot]", allow_bot_commands=True)
    assert check_sender(comment("nexus-app[bot]", bot=True), custom).silent
    assert check_sender(comment("github-actions[bot]", bot=True), custom).allowed


def test_comments_on_plain_issues_are_ignored() -> None:
    decision = check_sender(comment(on_pr=False), Settings())
    assert not decision.allowed
    assert decision.silent
