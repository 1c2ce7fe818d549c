"""Display values for parcels: age and relative time formatting, and ParcelView for real states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest

from emstui.core.model import ErrorKind, Event, ParcelState, ShipmentFacts, Stage, Status
from emstui.engine.health import ProviderHealth
from emstui.present.views import (
    DEFAULT_SORT,
    GLYPHS,
    NO_VALUE,
    SORT_KEYS,
    STATUS_MEANINGS,
    STATUS_WORDS,
    TABLE_COLUMNS,
    ParcelView,
    checking_view,
    describe_health,
    event_instant,
    format_age,
    format_clock,
    format_event_time,
    format_relative,
    make_view,
    stage_bar,
    status_order,
    table_text_until,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # a Tuesday
CET = timezone(timedelta(hours=1))
EMS_CN = "EE123456785CN"


@dataclass
class Parcel:
    number: str
    label: str = ""
    note: str = ""
    provider: str | None = None
    archived: bool = False



def sort_views(views: list[ParcelView], column: str = DEFAULT_SORT, *,
               reverse: bool = False) -> list[ParcelView]:
    """The views in the table's order for a sort column (as `ParcelTable` sorts them)."""
    return sorted(views, key=SORT_KEYS[column], reverse=reverse)

def ago(**kw: float) -> datetime:
    return NOW - timedelta(**kw)


def event(description: str = "Departure from outward office of exchange", *,
          utc: datetime | None = None, local: datetime | None = None,
          location: str = "SHANGHAI", first_seen: datetime | None = None) -> Event:
    return Event(time_raw="raw time", description=description, location=location,
                 provider="ems", time_local=local, time_utc=utc, first_seen=first_seen)


# ---- formatting -------------------------------------------------------------------------------


@pytest.mark.parametrize(("delta", "text"), [
    (timedelta(0), "now"),
    (timedelta(seconds=59), "now"),
    (timedelta(seconds=-300), "now"),
    (timedelta(minutes=1), "1m"),
    (timedelta(minutes=59, seconds=59), "59m"),
    (timedelta(hours=5), "5h"),
    (timedelta(hours=5, minutes=12), "5h 12m"),
    (timedelta(hours=23, minutes=59), "23h 59m"),
    (timedelta(days=1), "1d"),
    (timedelta(days=3, hours=4, minutes=59), "3d 4h"),
    (timedelta(days=150, hours=5), "150d"),
])
def test_format_age_is_compact_and_never_negative(delta: timedelta, text: str) -> None:
    assert format_age(delta) == text


def test_format_relative_says_in_for_future_and_ago_for_past() -> None:
    assert format_relative(NOW + timedelta(minutes=42), NOW) == "in 42m"
    assert format_relative(ago(hours=5, minutes=12), NOW) == "5h 12m ago"
    assert format_relative(NOW + timedelta(seconds=30), NOW) == "now"
    assert format_relative(ago(seconds=30), NOW) == "now"


def test_format_clock_uses_the_users_zone_and_only_as_much_date_as_needed() -> None:
    assert format_clock(NOW + timedelta(hours=2, minutes=5), NOW, CET) == "15:05"
    # 23:30 UTC is already tomorrow (Wednesday) in CET.
    assert format_clock(NOW.replace(hour=23, minute=30), NOW, CET) == "Wed 00:30"
    assert format_clock(NOW + timedelta(days=20), NOW, CET) == "14 Dec 13:00"
    assert format_clock(NOW + timedelta(days=60), NOW, CET) == "2027-01-23"


def test_stage_bar_fills_index_of_total() -> None:
    assert stage_bar(3, 8) == "▰▰▰▱▱▱▱▱"
    assert stage_bar(0, 8) == "▱" * 8
    assert stage_bar(8, 8) == "▰" * 8
    assert stage_bar(4, 8, width=4) == "▰▰▱▱"
    assert stage_bar(1, 0) == ""


def test_event_time_is_shown_in_user_zone_when_the_instant_is_known() -> None:
    e = event(utc=datetime(2026, 11, 24, 1, 30, tzinfo=UTC))
    assert format_event_time(e, CET) == ("2026-11-24 02:30", True)


def test_event_time_with_only_a_wall_time_is_shown_as_given_and_flagged() -> None:
    wall = datetime(2026, 11, 24, 9, 12)  # scan site's clock, zone unknown
    assert format_event_time(event(local=wall), CET) == ("2026-11-24 09:12", False)


def test_event_time_with_an_offset_but_no_utc_converts_to_user_zone() -> None:
    local = datetime(2026, 11, 24, 9, 12, tzinfo=timezone(timedelta(hours=8)))
    assert format_event_time(event(local=local), CET) == ("2026-11-24 02:12", True)
    assert event_instant(event(local=local)) == (datetime(2026, 11, 24, 1, 12, tzinfo=UTC), True)


def test_event_without_parsed_time_shows_its_raw_text() -> None:
    assert format_event_time(event(), CET) == ("raw time", False)


# ---- ParcelView -------------------------------------------------------------------------------


def test_view_of_a_never_checked_parcel() -> None:
    view = make_view(Parcel(EMS_CN, label="Tea"), None, NOW, CET)
    assert view.status is Status.UNKNOWN
    assert (view.next_kind, view.next_text, view.next_at) == ("pending", "not checked yet", None)
    assert view.age == NO_VALUE
    assert view.latest_event == ""
    assert view.last_checked == "never"
    assert view.stage_index == 0 and view.stage_bar == "▱" * 8
    assert view.unseen == 0 and not view.error


def test_view_reads_s10_facts_with_issuing_country() -> None:
    view = make_view(Parcel(EMS_CN), None, NOW, CET)
    assert (view.origin_code, view.origin_name) == ("CN", "China")
    assert view.spaced_number == "EE 123 456 785 CN"
    assert view.is_ems and view.is_s10
    assert view.service_label.startswith("EMS")
    assert view.display_label == EMS_CN  # no label: the number stands in


def test_view_of_a_non_s10_number_has_no_origin() -> None:
    view = make_view(Parcel("1Z999AA10123456784"), None, NOW, CET)
    assert view.origin_code == "" and not view.is_s10
    assert view.service_label == "other carrier number"


def test_view_of_a_parcel_in_backoff_after_an_error() -> None:
    state = ParcelState(EMS_CN, status=Status.IN_TRANSIT, stage=Stage.DEPARTED,
                        last_checked=ago(minutes=5), last_error="ems: timed out\x1b[31m",
                        error_kind=ErrorKind.TEMPORARY, backoff_level=2,
                        next_due=NOW + timedelta(minutes=42))
    view = make_view(Parcel(EMS_CN), state, NOW, CET)
    assert view.next_kind == "backoff"
    assert view.next_text == "retry 13:42"
    assert view.next_at == NOW + timedelta(minutes=42)
    assert view.error == "ems: timed out"  # escape sequence removed
    assert view.error_short == "source unreachable"
    assert view.last_checked == "5m ago"


def test_view_of_a_parcel_whose_error_will_not_be_retried() -> None:
    state = ParcelState(EMS_CN, last_checked=ago(minutes=1),
                        last_error="17track: 17TRACK says this number is invalid",
                        error_kind=ErrorKind.INVALID, next_due=None)
    view = make_view(Parcel(EMS_CN), state, NOW, CET)
    assert (view.next_kind, view.next_text) == ("error", "invalid number")
    assert view.error_short == "invalid number"


def test_view_of_a_delivered_parcel() -> None:
    delivered_at = ago(days=3, hours=4)
    state = ParcelState(EMS_CN, status=Status.DELIVERED, stage=Stage.DELIVERED, provider="ems",
                        last_event=event("Final delivery", utc=delivered_at, location="BERLIN"),
                        event_count=9, last_checked=ago(hours=1), next_due=None)
    view = make_view(Parcel(EMS_CN, label="Tea"), state, NOW, CET)
    assert (view.glyph, view.tone, view.status_label) == ("✓", "delivered", "Delivered")
    assert view.stage_bar == "▰" * 8
    assert (view.next_kind, view.next_text) == ("off", "done")
    assert view.age == "3d 4h" and view.event_time_exact
    assert view.event_at == delivered_at
    assert (view.latest_event, view.location) == ("Final delivery", "BERLIN")
    assert view.event_time == "2026-11-21 09:00"
    assert view.provider == "ems"


def test_view_of_a_scheduled_and_of_a_due_parcel() -> None:
    state = ParcelState(EMS_CN, status=Status.IN_TRANSIT, last_checked=ago(minutes=10),
                        next_due=NOW + timedelta(hours=3))
    assert make_view(Parcel(EMS_CN), state, NOW, CET).next_text == "16:00"
    state.next_due = ago(minutes=1)
    view = make_view(Parcel(EMS_CN), state, NOW, CET)
    assert (view.next_kind, view.next_text) == ("due", "due")


def test_view_marks_archived_and_refreshing_parcels() -> None:
    state = ParcelState(EMS_CN, last_checked=ago(minutes=10), next_due=NOW)
    assert make_view(Parcel(EMS_CN, archived=True), state, NOW, CET).next_text == "archived"
    refreshing = make_view(Parcel(EMS_CN), state, NOW, CET, refreshing=True)
    assert (refreshing.next_kind, refreshing.next_text) == ("checking", "checking…")
    # A pass marks its parcels without rebuilding their views: the same view either way.
    assert checking_view(make_view(Parcel(EMS_CN), state, NOW, CET)) == refreshing


def test_age_from_a_wall_time_without_zone_is_marked_estimated() -> None:
    wall = (NOW - timedelta(hours=5, minutes=12)).replace(tzinfo=None)
    state = ParcelState(EMS_CN, status=Status.IN_TRANSIT, last_event=event(local=wall))
    view = make_view(Parcel(EMS_CN), state, NOW, CET)
    assert view.age == "~5h 12m"
    assert not view.event_time_exact
    assert view.event_time == wall.strftime("%Y-%m-%d %H:%M")  # not shifted into CET


def test_estimated_age_is_at_least_as_old_as_when_the_event_was_first_seen() -> None:
    # Wall time read as UTC says 1 h ago, but we saw the event 10 h ago: it is at least 10 h old.
    wall = (NOW - timedelta(hours=1)).replace(tzinfo=None)
    state = ParcelState(EMS_CN, last_event=event(local=wall, first_seen=ago(hours=10)))
    assert make_view(Parcel(EMS_CN), state, NOW, CET).age == "~10h"


def test_an_event_without_a_usable_time_is_as_old_as_its_first_sighting() -> None:
    # The advice reads such an event the same way (present.timefmt.when_it_happened).
    state = ParcelState(EMS_CN, last_event=event(first_seen=ago(days=3)))
    view = make_view(Parcel(EMS_CN), state, NOW, CET)
    assert view.age == "~3d"


def test_view_keeps_markup_like_text_literally_but_drops_control_characters() -> None:
    state = ParcelState(EMS_CN, last_event=event("[bold]x[/] \x1b]0;pwned\x07ok",
                                                 location="[@click=app.quit]"),
                        unseen_count=2)
    view = make_view(Parcel(EMS_CN, label="[/]\nlabel"), state, NOW, CET)
    assert view.latest_event == "[bold]x[/] ok"
    assert view.location == "[@click=app.quit]"
    assert view.label == "[/] label"
    assert view.unseen == 2


def test_sort_by_status_puts_problems_first_and_delivered_last() -> None:
    def v(number: str, status: Status) -> ParcelView:
        return make_view(Parcel(number), ParcelState(number, status=status), NOW, CET)

    views = [v("EE000000005CN", Status.DELIVERED), v("EE000000014DE", Status.IN_TRANSIT),
             v("EE000000028US", Status.EXCEPTION)]
    assert [x.status for x in sort_views(views)] == [
        Status.EXCEPTION, Status.IN_TRANSIT, Status.DELIVERED]


def test_sort_by_age_is_newest_first_with_unknown_ages_last() -> None:
    def v(number: str, hours: float | None) -> ParcelView:
        last = event(utc=ago(hours=hours)) if hours is not None else None
        return make_view(Parcel(number), ParcelState(number, last_event=last), NOW, CET)

    views = [v("EE000000005CN", 30), v("EE000000014DE", None), v("EE000000028US", 2)]
    assert [x.number for x in sort_views(views, "age")] == [
        "EE000000028US", "EE000000005CN", "EE000000014DE"]


def test_each_provider_health_has_its_words_and_tone() -> None:
    until = NOW + timedelta(minutes=30)
    assert describe_health(ProviderHealth("ems", "ok"), NOW, CET) == ("ok", "ok")
    assert describe_health(ProviderHealth("ems", "backoff", until=until), NOW, CET) == (
        "backing off until 13:30", "warning")
    assert describe_health(ProviderHealth("ems", "offline"), NOW, CET) == ("offline", "error")
    assert describe_health(ProviderHealth("17track", "auth"), NOW, CET) == ("key problem",
                                                                             "error")
    assert describe_health(ProviderHealth("17track", "quota"), NOW, CET)[0] == "quota used up"
    assert describe_health(ProviderHealth("17track", "quota", until=until), NOW, CET) == (
        "quota used up until 13:30", "error")
    past = NOW - timedelta(minutes=1)
    assert describe_health(ProviderHealth("ems", "backoff", until=past), NOW, CET) == (
        "backing off", "warning")
    assert describe_health(ProviderHealth("ems", "gone", until=until), NOW, CET) == (
        "source moved", "error")  # only a backoff or a quota says until when
    assert describe_health(ProviderHealth("ems", "idle"), NOW, CET) == ("idle", "muted")
    assert describe_health(ProviderHealth("ems", "new\x1b[31m"), NOW, CET) == ("new", "muted")


# ---- status words, quiet marks and the table's columns ---------------------------------------


def test_every_status_has_a_distinct_short_word_and_a_meaning() -> None:
    assert set(STATUS_WORDS) == set(Status) == set(STATUS_MEANINGS) == set(GLYPHS)
    assert len(set(STATUS_WORDS.values())) == len(Status)
    assert len(set(GLYPHS.values())) == len(Status)
    assert all(len(word) <= 10 for word in STATUS_WORDS.values())  # the column stays narrow
    assert status_order()[0] is Status.EXCEPTION and status_order()[-1] is Status.DELIVERED


def transit_view(*, days: float, status: Status = Status.IN_TRANSIT, stage: Stage = Stage.DEPARTED,
                 unseen: int = 0) -> ParcelView:
    state = ParcelState(EMS_CN, status=status, stage=stage, provider="ems",
                        last_event=event(utc=ago(days=days)), event_count=3, unseen_count=unseen,
                        last_checked=NOW, next_due=NOW + timedelta(hours=1))
    return make_view(Parcel(EMS_CN), state, NOW, CET)


def test_status_cell_text_is_glyph_unseen_mark_and_word() -> None:
    assert transit_view(days=1).status_text == "→  transit"
    assert transit_view(days=1, unseen=2).status_text == "→● transit"
    assert transit_view(days=1, status=Status.IN_CUSTOMS).status_text == "◈  customs"


@pytest.mark.parametrize(("days", "status", "stage", "quiet", "age_text"), [
    (6.5, Status.IN_TRANSIT, Stage.DEPARTED, "", "6d 12h"),  # planes: a week is ordinary
    (8, Status.IN_TRANSIT, Stage.DEPARTED, "warn", "8d !"),
    (15, Status.IN_TRANSIT, Stage.DEPARTED, "alert", "15d !!"),
    (6, Status.IN_CUSTOMS, Stage.CUSTOMS, "warn", "6d !"),
    (3, Status.OUT_FOR_DELIVERY, Stage.DEPARTED, "warn", "3d !"),  # judged as out for delivery
    (40, Status.DELIVERED, Stage.DELIVERED, "", "40d"),  # finished: never quiet
    (40, Status.EXCEPTION, Stage.ARRIVED, "", "40d"),  # its own advice, not silence
])
def test_quiet_mark_follows_the_advice_thresholds_by_stage(
        days: float, status: Status, stage: Stage, quiet: str, age_text: str) -> None:
    view = transit_view(days=days, status=status, stage=stage)
    assert (view.quiet, view.age_text) == (quiet, age_text)


def test_table_columns_are_declared_once_with_unique_keys_and_a_sort_each() -> None:
    keys = [c.key for c in TABLE_COLUMNS]
    assert len(set(keys)) == len(keys) and set(keys) <= set(SORT_KEYS)
    assert [c.key for c in sorted(TABLE_COLUMNS, key=lambda c: c.priority)][:4] == [
        "status", "label", "event", "age"]
    assert {c.key for c in TABLE_COLUMNS if c.core} == {"status", "label", "event", "age"}
    titles = {c.key: c.title for c in TABLE_COLUMNS}
    assert (titles["age"], titles["next"], titles["status"]) == ("Last scan", "Next check",
                                                                 "Status")
    views = [transit_view(days=2), transit_view(days=1, status=Status.IN_CUSTOMS)]
    # A column without its own sort orders by its text (what a new column gets for free).
    location = next(c for c in TABLE_COLUMNS if c.key == "location")
    assert location.sort is None and location.sort_key()(views[0])[0] == "shanghai"


# ---- shipment facts a source reported ---------------------------------------------------------


def with_facts(status: Status = Status.IN_TRANSIT, **facts: object) -> ParcelState:
    return ParcelState(number=EMS_CN, status=status, stage=Stage.ARRIVED,
                       last_checked=ago(minutes=5),
                       facts=ShipmentFacts(**facts))  # type: ignore[arg-type]


def test_no_facts_leave_every_fact_field_empty() -> None:
    view = make_view(Parcel(EMS_CN), ParcelState(number=EMS_CN), NOW, CET)
    assert (view.destination, view.route, view.eta, view.last_mile, view.sync,
            view.status_detail) == ("", "", "", "", "", "")


def test_destination_route_window_and_last_mile_read_as_words() -> None:
    state = with_facts(origin_country="CN", destination_country="DE",
                       eta_from=datetime(2026, 11, 27, tzinfo=CET), eta_to=datetime(2026, 11, 30),
                       eta_source="17TRACK", local_provider="DHL Paket",
                       local_number="00340434161234567890", sub_status_text="Arrived in DE")
    view = make_view(Parcel(EMS_CN), state, NOW, CET)
    assert (view.destination, view.destination_name) == ("DE", "Germany")
    assert view.route == "China (CN) → Germany (DE)"
    assert view.eta == "Fri 27 Nov – Mon 30 Nov"
    assert view.eta_note == "estimate by 17TRACK"
    assert view.last_mile == "DHL Paket · 00340434161234567890"
    assert view.status_detail == "Arrived in DE"
    column = next(c for c in TABLE_COLUMNS if c.key == "destination")
    unknown = make_view(Parcel(EMS_CN), ParcelState(number=EMS_CN), NOW, CET)
    assert (column.title, column.text(view), column.text(unknown)) == ("To", "DE", "")
    assert sorted([unknown, view], key=SORT_KEYS["destination"]) == [view, unknown]


@pytest.mark.parametrize(("start", "end", "text", "note"), [
    (datetime(2026, 11, 27), None, "Fri 27 Nov", ""),
    (None, datetime(2026, 11, 27), "Fri 27 Nov", ""),
    (datetime(2026, 11, 27), datetime(2026, 11, 27, 18), "Fri 27 Nov", ""),
    (datetime(2026, 12, 30), datetime(2027, 1, 2), "Wed 30 Dec – Sat 2 Jan 2027", ""),
    (datetime(2026, 11, 20), datetime(2026, 11, 23), "Fri 20 Nov – Mon 23 Nov", "passed"),
])
def test_delivery_window_forms(start: datetime | None, end: datetime | None, text: str,
                               note: str) -> None:
    view = make_view(Parcel(EMS_CN), with_facts(eta_from=start, eta_to=end), NOW, CET)
    assert (view.eta, view.eta_note) == (text, note)


def test_window_is_hidden_once_the_parcel_is_done() -> None:
    state = with_facts(Status.DELIVERED, eta_from=datetime(2026, 11, 27))
    assert make_view(Parcel(EMS_CN), state, NOW, CET).eta == ""


def test_unknown_or_partial_countries() -> None:
    view = make_view(Parcel(EMS_CN), with_facts(destination_country="QQ"), NOW, CET)
    assert (view.destination, view.destination_name, view.route) == ("QQ", "", "— → QQ")


@pytest.mark.parametrize(("facts", "status", "text", "problem"), [
    ({"sync_status": "Success", "sync_time": ago(hours=3)}, Status.IN_TRANSIT,
     "ok, last synced 3h ago", False),
    ({"sync_status": "Success", "sync_time": ago(days=2), "sync_carrier": "DHL Paket"},
     Status.IN_TRANSIT, "stale: last synced 2d ago with DHL Paket", True),
    ({"sync_status": "Success", "sync_time": ago(days=20)}, Status.DELIVERED,
     "ok, last synced 20d ago", False),  # 17TRACK stops syncing finished parcels
    ({"sync_status": "Failure", "sync_time": ago(hours=30), "sync_carrier": "Royal Mail"},
     Status.IN_TRANSIT, "failing (Failure) with Royal Mail; last synced 1d 6h ago", True),
    ({"sync_status": "Weird"}, Status.IN_TRANSIT, "failing (Weird); never synced", True),
    ({"sync_status": "Success"}, Status.IN_TRANSIT, "ok", False),
    ({"sync_time": ago(hours=1)}, Status.IN_TRANSIT, "ok, last synced 1h ago", False),
    ({}, Status.IN_TRANSIT, "", False),
])
def test_the_sources_sync_with_the_carrier(facts: dict[str, object], status: Status, text: str,
                                           problem: bool) -> None:
    view = make_view(Parcel(EMS_CN), with_facts(status, **facts), NOW, CET)
    assert (view.sync, view.sync_problem) == (text, problem)


def test_fact_texts_are_sanitised_for_display() -> None:
    state = with_facts(local_provider="\x1b[31mRed\x1b[0m Post", sub_status_text="a\u202eb",
                       eta_from=datetime(2026, 11, 27), eta_source="x" * 500)
    view = make_view(Parcel(EMS_CN), state, NOW, CET)
    assert view.last_mile == "Red Post"
    assert view.status_detail == "ab"
    assert len(view.eta_note) <= len("estimate by ") + 40


def test_sorting_by_destination_puts_unknown_destinations_last() -> None:
    views = [make_view(Parcel(n), with_facts(destination_country=d) if d else None, NOW, CET)
             for n, d in (("EE000000001CN", None), ("EE000000002CN", "US"),
                          ("EE000000003CN", "DE"))]
    assert [v.destination for v in sort_views(views, "destination")] == ["DE", "US", ""]


@pytest.mark.parametrize("minutes_ago", [0.5, 59.5, 60 * 23 + 58.5, 60 * 24 * 2 + 59,
                                         60 * 24 * 99 + 60 * 23 + 30, 60 * 24 * 150])
@pytest.mark.parametrize("due_in", [timedelta(minutes=1.5), timedelta(hours=11, minutes=59),
                                    timedelta(days=3)])
@pytest.mark.parametrize("stage", [Stage.POSTED, Stage.DEPARTED, Stage.CUSTOMS])
def test_no_table_cell_changes_before_the_instant_table_text_until_names(
        minutes_ago: float, due_in: timedelta, stage: Stage) -> None:
    # Brute force: the minute tick skips a row until `table_text_until`; if that instant came
    # late, an age, quiet mark or next check would stay stale on screen.
    state = ParcelState(EMS_CN, status=Status.IN_TRANSIT, stage=stage, provider="ems",
                        last_event=event(utc=ago(minutes=minutes_ago)), event_count=3,
                        last_checked=NOW, next_due=NOW + due_in,
                        facts=ShipmentFacts(eta_from=datetime(2026, 11, 25),
                                            eta_to=datetime(2026, 11, 26)))
    first = make_view(Parcel(EMS_CN), state, NOW, CET)
    until = table_text_until(first, state, NOW, CET)
    assert until is not None and until > NOW
    cells = [column.text(first) for column in TABLE_COLUMNS]
    t = NOW
    while t + timedelta(seconds=30) < until and t < NOW + timedelta(days=2):
        t += timedelta(seconds=30)
        later = make_view(Parcel(EMS_CN), state, t, CET)
        assert [column.text(later) for column in TABLE_COLUMNS] == cells, t
