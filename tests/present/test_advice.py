"""Advice rules: each rule fires on the right facts, cites them, and escalates at its thresholds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from emstui.core.model import ErrorKind, Event, Stage, Status
from emstui.core.s10 import make_number
from emstui.present.advice import (
    Advice,
    Level,
    ParcelFacts,
    advise,
    facts_for,
)
from emstui.present.timefmt import format_age, when_it_happened

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
CN_EMS = "EE123456785CN"
JP_EMS = make_number("EJ", "12345678", "JP")
JP_REGISTERED = make_number("RR", "12345678", "JP")
H = timedelta(hours=1)
D = timedelta(days=1)


def ev(description: str, ago: timedelta, *, code: str | None = None, location: str = "",
       status: Status | None = None, stage: Stage | None = None) -> Event:
    when = NOW - ago
    return Event(time_raw=when.strftime("%Y-%m-%d %H:%M"), description=description,
                 location=location, time_utc=when, code=code, status=status, stage=stage)


def facts(number: str = CN_EMS, *, status: Status = Status.IN_TRANSIT,
          stage: Stage = Stage.NONE, events: tuple[Event, ...] = (),
          added: datetime | None = NOW - 30 * D, **kw: str | None) -> ParcelFacts:
    return facts_for(number, status=status, stage=stage, events=events, added=added, **kw)


def situational(items: list[Advice]) -> list[Advice]:
    """Everything before the two standing items (security, hotline)."""
    return items[:-2]


def titled(items: list[Advice], fragment: str) -> Advice:
    found = [a for a in items if fragment.lower() in a.title.lower()]
    assert found, f"no advice titled like {fragment!r} in {[a.title for a in items]}"
    return found[0]


def top(f: ParcelFacts) -> Advice:
    return advise(f, NOW)[0]


# --- durations -------------------------------------------------------------------------------


def test_advice_and_table_read_an_event_time_by_one_rule() -> None:
    # An exact time the carrier's clock put after our first sighting is still the event's time;
    # a wall time without offset is capped by the first sighting (present.timefmt).
    exact = Event("x", "Arrival", time_utc=NOW - 2 * H, first_seen=NOW - 5 * H)
    wall = Event("x", "Arrival", time_local=(NOW - 2 * H).replace(tzinfo=None),
                 first_seen=NOW - 5 * H)
    assert when_it_happened(exact) == (NOW - 2 * H, True)
    assert when_it_happened(wall) == (NOW - 5 * H, False)


# --- no records ------------------------------------------------------------------------------


def test_no_records_at_47h_is_normal_info() -> None:
    first = top(facts(status=Status.NOT_FOUND, added=NOW - 47 * H))
    assert first.level is Level.INFO
    assert "24-48 hours" in first.body
    assert first.trigger == "no events 1d 23h after the parcel was added"


def test_no_records_exactly_48h_is_still_info() -> None:
    assert top(facts(status=Status.NOT_FOUND, added=NOW - 48 * H)).level is Level.INFO


def test_no_records_at_49h_warns_to_check_country_suffix() -> None:
    first = top(facts(status=Status.NOT_FOUND, added=NOW - 49 * H))
    assert first.level is Level.WARNING
    assert "last two letters" in first.body and "here CN = China" in first.body
    assert "retry later" in first.body
    assert "2d 1h" in first.trigger


def test_no_records_just_under_a_week_is_warning_not_alert() -> None:
    first = top(facts(status=Status.NOT_FOUND, added=NOW - (7 * D - H)))
    assert first.level is Level.WARNING


def test_no_records_after_a_week_alerts_to_ask_sender_for_proof_of_posting() -> None:
    first = top(facts(status=Status.NOT_FOUND, added=NOW - (7 * D + H)))
    assert first.level is Level.ALERT
    assert "proof of posting" in first.body and "sender" in first.body
    assert "7d 1h" in first.trigger


def test_unknown_status_without_events_uses_no_records_rules() -> None:
    assert top(facts(status=Status.UNKNOWN, added=NOW - 3 * D)).level is Level.WARNING


def test_no_records_with_unknown_added_time_gives_a_tip() -> None:
    first = top(facts(status=Status.NOT_FOUND, added=None))
    assert first.level is Level.TIP
    assert "unknown" in first.trigger


def test_non_s10_number_without_records_is_told_it_is_not_s10() -> None:
    first = top(facts("1Z999AA10123456784", status=Status.NOT_FOUND, added=NOW - 3 * D))
    assert first.level is Level.WARNING
    assert "not a UPU S10 number" in first.body


def test_foreign_ems_number_not_found_points_to_the_issuing_post() -> None:
    items = advise(facts(JP_EMS, status=Status.NOT_FOUND, added=NOW - 3 * D), NOW)
    tip = titled(items, "Issued by Japan")
    assert tip.level is Level.TIP
    assert "ending in JP" in tip.trigger


@pytest.mark.parametrize("number", [CN_EMS, JP_REGISTERED])
def test_issuing_post_tip_only_for_non_chinese_ems_numbers(number: str) -> None:
    items = advise(facts(number, status=Status.NOT_FOUND, added=NOW - 3 * D), NOW)
    assert not [a for a in items if a.title.startswith("Issued by")]


def test_provider_failure_without_records_does_not_blame_the_number() -> None:
    items = advise(facts(status=Status.UNKNOWN, added=NOW - 5 * D,
                         error_kind=ErrorKind.TEMPORARY,
                         last_error="17track: internal error"), NOW)
    assert not [a for a in items if "check the number" in a.title.lower()]
    assert titled(items, "Tracking source busy").level is Level.INFO


# --- provider errors -------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "level", "fragment"), [
    (ErrorKind.QUOTA, Level.WARNING, "quota"),
    (ErrorKind.UNSUPPORTED, Level.TIP, "17TRACK key"),
    (ErrorKind.INVALID, Level.WARNING, "character by character"),
    (ErrorKind.TEMPORARY, Level.INFO, "retries"),
])
def test_provider_error_kinds_say_what_to_do(kind: ErrorKind, level: Level,
                                             fragment: str) -> None:
    f = facts(status=Status.IN_TRANSIT, stage=Stage.DEPARTED,
              events=(ev("Departure from outward office of exchange", 2 * D, code="EMC"),),
              error_kind=kind, last_error="17track: something failed")
    err = [a for a in advise(f, NOW) if a.trigger.startswith("last check failed")]
    assert len(err) == 1
    assert err[0].level is level
    assert fragment in err[0].body
    assert err[0].trigger == f"last check failed ({kind}): 17track: something failed"


def test_error_trigger_is_shortened_and_single_line() -> None:
    f = facts(status=Status.UNKNOWN, error_kind=ErrorKind.BAD_RESPONSE, last_error="x\n" * 400)
    err = next(a for a in advise(f, NOW) if a.trigger.startswith("last check failed"))
    assert "\n" not in err.trigger
    assert len(err.trigger) < 220


# --- shipment data only ----------------------------------------------------------------------


@pytest.mark.parametrize(("ago", "level"), [(10 * H, Level.INFO), (3 * D, Level.WARNING),
                                            (8 * D, Level.ALERT)])
def test_shipment_data_only_escalates_with_time(ago: timedelta, level: Level) -> None:
    f = facts(status=Status.INFO_RECEIVED,
              events=(ev("Shipment information received", ago, status=Status.INFO_RECEIVED,
                         stage=Stage.NONE),))
    first = top(f)
    assert first.level is level
    assert format_age(ago) in first.trigger


# --- customs ---------------------------------------------------------------------------------


def customs_facts(ago: timedelta, *, code: str = "EDB", note: str = "") -> ParcelFacts:
    name = {"EDB": "Item presented to import Customs", "EME": "Item held by import Customs"}[code]
    return facts(status=Status.IN_CUSTOMS, stage=Stage.CUSTOMS, note=note,
                 events=(ev(name, ago, code=code, location="FRANKFURT"),
                         ev("Arrival at inward office of exchange", ago + D, code="EMD")))


def test_fresh_customs_explains_documents_duties_and_destination_post() -> None:
    first = top(customs_facts(2 * D))
    assert first.level is Level.TIP
    assert first.title == "In customs"
    for word in ("invoice", "ID", "tax", "duties", "DESTINATION", "not China EMS"):
        assert word in first.body
    assert first.trigger.startswith("in customs for 2d since 'Item presented to import")


def test_held_by_customs_event_alone_triggers_customs_advice() -> None:
    f = facts(status=Status.UNKNOWN, stage=Stage.ARRIVED,
              events=(ev("Item held by import Customs", D, code="EME"),))
    first = top(f)
    assert first.title == "Held by customs"
    assert first.level is Level.TIP
    assert first.trigger.startswith("held by customs for 1d")


@pytest.mark.parametrize(("ago", "level"), [
    (5 * D - H, Level.TIP), (5 * D + H, Level.WARNING),
    (14 * D - H, Level.WARNING), (14 * D + H, Level.ALERT),
])
def test_customs_escalates_after_5_and_14_days(ago: timedelta, level: Level) -> None:
    assert top(customs_facts(ago)).level is level


def test_customs_time_counts_from_the_start_of_the_customs_episode() -> None:
    f = facts(status=Status.IN_CUSTOMS, stage=Stage.CUSTOMS,
              events=(ev("Item held by import Customs", 2 * D, code="EME"),
                      ev("Item presented to import Customs", 6 * D, code="EDB"),
                      ev("Arrival at inward office of exchange", 7 * D, code="EMD")))
    first = top(f)
    assert first.level is Level.WARNING
    assert "for 6d since 'Item presented to import Customs'" in first.trigger


def test_regulated_goods_in_note_are_cited_while_in_customs() -> None:
    tip = titled(advise(customs_facts(D, note="Tea from Hangzhou"), NOW), "Regulated")
    assert tip.level is Level.TIP
    assert "'Tea'" in tip.trigger


def test_customs_without_regulated_note_still_mentions_slow_categories() -> None:
    tip = titled(advise(customs_facts(D), NOW), "clear slower")
    assert "batteries" in tip.body and "Remote areas" in tip.body


def test_export_customs_sends_the_user_to_the_sender() -> None:
    f = facts(status=Status.IN_CUSTOMS, stage=Stage.EXPORT,
              events=(ev("Item held by export Customs/Security", D, code="EXB"),))
    first = top(f)
    assert "export customs" in first.title.lower()
    assert "sender" in first.body and "origin post" in first.body


# --- delivery office -------------------------------------------------------------------------


@pytest.mark.parametrize(("ago", "level"), [(D, Level.WARNING), (10 * D + H, Level.ALERT)])
def test_failed_delivery_tells_about_notice_and_deadline(ago: timedelta, level: Level) -> None:
    f = facts(status=Status.DELIVERY_FAILED, stage=Stage.OUT_FOR_DELIVERY,
              events=(ev("Unsuccessful (physical) delivery", ago, code="EMH", location="PARIS"),))
    first = top(f)
    assert first.level is level
    assert "notice" in first.body and "check the notice for the deadline" in first.body
    assert "redelivery" in first.body
    assert first.trigger == (f"delivery attempt failed {format_age(ago)} ago: "
                             "'Unsuccessful (physical) delivery' (PARIS)")


def test_failed_delivery_code_wins_over_a_stale_status() -> None:
    f = facts(status=Status.IN_TRANSIT, stage=Stage.OUT_FOR_DELIVERY,
              events=(ev("Unsuccessful (physical) delivery", H, code="EMH"),))
    assert top(f).title == "Delivery attempt failed"


@pytest.mark.parametrize(("ago", "level"), [(D, Level.TIP), (5 * D + H, Level.WARNING),
                                            (10 * D + H, Level.ALERT)])
def test_pickup_reminds_id_notice_and_escalates(ago: timedelta, level: Level) -> None:
    f = facts(status=Status.AVAILABLE_FOR_PICKUP, stage=Stage.OUT_FOR_DELIVERY,
              events=(ev("Item arrival at collection point for pick-up", ago, code="EDH"),))
    first = top(f)
    assert first.level is level
    assert "ID" in first.body and "notice" in first.body and "deadline" in first.body


# --- silence in transit ----------------------------------------------------------------------


def transit(stage: Stage, ago: timedelta, status: Status = Status.IN_TRANSIT) -> ParcelFacts:
    return facts(status=status, stage=stage,
                 events=(ev("Some scan", ago, status=status, stage=stage, location="X"),))


@pytest.mark.parametrize(("stage", "ago", "level"), [
    (Stage.POSTED, 4 * D - H, Level.INFO),
    (Stage.POSTED, 4 * D + H, Level.WARNING),
    (Stage.EXPORT, 10 * D + H, Level.ALERT),
    (Stage.DEPARTED, 4 * D + H, Level.INFO),  # same gap as above, but normal after departure
    (Stage.DEPARTED, 7 * D - H, Level.INFO),
    (Stage.DEPARTED, 7 * D + H, Level.WARNING),
    (Stage.DEPARTED, 14 * D + H, Level.ALERT),
    (Stage.ARRIVED, 5 * D - H, Level.INFO),
    (Stage.ARRIVED, 5 * D + H, Level.WARNING),
    (Stage.DELIVERY_OFFICE, 5 * D + H, Level.WARNING),
    (Stage.DELIVERY_OFFICE, 14 * D + H, Level.ALERT),
])
def test_silence_thresholds_depend_on_stage(stage: Stage, ago: timedelta, level: Level) -> None:
    first = top(transit(stage, ago))
    assert first.level is level
    assert first.trigger.startswith(f"no scan for {format_age(ago)} at stage '{stage.label}'")


def test_out_for_delivery_without_result_warns_after_two_days() -> None:
    assert top(transit(Stage.OUT_FOR_DELIVERY, 2 * D - H, Status.OUT_FOR_DELIVERY)).level \
        is Level.INFO
    assert top(transit(Stage.OUT_FOR_DELIVERY, 2 * D + H, Status.OUT_FOR_DELIVERY)).level \
        is Level.WARNING


def test_long_silence_at_origin_asks_sender_to_open_inquiry() -> None:
    first = top(transit(Stage.DEPARTED, 15 * D))
    assert first.level is Level.ALERT
    assert "only the SENDER can file an EMS inquiry" in first.body


def test_long_silence_at_destination_sends_recipient_to_destination_post() -> None:
    first = top(transit(Stage.DELIVERY_OFFICE, 15 * D))
    assert "Contact the destination post" in first.body


def test_event_time_in_the_future_counts_as_no_silence() -> None:
    first = top(transit(Stage.DEPARTED, -5 * H))
    assert first.level is Level.INFO
    assert "no scan for now" in first.trigger


def test_naive_wall_time_is_used_when_no_utc_time_is_known() -> None:
    wall = (NOW - 8 * D).replace(tzinfo=None)
    event = Event(time_raw="x", description="Departure from outward office of exchange",
                  code="EMC", time_local=wall)
    assert top(facts(stage=Stage.DEPARTED, events=(event,))).level is Level.WARNING


def test_first_seen_bounds_an_event_whose_time_is_unknown() -> None:
    event = Event(time_raw="", description="Departure from outward office of exchange",
                  code="EMC", first_seen=NOW - 15 * D)
    assert top(facts(stage=Stage.DEPARTED, events=(event,))).level is Level.ALERT


def test_event_without_any_time_says_so() -> None:
    event = Event(time_raw="", description="Some scan")
    first = top(facts(stage=Stage.DEPARTED, events=(event,)))
    assert first.title == "Time of the last scan unknown"


# --- outcomes --------------------------------------------------------------------------------


def test_delivered_says_check_contents_and_ask_proof_of_delivery() -> None:
    f = facts(status=Status.DELIVERED, stage=Stage.DELIVERED,
              events=(ev("Final delivery", D, code="EMI", location="LYON"),))
    first = top(f)
    assert first.level is Level.INFO
    assert "contents" in first.body and "proof of delivery" in first.body
    assert "'Final delivery' (LYON)" in first.trigger


def test_returned_says_contact_the_sender() -> None:
    f = facts(status=Status.RETURNED, stage=Stage.DELIVERED,
              events=(ev("Returned to sender", D),))
    first = top(f)
    assert first.level is Level.WARNING and "Contact the sender" in first.body


@pytest.mark.parametrize(("description", "code", "title"), [
    ("Export cancellation", "EXX", "Export cancelled"),
    ("Import terminated", "EDX", "Import stopped"),
    ("Item lost", None, "The post reported a problem"),
])
def test_exceptions_are_explained(description: str, code: str | None, title: str) -> None:
    f = facts(status=Status.EXCEPTION, events=(ev(description, D, code=code),))
    first = top(f)
    assert first.title == title and first.level is Level.ALERT
    assert description in first.trigger


def test_exception_with_return_wording_is_a_return_in_progress() -> None:
    f = facts(status=Status.EXCEPTION, events=(ev("Item is being returned to sender", D),))
    assert top(f).title == "Being returned to the sender"


def test_expired_tracking_is_explained_as_not_lost() -> None:
    f = facts(status=Status.EXPIRED, events=(ev("Arrival at delivery office", 40 * D),))
    first = top(f)
    assert first.level is Level.WARNING
    assert "does not mean it is lost" in first.body
    assert "40d ago" in first.trigger


# --- standing advice and order ---------------------------------------------------------------


SCENARIOS: list[ParcelFacts] = [
    facts(status=Status.NOT_FOUND, added=NOW - H),
    facts(status=Status.NOT_FOUND, added=NOW - 9 * D),
    facts(JP_EMS, status=Status.NOT_FOUND, added=NOW - 3 * D, error_kind=ErrorKind.QUOTA,
          last_error="quota"),
    customs_facts(15 * D, note="battery"),
    transit(Stage.DEPARTED, 2 * D),
    transit(Stage.DEPARTED, 20 * D),
    facts(status=Status.DELIVERED, events=(ev("Final delivery", D, code="EMI"),)),
    facts(status=Status.DELIVERY_FAILED, events=(ev("Unsuccessful delivery", 12 * D),)),
    facts("1Z999AA10123456784", status=Status.UNKNOWN, added=None),
]


@pytest.mark.parametrize("f", SCENARIOS)
def test_security_advice_is_always_next_to_last_and_hotline_last(f: ParcelFacts) -> None:
    items = advise(f, NOW)
    security, hotline = items[-2], items[-1]
    assert security.title == "Beware of delivery scams"
    for word in ("official channels", "SMS", "card details", "pay X"):
        assert word in security.body
    assert "11183" in hotline.body
    assert len([a for a in items if a.title == "Beware of delivery scams"]) == 1


@pytest.mark.parametrize("f", SCENARIOS)
def test_situational_advice_is_sorted_most_severe_first(f: ParcelFacts) -> None:
    ranks = [a.level.rank for a in situational(advise(f, NOW))]
    assert ranks == sorted(ranks, reverse=True)
    assert ranks, "every scenario yields at least one situational item"


def test_levels_are_ordered_by_severity() -> None:
    assert [lv.rank for lv in (Level.INFO, Level.TIP, Level.WARNING, Level.ALERT)] == [0, 1, 2, 3]


def test_security_advice_warns_harder_when_scams_imitate_the_situation() -> None:
    security = advise(customs_facts(D), NOW)[-2]
    assert "imitate" in security.trigger
    assert "destination post's own site" in security.body


def test_hotline_for_chinese_item_still_in_china_goes_through_the_sender() -> None:
    hotline = advise(transit(Stage.EXPORT, D), NOW)[-1]
    assert "sender can call China EMS on 11183" in hotline.body
    assert "not yet left China" in hotline.trigger


def test_hotline_for_chinese_item_in_flight_explains_the_hand_over() -> None:
    hotline = advise(transit(Stage.DEPARTED, D), NOW)[-1]
    assert "takes over when it arrives" in hotline.body
    assert "not yet arrived" in hotline.trigger


def test_hotline_for_chinese_item_that_left_china_is_the_destination_post() -> None:
    hotline = advise(transit(Stage.ARRIVED, D), NOW)[-1]
    assert "destination country's post now holds it" in hotline.body
    assert "left China" in hotline.trigger


def test_hotline_for_foreign_item_names_the_issuing_country() -> None:
    hotline = advise(facts(JP_EMS, stage=Stage.DEPARTED,
                           events=(ev("Departure", D, code="EMC"),)), NOW)[-1]
    assert "Japan (JP)" in hotline.body and "coming to China" in hotline.body


def test_facts_for_reads_the_issuing_country_from_the_number() -> None:
    f = facts_for(" ee123456785cn ", status=Status.UNKNOWN, stage=Stage.NONE, events=(),
                  added=None)
    assert (f.number, f.is_ems, f.country_code, f.country_name) == (CN_EMS, True, "CN", "China")
    other = facts_for("1Z999AA10123456784", status=Status.UNKNOWN, stage=Stage.NONE, events=(),
                      added=None)
    assert (other.is_ems, other.country_code) == (False, None)


def test_advise_does_not_depend_on_the_order_of_calls() -> None:
    f = customs_facts(6 * D)
    assert advise(f, NOW) == advise(f, NOW)
    assert advise(f, NOW + 9 * D)[0].level is Level.ALERT
