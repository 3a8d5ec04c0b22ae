from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

from nexus_action.classify.model import Blocker
from nexus_action.commands.fix_request import (
    MAX_TOP_LEVEL_KEYS,
    PAYLOAD_BUDGET,
    FixTarget,
    build_payload,
    builtin_template,
    choose_template,
    payload_size,
    recent_duplicate,
    render_prompt,
    select_target,
)
from nexus_action.commands.ledger import FixRecord, Ledger
from tests.commands.builders import NOW, job, snapshot


def payload_for(target: FixTarget, prompt: str = "p", secrets: tuple[str, ...] = ()) -> dict[str, object]:
    return build_payload(
        target=target,
        snapshot=snapshot(*target.jobs),
        prompt=prompt,
        request_id="rid",
        requested_by="octocat",
        comment_url="https://github.com/o/r/pull/7#issuecomment-1",
        pr_url="https://github.com/o/r/pull/7",
        secrets=secrets,
    )


def test_every_agent_has_a_template_with_the_key_placeholders() -> None:
    for agent in ("Rex", "Blaze", "Bolt", "Atlas"):
        text = builtin_template(agent)
        assert f"You are {agent}" in text
        for placeholder in ("$jobs", "$top_blocker", "$blockers", "$request_id", "$run_url"):
            assert placeholder in text


def test_custom_agents_fall_back_to_atlas_and_repo_overrides_win() -> None:
    assert "You are Atlas" in builtin_template("Nova")
    assert choose_template("Rex", {"rex": "Fix it, $agent"}) == "Fix it, $agent"
    assert "You are Rex" in choose_template("Rex", {"blaze": "x"})


def test_prompt_fills_placeholders_and_leaves_unknown_ones_visible() -> None:
    snap = snapshot()
    target = select_target(snap, "rust")
    assert isinstance(target, FixTarget)
    prompt = render_prompt("$agent|$pr_number|$head_sha|$top_blocker|$nope", target, snap, "rid", "u")
    assert prompt == f"Rex|7|{snap.head_sha}|- [clippy] src/lib.rs:42:7: error[E0308]: mismatched types|$nope"


def test_fingerprint_is_stable_and_order_free() -> None:
    a, b = job("a", "rust", "Rex"), job("b", "rust", "Rex")
    assert FixTarget("Rex", (a, b)).fingerprint == FixTarget("Rex", (b, a)).fingerprint
    assert FixTarget("Rex", (a,)).fingerprint != FixTarget("Rex", (a, b)).fingerprint


def test_payload_has_at_most_ten_keys_and_secrets_and_mentions_are_scrubbed() -> None:
    token = "ghp_" + "A" * 36
    bad = job("clippy", "rust", "Rex", text=f"auth failed for {token} cc @octo-org/team")
    payload = payload_for(FixTarget("Rex", (bad,)), prompt=f"see {token}")
    assert len(payload) <= MAX_TOP_LEVEL_KEYS
    text = json.dumps(payload)
    assert token not in text
    assert "@octo-org" not in text
    assert payload["schema"] == "nexus-autofix/fix-request@1"


def test_payload_is_trimmed_under_the_budget() -> None:
    huge = tuple(Blocker(log_line=i, text="E" * 2000) for i in range(30))
    big = job("clippy", "rust", "Rex")
    big = dataclasses.replace(big, classification=dataclasses.replace(big.classification, blockers=huge))
    jobs = tuple(dataclasses.replace(big, name=f"job-{i}") for i in range(4))
    payload = payload_for(FixTarget("Rex", jobs), prompt="P" * 200_000)
    assert payload_size(payload) <= PAYLOAD_BUDGET
    assert str(payload["prompt"]).endswith("[... prompt truncated to fit the dispatch size limit ...]")
    assert all(len(j["blockers"]) == 0 for j in payload["jobs"])  # type: ignore[union-attr]


def test_recent_duplicate_window() -> None:
    ledger = Ledger(fix_requests=(FixRecord("fp", "Rex", "2026-11-21T11:55:00Z", True),))
    assert recent_duplicate(ledger, "fp", NOW) is not None
    assert recent_duplicate(ledger, "other", NOW) is None
    assert recent_duplicate(ledger, "fp", NOW + timedelta(minutes=6)) is None
    undelivered = Ledger(fix_requests=(FixRecord("fp", "Rex", "2026-11-21T11:55:00Z", False),))
    assert recent_duplicate(undelivered, "fp", NOW) is None
    garbled = Ledger(fix_requests=(FixRecord("fp", "Rex", "yesterday", True),))
    assert recent_duplicate(garbled, "fp", NOW) is None
