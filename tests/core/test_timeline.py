"""emstui.core.timeparse and emstui.core.timeline: raw times, and merging legs into one timeline."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emstui.core.model import Event
from emstui.core.timeline import event_identity, location_key, merge_timelines, newest_first
from emstui.core.timeparse import parse_time

CST = timezone(timedelta(hours=8))

# --- parse_time -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "local"),
    [
        ("2024-03-01 09:12", datetime(2024, 3, 1, 9, 12)),
        ("2024-03-01 09:12:33", datetime(2024, 3, 1, 9, 12, 33)),
        ("2024-03-01T09:12:33", datetime(2024, 3, 1, 9, 12, 33)),
        ("2024-03-01T09:12:33.250", datetime(2024, 3, 1, 9, 12, 33, 250000)),
        ("  2024-03-01 09:12  ", datetime(2024, 3, 1, 9, 12)),
        ("01.03.2024 09:12", datetime(2024, 3, 1, 9, 12)),
        ("2024/03/01 09:12", datetime(2024, 3, 1, 9, 12)),
        ("2024.3.1 9:12", datetime(2024, 3, 1, 9, 12)),
        ("01/03/2024 09:12", datetime(2024, 3, 1, 9, 12)),
        ("01-03-2024 09:12", datetime(2024, 3, 1, 9, 12)),
        ("1 Mar 2024 09:12", datetime(2024, 3, 1, 9, 12)),
        ("01-Mar-2024 09:12:33", datetime(2024, 3, 1, 9, 12, 33)),
        ("1 March 2024, 09:12", datetime(2024, 3, 1, 9, 12)),
        ("Mar 1, 2024 9:12 PM", datetime(2024, 3, 1, 21, 12)),
        ("Mar 1, 2024 12:05 am", datetime(2024, 3, 1, 0, 5)),
        ("2024年3月1日 09:12", datetime(2024, 3, 1, 9, 12)),
        ("2024-03-01", datetime(2024, 3, 1)),
    ],
)
def test_offsetless_times_parse_to_naive_local_and_no_utc(raw: str, local: datetime) -> None:
    assert parse_time(raw) == (local, None)


def test_ambiguous_slash_dates_are_read_day_first() -> None:
    assert parse_time("02/03/2024 10:00") == (datetime(2024, 3, 2, 10, 0), None)


def test_slash_dates_fall_back_to_month_first_only_when_day_first_is_impossible() -> None:
    assert parse_time("03/15/2024 10:00") == (datetime(2024, 3, 15, 10, 0), None)


@pytest.mark.parametrize(
    ("raw", "local", "utc"),
    [
        ("2024-03-01T09:12:33Z", datetime(2024, 3, 1, 9, 12, 33, tzinfo=UTC),
         datetime(2024, 3, 1, 9, 12, 33, tzinfo=UTC)),
        ("2024-03-01T09:12:33+08:00", datetime(2024, 3, 1, 9, 12, 33, tzinfo=CST),
         datetime(2024, 3, 1, 1, 12, 33, tzinfo=UTC)),
        ("2022-04-04T16:35:22-07:00", datetime(2022, 4, 4, 16, 35, 22,
                                               tzinfo=timezone(timedelta(hours=-7))),
         datetime(2022, 4, 4, 23, 35, 22, tzinfo=UTC)),
        ("2024-03-01 09:12 +0800", datetime(2024, 3, 1, 9, 12, tzinfo=CST),
         datetime(2024, 3, 1, 1, 12, tzinfo=UTC)),
        ("2024-03-01 09:12 UTC+8", datetime(2024, 3, 1, 9, 12, tzinfo=CST),
         datetime(2024, 3, 1, 1, 12, tzinfo=UTC)),
        ("Fri, 01 Mar 2024 09:12:33 GMT", datetime(2024, 3, 1, 9, 12, 33, tzinfo=UTC),
         datetime(2024, 3, 1, 9, 12, 33, tzinfo=UTC)),
        ("20240301T091233Z", datetime(2024, 3, 1, 9, 12, 33, tzinfo=UTC),
         datetime(2024, 3, 1, 9, 12, 33, tzinfo=UTC)),
    ],
)
def test_times_with_an_offset_give_aware_local_and_utc(
    raw: str, local: datetime, utc: datetime
) -> None:
    got_local, got_utc = parse_time(raw)
    assert got_local == local
    assert got_local is not None and got_local.utcoffset() == local.utcoffset()
    assert got_utc == utc
    assert got_utc is not None and got_utc.utcoffset() == timedelta(0)


def test_wcf_date_is_an_instant_in_utc() -> None:
    instant = datetime(2024, 3, 1, 9, 12, tzinfo=UTC)
    assert parse_time("/Date(1709284320000)/") == (instant, instant)
    assert parse_time("\\/Date(1709284320000)\\/") == (instant, instant)


def test_wcf_date_with_offset_keeps_the_offset_for_local_time() -> None:
    local, utc = parse_time("/Date(1709284320000+0800)/")
    assert utc == datetime(2024, 3, 1, 9, 12, tzinfo=UTC)
    assert local is not None
    assert local.utcoffset() == timedelta(hours=8)
    assert local.replace(tzinfo=None) == datetime(2024, 3, 1, 17, 12)


@pytest.mark.parametrize(
    "raw",
    [None, "", "   ", "garbage", "2024-13-01 10:00", "31/31/2024 10:00", "2024-02-30 10:00",
     "2024-03-01 25:00", "2024-03-01 13:00 PM", "2024-03-01 09:12 +25:00", "1 Foo 2024 09:12",
     "/Date(99999999999999999)/", "2024-03-01 09:12" + " " * 100 + "x", 12345],
)
def test_unparseable_times_give_none_none(raw: object) -> None:
    assert parse_time(raw) == (None, None)  # type: ignore[arg-type]


@settings(max_examples=400, deadline=None)
@given(raw=st.one_of(st.none(), st.text(max_size=60),
                     st.from_regex(r"\A[0-9/.:\- TZ+]{0,30}\Z")))
def test_parse_time_never_raises(raw: str | None) -> None:
    local, utc = parse_time(raw)
    if local is None or local.tzinfo is None:
        assert utc is None
    else:
        assert utc == local


# --- merge_timelines ------------------------------------------------------------------------


def ev(raw: str, description: str, provider: str = "p", location: str = "") -> Event:
    local, utc = parse_time(raw)
    return Event(time_raw=raw, description=description, location=location, provider=provider,
                 time_local=local, time_utc=utc)


def descriptions(events: tuple[Event, ...]) -> list[str]:
    return [e.description for e in events]


def test_legs_with_utc_times_are_interleaved_by_utc() -> None:
    origin = [ev("2024-03-02T07:05:00+08:00", "EMC"), ev("2024-03-01T09:12:00+08:00", "EMA")]
    destination = [ev("2024-03-06T11:25:00+01:00", "EMI"),
                   ev("2024-03-01T23:30:00+00:00", "EMD")]  # 07:30 +08 on 2 March
    merged = merge_timelines(origin, destination)
    assert descriptions(merged) == ["EMI", "EMD", "EMC", "EMA"]


def test_utc_decides_even_when_wall_times_disagree() -> None:
    a = [ev("2024-03-01T10:00:00+08:00", "A 02:00Z")]
    b = [ev("2024-03-01T05:00:00+00:00", "B 05:00Z")]
    assert descriptions(merge_timelines(a, b)) == ["B 05:00Z", "A 02:00Z"]


def test_naive_times_are_placed_by_local_wall_time_against_utc_legs() -> None:
    utc_leg = [ev("2024-03-04T14:10:00+01:00", "utc 14:10"),
               ev("2024-03-02T07:05:00+08:00", "utc 07:05")]
    naive_leg = [ev("2024-03-06 11:25", "naive 6th"), ev("2024-03-03 12:00", "naive 3rd"),
                 ev("2024-03-01 09:12", "naive 1st")]
    merged = merge_timelines(naive_leg, utc_leg)
    assert descriptions(merged) == ["naive 6th", "utc 14:10", "naive 3rd", "utc 07:05",
                                    "naive 1st"]


def test_each_legs_own_order_is_kept_even_against_its_times() -> None:
    # The source listed B above A although B's wall time is earlier: the source knows best.
    leg = [ev("2024-03-01 08:00", "B"), ev("2024-03-01 09:00", "A")]
    other = [ev("2024-03-01 08:30", "X")]
    assert descriptions(merge_timelines(leg, other)) == ["X", "B", "A"]


def test_untimed_event_stays_with_its_newer_neighbour() -> None:
    leg = [ev("2024-03-05 10:00", "newest"), ev("no time", "untimed"),
           ev("2024-03-01 10:00", "oldest")]
    other = [ev("2024-03-04 10:00", "other 4th"), ev("2024-03-02 10:00", "other 2nd")]
    merged = merge_timelines(leg, other)
    assert descriptions(merged) == ["newest", "untimed", "other 4th", "other 2nd", "oldest"]


def test_untimed_newest_event_borrows_the_older_neighbours_time() -> None:
    leg = [ev("", "untimed top"), ev("2024-03-02 10:00", "timed")]
    other = [ev("2024-03-03 10:00", "other newer"), ev("2024-03-01 10:00", "other older")]
    merged = merge_timelines(other, leg)
    assert descriptions(merged) == ["other newer", "untimed top", "timed", "other older"]


def test_duplicates_keep_the_first_source() -> None:
    first = [ev("2024-03-01 09:12", "Posting/Collection", "ems", "BEIJING")]
    second = [ev("2024-03-01 09:12", "posting/collection ", "17track", "beijing "),
              ev("2024-03-02 07:05", "Departure", "17track")]
    merged = merge_timelines(first, second)
    assert [(e.description, e.provider) for e in merged] == [
        ("Departure", "17track"), ("Posting/Collection", "ems")]


def test_duplicates_within_one_leg_are_dropped() -> None:
    leg = [ev("2024-03-01 09:12", "A"), ev("2024-03-01 09:12", "A"), ev("2024-03-01 08:00", "B")]
    assert descriptions(merge_timelines(leg)) == ["A", "B"]


def test_same_description_at_different_times_is_not_a_duplicate() -> None:
    leg = [ev("2024-03-02 09:12", "Arrival"), ev("2024-03-01 09:12", "Arrival")]
    assert len(merge_timelines(leg)) == 2


def test_ties_go_to_the_leg_passed_first_and_merging_is_deterministic() -> None:
    a = [ev("2024-03-01 09:00", "a")]
    b = [ev("2024-03-01 09:00", "b")]
    assert descriptions(merge_timelines(a, b)) == ["a", "b"]
    assert descriptions(merge_timelines(b, a)) == ["b", "a"]
    assert merge_timelines(a, b) == merge_timelines(a, b)


def test_legs_without_any_times_keep_leg_order() -> None:
    a = [ev("", "a1"), ev("", "a2")]
    b = [ev("2024-03-01 09:00", "b1")]
    assert descriptions(merge_timelines(a, b)) == ["a1", "a2", "b1"]


def test_naive_time_utc_is_treated_as_utc() -> None:
    a = [Event(time_raw="x", description="naive utc",
               time_utc=datetime(2024, 3, 1, 12, 0))]
    b = [ev("2024-03-01T11:00:00Z", "aware")]
    assert descriptions(merge_timelines(b, a)) == ["naive utc", "aware"]


def test_merge_of_nothing_is_empty() -> None:
    assert merge_timelines() == ()
    assert merge_timelines([], []) == ()


def test_single_leg_passes_through_unchanged() -> None:
    leg = [ev("2024-03-02 09:00", "b"), ev("2024-03-01 09:00", "a")]
    assert merge_timelines(leg) == tuple(leg)


def test_newest_first_reverses_without_sorting() -> None:
    oldest_first = [ev("2024-03-01 09:12", "EMA"), ev("2024-03-04 06:30", "EMD"),
                    ev("2024-03-02 07:05", "EMC")]  # page order is the truth, not the clock
    assert descriptions(newest_first(oldest_first)) == ["EMC", "EMD", "EMA"]
    assert newest_first(iter(oldest_first)) == tuple(reversed(oldest_first))


@settings(max_examples=200, deadline=None)
@given(
    legs=st.lists(
        st.lists(
            st.tuples(
                st.sampled_from(["", "2024-03-01 09:00", "2024-03-01 10:00", "2024-03-02 09:00",
                                 "2024-03-01T09:00:00+08:00", "2024-03-01T03:00:00Z"]),
                st.sampled_from(["A", "B", "C", "D"]),
            ),
            max_size=6,
        ),
        max_size=4,
    )
)
def test_merge_keeps_every_unique_event_once_and_each_legs_order(
    legs: list[list[tuple[str, str]]]
) -> None:
    event_legs = [[ev(t, d) for t, d in leg] for leg in legs]
    merged = merge_timelines(*event_legs)
    identities = [event_identity(e) for e in merged]
    assert len(identities) == len(set(identities))
    all_ids = {event_identity(e) for leg in event_legs for e in leg}
    assert set(identities) == all_ids
    position = {event_identity(e): i for i, e in enumerate(merged)}
    seen: set[tuple[str, str, str]] = set()
    for leg in event_legs:
        kept = []
        for e in leg:
            if event_identity(e) not in seen:
                seen.add(event_identity(e))
                kept.append(e)
        assert [position[event_identity(e)] for e in kept] == sorted(position[event_identity(e)]
                                                               for e in kept)


# --- one scan, two sources --------------------------------------------------------------------

FROM_17TRACK = Event(time_raw="2026-11-14T07:15:00+01:00",
                     description="Arrival at inward office of exchange", location="FRANKFURT, DE",
                     provider="17track:Deutsche Post",
                     time_local=datetime(2026, 11, 14, 7, 15, tzinfo=timezone(timedelta(hours=1))),
                     time_utc=datetime(2026, 11, 14, 6, 15, tzinfo=UTC), code="EMD")
FROM_EMS = Event(time_raw="Nov 14, 2026, 7:15 AM",
                 description="Arrived at destination import office", location="FRANKFURT",
                 provider="ems", time_local=datetime(2026, 11, 14, 7, 15), code="EMD")


def test_the_same_scan_from_17track_and_the_ems_tracker_is_one_event_with_both_sources() -> None:
    assert event_identity(FROM_17TRACK) == event_identity(FROM_EMS)
    [merged] = merge_timelines([FROM_17TRACK], [FROM_EMS])
    assert merged.description == FROM_17TRACK.description
    assert merged.reported_by == ("17track:Deutsche Post", "ems")


def test_the_vocabularies_match_even_when_no_source_set_a_code() -> None:
    a = replace_event(FROM_17TRACK, code=None)
    b = replace_event(FROM_EMS, code=None)
    assert event_identity(a) == event_identity(b)


@pytest.mark.parametrize("change", [
    {"time_local": datetime(2026, 11, 14, 7, 16)},  # another minute
    {"description": "Departed from destination import office", "code": "EMF"},  # another event
    {"location": "MUNICH"},  # another place
    {"time_local": None},  # a time that did not parse is compared as its text
])
def test_different_scans_are_never_merged(change: dict[str, object]) -> None:
    other = replace_event(FROM_EMS, **change)
    assert event_identity(other) != event_identity(FROM_17TRACK)
    assert len(merge_timelines([FROM_17TRACK], [other])) == 2


@pytest.mark.parametrize(("a", "b"), [
    ("FRANKFURT, DE", "Frankfurt"),
    ("Frankfurt, Germany", "FRANKFURT"),
    ("FRANKFURT GERMANY", "frankfurt."),
    ("GUANGZHOU, CHINA", "Guangzhou"),
    ("BERLIN 10115", "berlin  10115"),
    ("New York, NY, US", "NEW YORK NY"),
])
def test_locations_compare_without_case_punctuation_and_trailing_country(a: str, b: str) -> None:
    assert location_key(a) == location_key(b)


@pytest.mark.parametrize(("a", "b"), [
    ("DE", ""), ("LOS ANGELES CA", "LOS ANGELES"), ("BERLIN 10115", "BERLIN"),
    ("HONG KONG", ""), ("PARIS", "PARIS CDG"),
])
def test_locations_that_are_not_the_same_place_stay_apart(a: str, b: str) -> None:
    assert location_key(a) != location_key(b)


def test_a_scan_reported_twice_in_one_leg_is_kept_once_without_repeating_its_source() -> None:
    [merged] = merge_timelines([FROM_EMS, FROM_EMS])
    assert merged.reported_by == ("ems",)


def replace_event(event: Event, **changes: object) -> Event:
    return dataclasses.replace(event, **changes)  # type: ignore[arg-type]
