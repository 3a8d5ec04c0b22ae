"""The checked reader of GitHub's answers: every shape a body should not have is a BadAnswer, never a crash."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nexus_action.github.answer import (
    BadAnswer,
    decode,
    field_int,
    field_list,
    field_obj,
    field_opt_int,
    field_str,
    objects,
    too_deep,
)
from nexus_action.github.post import Post
from nexus_action.github.runs import read_annotations, read_files, read_jobs_page, read_pulls
from nexus_action.github.threads import issues_only

READERS = [Post.from_api, Post.list_from_api, issues_only, read_jobs_page, read_annotations, read_pulls, read_files]


@pytest.mark.parametrize(
    "raw",
    ['{"id": 1, "body": "cut sh', "<html><body>502</body></html>", "[" * 10_000 + "]" * 10_000, b"\xff\xfe{}"],
    ids=["cut-short", "html", "deep", "not-utf8"],
)
def test_undecodable_bodies_are_bad_answers(raw: str | bytes) -> None:
    with pytest.raises(BadAnswer):
        decode(raw)


def test_an_empty_body_decodes_to_nothing_and_readers_refuse_it() -> None:
    assert decode("") is None
    assert decode(b"  \n") is None
    for read in READERS:
        with pytest.raises(BadAnswer, match="empty"):
            read(None)


@pytest.mark.parametrize(
    ("obj", "reader"),
    [
        ({"id": "x"}, field_int),
        ({}, field_int),
        ({"id": True}, field_int),
        ({"id": 2**63}, field_int),
        ({"id": -1}, field_int),
        ({"id": 1.0}, field_opt_int),
        ({"id": 5}, field_str),
        ({"id": "x"}, field_obj),
        ({"id": {}}, field_list),
    ],
)
def test_wrongly_typed_fields_are_bad_answers(obj: dict[str, Any], reader: Any) -> None:
    with pytest.raises(BadAnswer, match="'id'"):
        reader(obj, "id")


def test_absent_or_null_optional_fields_take_their_default() -> None:
    assert field_opt_int({"n": None}, "n") is None
    assert field_str({}, "s", "d") == "d"
    assert field_obj({"o": None}, "o") == {}
    assert field_list({}, "l") == []
    assert objects([{"a": 1}]) == [{"a": 1}]


def test_a_post_needs_a_numeric_id_and_text_fields() -> None:
    good = {"id": 3, "number": 7, "user": {"login": "me"}, "body": "b", "html_url": "u", "state": "closed"}
    post = Post.from_api(good)
    assert (post.id, post.number, post.author, post.state) == (3, 7, "me", "closed")
    for bad in ({**good, "id": "x"}, {k: v for k, v in good.items() if k != "id"}, {**good, "user": "me"}, []):
        with pytest.raises(BadAnswer):
            Post.from_api(bad)


def test_the_jobs_page_checks_every_job_and_step() -> None:
    page = {"jobs": [{"id": 1, "name": "a", "steps": [{"name": "s", "number": 2, "conclusion": "failure"}]}]}
    assert read_jobs_page(page)[0]["id"] == 1
    for bad in ({}, {"jobs": "x"}, {"jobs": [{"id": "1"}]}, {"jobs": [{"id": 1, "steps": [1]}]}, [], "x"):
        with pytest.raises(BadAnswer):
            read_jobs_page(bad)


def test_the_issues_list_leaves_pull_requests_out() -> None:
    listed = [{"id": 1, "title": "t"}, {"id": 2, "pull_request": {"url": "x"}}]
    assert [p.id for p in issues_only(listed)] == [1]


def test_nesting_is_measured_outside_strings_only() -> None:
    assert too_deep("[" * 201 + "]" * 201)
    assert not too_deep('["' + "[" * 500 + '"]')
    assert not too_deep('["\\"' + "[" * 500 + '"]')


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["id", "number", "jobs", "steps", "user", "body", "head"]), inner),
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(data=JSON)
def test_readers_raise_nothing_but_bad_answer(data: Any) -> None:
    for read in READERS:
        try:
            read(data)
        except BadAnswer:
            continue
