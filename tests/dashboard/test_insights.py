"""Insight figures over the 40-run sequence, asserted against numbers worked out by hand.

Red streaks closed by a green run (workflow, branch/PR: open -> close, retries, fix requests):
  1 CI main      101 t0  -> 103 t5    5h  retries 0  fixes 0
  2 CI main      104 t6  -> 104#2 t7  1h  retries 1  fixes 0   (passed on re-run of s04)
  3 CI main      106 t10 -> 108 t14   4h  retries 1  fixes 1   (106#2; fr-1 on 107 and 108 counts once)
  4 Nightly main 105 t8  -> 109 t32  24h  retries 0  fixes 0
  5 CI main      111 t34 -> 112 t36   2h  retries 1  fixes 0
  6 Release      110 t33 -> 115 t41   8h  retries 0  fixes 2   (fr-2, fr-3)
  7 CI PR #12    116 t42 -> 116#2 t43 1h  retries 1  fixes 0
  8 CI main      120 t60 -> 120#2 t61 1h  retries 1  fixes 0
  9 CI main      121 t62 -> 124 t70   8h  retries 2  fixes 0   (123#2, 123#3)
 10 Release      126 t73 -> 127 t75   2h  retries 0  fixes 0
 11 CI main      128 t90 -> 129#2 t92 2h  retries 1  fixes 0
Still red: Nightly main (117..119), CI main (130, 132; fr-4 not counted), CI PR #13 (131).
Mean = 58h / 11 = 5h16m21.8s -> 18982 s; p50 of [1,1,1,2,2,2,4,5,8,8,24] h = 2h; retries 8/11; fixes 3/11.
"""

from __future__ import annotations

import random

from nexus_action.dashboard.insights import compute_insights
from tests.dashboard.sequence import SEQUENCE, replay


def test_the_sequence_has_40_attempts() -> None:
    assert len(SEQUENCE) == 40
    assert len({(s[0], s[1]) for s in SEQUENCE}) == 40


def test_failures_per_domain_and_kind() -> None:
    insights = replay(SEQUENCE).insights
    assert insights["window"] == {"attempts": 40, "since": "2026-11-01T00:00:00Z", "until": "2026-11-05T10:00:00Z"}
    assert insights["failed_runs"] == 24
    assert insights["failed_jobs"] == 25
    assert insights["failures_by_domain"] == {"frontend": 5, "infra": 4, "python": 4, "runner": 5, "rust": 7}
    assert insights["failures_by_kind"] == {"compile": 7, "docker_build": 4, "lint": 5, "test": 4, "timeout": 5}
    assert insights["failures_by_domain_kind"][0] == {"domain": "rust", "kind": "compile", "count": 7}


def test_time_to_fix_retries_and_fix_requests() -> None:
    insights = replay(SEQUENCE).insights
    assert insights["recoveries"] == 11
    assert insights["still_red"] == 3
    assert insights["time_to_fix"] == {"mean_seconds": 18982, "p50_seconds": 7200}
    assert insights["retries_per_recovery"] == 0.73
    assert insights["fix_requests_per_recovery"] == 0.27


def test_flaky_candidates_lead_the_recurring_fingerprints() -> None:
    rows = replay(SEQUENCE).insights["top_fingerprints"]
    assert [(r["job"], r["failed_runs"], r["passed_on_rerun"]) for r in rows] == [
        ("test (ubuntu)", 5, 3),  # 104, 120, 129 passed on re-run; 111 and 128 did not
        ("lint", 6, 1),  # 116 on PR #12
        ("build", 7, 0),
        ("e2e", 5, 0),  # 105 is Nightly: CI's green on the same SHA does not count
        ("docker", 4, 0),
    ]


def test_arrival_order_does_not_change_the_figures() -> None:
    shuffled = list(SEQUENCE)
    random.Random(7).shuffle(shuffled)
    assert replay(shuffled).insights == replay(SEQUENCE).insights


def test_empty_window() -> None:
    insights = compute_insights([])
    assert insights["recoveries"] == 0
    assert insights["time_to_fix"] == {"mean_seconds": None, "p50_seconds": None}
    assert insights["retries_per_recovery"] is None


def test_fix_request_comes_from_the_snapshot_too() -> None:
    from dataclasses import replace

    from nexus_action.dashboard.model import record_from_snapshot
    from tests.dashboard.sequence import snapshot

    assert record_from_snapshot(replace(snapshot(SEQUENCE[8]), fix_request="fr-9")).fix_request == "fr-9"
    assert record_from_snapshot(snapshot(SEQUENCE[8]), fix_request="fr-1").fix_request == "fr-1"
