from __future__ import annotations

from datetime import datetime, timedelta, timezone

from nexus_action.isotime import format_iso, parse_iso


def test_round_trip_in_githubs_form() -> None:
    moment = datetime(2026, 11, 1, 10, 0, 5, 999, tzinfo=timezone.utc)
    assert format_iso(moment) == "2026-11-01T10:00:05Z"
    assert parse_iso("2026-11-01T10:00:05Z") == moment.replace(microsecond=0)


def test_other_zones_become_utc_and_naive_times_are_taken_as_utc() -> None:
    assert parse_iso("2026-11-01T12:00:00+02:00") == datetime(2026, 11, 1, 10, tzinfo=timezone.utc)
    assert parse_iso("2026-11-01T10:00:00") == datetime(2026, 11, 1, 10, tzinfo=timezone.utc)
    assert parse_iso("2026-11-01T12:00:00+02:00").utcoffset() == timedelta(0)  # type: ignore[union-attr]


def test_unreadable_is_none() -> None:
    assert parse_iso("yesterday") is None
    assert parse_iso("") is None
