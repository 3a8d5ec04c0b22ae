"""The hidden state's merge: every order and grouping of the same updates gives one document."""

from __future__ import annotations

from functools import reduce

from hypothesis import given, settings
from hypothesis import strategies as st

from nexus_action.report.derive import derive, doc_from_v1, encode_doc, read_doc
from nexus_action.report.document import (
    Claim,
    CommandEntry,
    Flag,
    JobDoc,
    RunDoc,
    StateDoc,
    canonical,
    merge,
)
from nexus_action.report.state import ReportState

LIMIT = 4  # small bounds, so the bounded (top-N) paths are exercised too

stamps = st.sampled_from([f"2026-01-01T00:00:0{i}Z" for i in range(4)])
names = st.sampled_from(["build", "test (ubuntu-latest, 3.12)", "test (macos-latest, 3.12)", "lint"])


@st.composite
def jobs(draw: st.DrawFn) -> JobDoc:
    name = draw(names)
    detail = draw(st.sampled_from([None, {"name": name, "step": draw(st.sampled_from(["a", "b"]))}]))
    return JobDoc(
        name=name,
        matrix=draw(st.sampled_from(["", "os=ubuntu"])),
        check_run_id=draw(st.sampled_from([0, 7])),
        at=draw(stamps),
        log_available=draw(st.booleans()),
        fingerprint=draw(st.sampled_from(["f1", "f2"])),
        failure_type=draw(st.sampled_from(["pytest", "eslint"])),
        top=draw(st.sampled_from(["", "E1", "E2"])),
        detail=detail,
    )


@st.composite
def runs(draw: st.DrawFn) -> RunDoc:
    return RunDoc(
        workflow=draw(st.sampled_from(["CI", "Lint"])),
        run_id=draw(st.integers(1, 6)),
        attempt=draw(st.integers(1, 2)),
        created_at=draw(stamps),
        head_sha=draw(st.sampled_from(["a" * 40, "b" * 40])),
        branch="feature",
        green=draw(st.booleans()),
        jobs=tuple(draw(st.lists(jobs(), max_size=3))),
    )


claims = st.builds(
    Claim,
    kind=st.sampled_from(["retry", "fix"]),
    key=st.sampled_from(["a" * 40, "fp1"]),
    comment_id=st.integers(1, 9),
    at=stamps,
    user=st.sampled_from(["octocat", "hubot"]),
    agent=st.just(""),
    state=st.sampled_from(["claimed", "lost", "failed", "done"]),
)
flags = st.none() | st.builds(Flag, value=st.booleans(), at=stamps, by=st.integers(0, 9))
commands = st.builds(
    CommandEntry,
    comment_id=st.integers(1, 9),
    index=st.integers(1, 2),
    at=stamps,
    user=st.just("octocat"),
    command=st.sampled_from(["/nexus retry", "/nexus mute"]),
    result=st.sampled_from(["done: x", "refused: y"]),
)

# One update as a writer makes it: a run, or a command's effects.
updates = st.builds(
    StateDoc,
    runs=st.lists(runs(), max_size=2).map(tuple),
    muted=flags,
    breaker=flags,
    claims=st.lists(claims, max_size=2).map(tuple),
    commands=st.lists(commands, max_size=2).map(tuple),
    processed=st.lists(st.integers(1, 9), max_size=2).map(tuple),
    reset_after=st.integers(0, 3),
).map(lambda d: canonical(d, LIMIT))


def m(a: StateDoc, b: StateDoc) -> StateDoc:
    return merge(a, b, LIMIT)


def fold(items: list[StateDoc]) -> StateDoc:
    return reduce(m, items, StateDoc())


@settings(max_examples=150, deadline=None)
@given(st.lists(updates, min_size=1, max_size=6), st.randoms(use_true_random=False))
def test_every_order_and_grouping_merges_to_the_same_state(items: list[StateDoc], rnd: object) -> None:
    expected = fold(items)
    shuffled = list(items)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert fold(shuffled) == expected
    # Random groupings: merge random neighbours until one document is left (a tree of merges, not a fold).
    pool = list(shuffled)
    while len(pool) > 1:
        i = rnd.randrange(len(pool) - 1)  # type: ignore[attr-defined]
        pool[i : i + 2] = [m(pool[i], pool[i + 1])]
    assert m(StateDoc(), pool[0]) == expected
    assert derive(pool[0]) == derive(expected)  # what the report shows is the same too
    assert [e.hash for e in derive(pool[0]).history] == [e.hash for e in derive(expected).history]


@settings(max_examples=80, deadline=None)
@given(st.lists(updates, min_size=1, max_size=4))
def test_merging_a_state_with_itself_changes_nothing(items: list[StateDoc]) -> None:
    doc = fold(items)
    assert m(doc, doc) == doc
    assert m(doc, StateDoc()) == doc


@settings(max_examples=80, deadline=None)
@given(st.lists(updates, min_size=1, max_size=4))
def test_the_encoded_document_reads_back_equal(items: list[StateDoc]) -> None:
    doc = merge(fold(items), StateDoc())  # default bounds, as written
    again, warnings = read_doc(encode_doc(doc))
    assert warnings == []
    assert again == doc


def test_a_version_1_state_is_read_with_its_counts() -> None:
    legacy = ReportState(muted=True, retries_by_sha={"a" * 40: 2}, processed_comment_ids=(5, 3))
    view = derive(doc_from_v1(legacy))
    assert view.muted
    assert view.retries_by_sha == {"a" * 40: 2}
    assert view.processed_comment_ids == (3, 5)
