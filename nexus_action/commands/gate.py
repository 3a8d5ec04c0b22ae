"""Who may run slash commands. Pure: the permission comes in as the API's answer, the decision goes out.

Facts this rests on (GET /repos/{owner}/{repo}/collaborators/{username}/permission):
- `permission` is one of admin, write, read, none; `maintain` is folded into write and `triage` into read;
- `role_name` names the real role (admin, maintain, write, triage, read, or a custom role's name), so it is
  preferred when it is one of the five built-in roles.
"""

from __future__ import annotations

from dataclasses import dataclass

from nexus_action.config.settings import Settings
from nexus_action.runner.context import CommentInfo

# Least to most: comparing positions answers "at least the configured level".
PERMISSION_ORDER = ("none", "read", "triage", "write", "maintain", "admin")
# Commands that change more than this PR's own report need more than the configured level.
ADMIN_COMMANDS = frozenset({"reset"})


@dataclass(frozen=True)
class GateDecision:
    allowed: bool
    reason: str = ""
    silent: bool = False  # only for the action's own comments: answering them could loop

    @property
    def refused(self) -> bool:
        return not self.allowed and not self.silent


def effective_permission(permission: str | None, role_name: str | None = None) -> str:
    """The user's built-in role: role_name when it is a built-in one, else the coarse permission."""
    role = (role_name or "").strip().lower()
    if role in PERMISSION_ORDER:
        return role
    level = (permission or "").strip().lower()
    return level if level in PERMISSION_ORDER else "none"


def at_least(level: str, required: str) -> bool:
    have = PERMISSION_ORDER.index(level) if level in PERMISSION_ORDER else 0
    need = PERMISSION_ORDER.index(required) if required in PERMISSION_ORDER else len(PERMISSION_ORDER) - 1
    return have >= need


def check_sender(comment: CommentInfo, settings: Settings) -> GateDecision:
    """Bots never run commands (unless allowed); the action's own comments are never even answered."""
    author = comment.author.strip().lower()
    if author and author == settings.bot_login.strip().lower():
        return GateDecision(False, "comment written by NEXUS AutoFix itself", silent=True)
    if not comment.on_pull_request:
        return GateDecision(False, "comment is on an issue, not a pull request", silent=True)
    if (comment.author_is_bot or author.endswith("[bot]")) and not settings.allow_bot_commands:
        return GateDecision(False, f"{comment.author} is a bot; bots may not run /nexus commands")
    return GateDecision(True)


def check_permission(user: str, level: str, required: str) -> GateDecision:
    """May a user with `level` run commands that need `required`?"""
    if at_least(level, required):
        return GateDecision(True)
    return GateDecision(False, f"{user} has {level} permission; /nexus commands need {required} or higher")


def required_level(command_name: str, settings: Settings) -> str:
    return "admin" if command_name in ADMIN_COMMANDS else settings.command_permission
