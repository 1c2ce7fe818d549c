"""emstui.core.statusmap: UPU event codes and names, tracker labels, wording -> Status, Stage."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emstui.core.model import Event, Stage, Status
from emstui.core.statusmap import (
    UPU_EVENTS,
    classify_event,
    classify_text,
    code_for_upu_name,
    from_upu_code,
    return_status,
    status_from_events,
)

# --- UPU codes ------------------------------------------------------------------------------

ALL_SPEC_CODES = ["EMA", "EMB", "EXA", "EXB", "EXC", "EXD", "EXX", "EMC", "EMJ", "EMK", "EMD",
                  "EDA", "EDB", "EME", "EDC", "EMF", "EDD", "EDE", "EMG", "EDF", "EDG", "EDH",
                  "EMH", "EMI", "EDX", "EMX"]

CODE_EXPECTED = {
    "EMA": (Status.IN_TRANSIT, Stage.POSTED),
    "EMB": (Status.IN_TRANSIT, Stage.EXPORT),
    "EXA": (Status.IN_CUSTOMS, Stage.EXPORT),
    "EXB": (Status.IN_CUSTOMS, Stage.EXPORT),
    "EXC": (Status.IN_TRANSIT, Stage.EXPORT),
    "EXD": (Status.IN_TRANSIT, Stage.EXPORT),
    "EXX": (Status.EXCEPTION, None),
    "EMC": (Status.IN_TRANSIT, Stage.DEPARTED),
    "EMJ": (Status.IN_TRANSIT, Stage.DEPARTED),
    "EMK": (Status.IN_TRANSIT, Stage.DEPARTED),
    "EMD": (Status.IN_TRANSIT, Stage.ARRIVED),
    "EDA": (Status.IN_TRANSIT, Stage.ARRIVED),
    "EDB": (Status.IN_CUSTOMS, Stage.CUSTOMS),
    "EME": (Status.IN_CUSTOMS, Stage.CUSTOMS),
    "EDC": (Status.IN_TRANSIT, Stage.CUSTOMS),
    "EMF": (Status.IN_TRANSIT, Stage.CUSTOMS),
    "EDD": (Status.IN_TRANSIT, Stage.DELIVERY_OFFICE),
    "EDE": (Status.IN_TRANSIT, Stage.DELIVERY_OFFICE),
    "EMG": (Status.IN_TRANSIT, Stage.DELIVERY_OFFICE),
    "EDF": (Status.IN_TRANSIT, Stage.DELIVERY_OFFICE),
    "EDG": (Status.OUT_FOR_DELIVERY, Stage.OUT_FOR_DELIVERY),
    "EDH": (Status.AVAILABLE_FOR_PICKUP, Stage.OUT_FOR_DELIVERY),
    "EMH": (Status.DELIVERY_FAILED, Stage.OUT_FOR_DELIVERY),
    "EMI": (Status.DELIVERED, Stage.DELIVERED),
    "EDX": (Status.EXCEPTION, None),
    "EMX": (Status.IN_TRANSIT, Stage.DELIVERY_OFFICE),
}


def test_code_table_holds_every_code_in_the_spec() -> None:
    assert set(UPU_EVENTS) == set(ALL_SPEC_CODES)


@pytest.mark.parametrize("code", ALL_SPEC_CODES)
def test_each_upu_code_gives_its_status_and_stage_in_any_case(code: str) -> None:
    assert from_upu_code(code) == CODE_EXPECTED[code]
    assert from_upu_code(f" {code.lower()} ") == CODE_EXPECTED[code]


def test_emh_is_a_failed_delivery_not_an_arrival() -> None:
    assert from_upu_code("EMH") == (Status.DELIVERY_FAILED, Stage.OUT_FOR_DELIVERY)


@pytest.mark.parametrize("code", [None, "", "XYZ", "EM", "EMAA", 7])
def test_unknown_upu_codes_map_to_none(code: object) -> None:
    assert from_upu_code(code) == (None, None)  # type: ignore[arg-type]


@pytest.mark.parametrize("code", [c for c in ALL_SPEC_CODES if c != "EMX"])
def test_each_upu_name_maps_back_to_its_code(code: str) -> None:
    assert code_for_upu_name(UPU_EVENTS[code].name) == code


def test_ems_cooperative_sample_labels_map_to_codes_and_delivered() -> None:
    rows = [  # specs/ems-cooperative.md 5a, oldest first
        ("2024-03-01 09:12", "Posting/Collection", "BEIJING, CHINA"),
        ("2024-03-01 18:40", "Arrival at outward office of exchange", "BEIJING, CHINA"),
        ("2024-03-02 07:05", "Departure from outward office of exchange", "BEIJING, CHINA"),
        ("2024-03-04 06:30", "Arrival at inward office of exchange", "FRANKFURT, GERMANY"),
        ("2024-03-04 14:10", "Departure from inward office of exchange", "FRANKFURT, GERMANY"),
        ("2024-03-06 11:25", "Final delivery", "BERLIN, GERMANY"),
    ]
    assert [code_for_upu_name(label) for _, label, _ in rows] == [
        "EMA", "EMB", "EMC", "EMD", "EMF", "EMI"]
    events = [Event(time_raw=t, description=d, location=loc) for t, d, loc in reversed(rows)]
    assert status_from_events(events) == (Status.DELIVERED, Stage.DELIVERED)


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("Dispatch from outward office of exchange", "EMC"),
        ("Processing at delivery Post Office", "EMG"),
        ("Item arrival at collection point for pick-up", "EDH"),
        ("Item arrival at collection point for pick-up (by recipient)", "EDH"),
        ("Final delivery", "EMI"),
        ("Final delivery ", "EMI"),
        ("Retention", "EDF"),
        ("Absence. Attempted delivery.", "EMH"),
        ("Held by import Customs", "EME"),
        ("Item held at delivery depot", "EDF"),
        ("Item into sorting center", "EDD"),
        ("  POSTING / collection  ", "EMA"),
        ("ARRIVAL AT INWARD OFFICE OF EXCHANGE", "EMD"),
        ("Item presented to import customs.", "EDB"),
        ("Unsuccessful (physical) delivery", "EMH"),
    ],
)
def test_national_variants_and_sloppy_labels_map_to_codes(label: str, code: str) -> None:
    assert code_for_upu_name(label) == code


@pytest.mark.parametrize("label", ["", None, "Final", "delivery", "Item", "Delivered to airline",
                                   "Posted by mistake"])
def test_labels_that_are_neither_vocabulary_have_no_code(label: str | None) -> None:
    assert code_for_upu_name(label) is None


# Every label the EMS Cooperative tracker was seen printing (ems-cooperative.md §2), with the UPU
# event, status and stage it must reach.
EMS_TRACKER_TABLE = [
    ("Posted", "EMA", Status.IN_TRANSIT, Stage.POSTED),
    ("Arrived at export office", "EMB", Status.IN_TRANSIT, Stage.EXPORT),
    ("Presented to export customs and security", "EXA", Status.IN_CUSTOMS, Stage.EXPORT),
    ("Held for export customs inspection", "EXB", Status.IN_CUSTOMS, Stage.EXPORT),
    ("Released from export customs and security", "EXC", Status.IN_TRANSIT, Stage.EXPORT),
    ("Export cancelled", "EXX", Status.EXCEPTION, None),
    ("Departed from export office", "EMC", Status.IN_TRANSIT, Stage.DEPARTED),
    ("Arrived at destination import office", "EMD", Status.IN_TRANSIT, Stage.ARRIVED),
    ("Held at destination import office", "EDA", Status.IN_TRANSIT, Stage.ARRIVED),
    ("Presented to import customs", "EDB", Status.IN_CUSTOMS, Stage.CUSTOMS),
    ("Released from import customs", "EDC", Status.IN_TRANSIT, Stage.CUSTOMS),
    ("Departed from destination import office", "EMF", Status.IN_TRANSIT, Stage.CUSTOMS),
    ("Arrived at sorting center", "EDD", Status.IN_TRANSIT, Stage.DELIVERY_OFFICE),
    ("Arrived at post office", "EMG", Status.IN_TRANSIT, Stage.DELIVERY_OFFICE),
    ("Out for delivery", "EDG", Status.OUT_FOR_DELIVERY, Stage.OUT_FOR_DELIVERY),
    ("Delivery attempted", "EMH", Status.DELIVERY_FAILED, Stage.OUT_FOR_DELIVERY),
    ("Delivered", "EMI", Status.DELIVERED, Stage.DELIVERED),
    ("Returned to sender", "EDX", Status.RETURNED, None),
]


@pytest.mark.parametrize(("label", "code", "status", "stage"), EMS_TRACKER_TABLE)
def test_every_ems_tracker_label_maps_to_its_upu_event(label: str, code: str, status: Status,
                                                       stage: Stage | None) -> None:
    assert classify_text(label) == (code, status, stage)
    sloppy = "  " + label.upper().replace(" ", "  ") + " "
    assert classify_text(sloppy) == (code, status, stage)


@pytest.mark.parametrize(("label", "code", "status", "stage"), EMS_TRACKER_TABLE)
def test_ems_tracker_labels_and_upu_names_of_one_event_share_its_code(
        label: str, code: str, status: Status, stage: Stage | None) -> None:
    if code in UPU_EVENTS:
        assert code_for_upu_name(UPU_EVENTS[code].name) == code_for_upu_name(label) == code


def test_tracker_short_labels_match_whole_not_as_a_prefix() -> None:
    # "Delivered" is a tracker label, but "Delivered to airline" is transport, not delivery.
    assert classify_text("Delivered to airline")[:2] == (None, Status.IN_TRANSIT)
    assert classify_text("Posted items are sorted")[0] is None


def test_export_release_is_in_transit_not_held() -> None:
    code, status, stage = classify_text("Released from export customs and security")
    assert (code, status, stage) == ("EXC", Status.IN_TRANSIT, Stage.EXPORT)
    events = [_ev("Released from export customs and security", "EXC"),
              _ev("Presented to export customs and security", "EXA")]
    assert status_from_events(events) == (Status.IN_TRANSIT, Stage.EXPORT)


@pytest.mark.parametrize("text", ["Available for pick-up", "Ready for pick up",
                                  "Available for pickup", "Arrived at pick-up point"])
def test_pick_up_with_or_without_hyphen_means_waiting_for_pickup(text: str) -> None:
    assert classify_text(text)[1] is Status.AVAILABLE_FOR_PICKUP


def test_unknown_tracker_label_falls_back_to_wording() -> None:
    assert classify_text("Awaiting customs documents") == (None, Status.IN_CUSTOMS, Stage.CUSTOMS)


def test_japan_post_retention_means_waiting_for_pickup() -> None:
    assert classify_text("Retention") == ("EDF", Status.AVAILABLE_FOR_PICKUP,
                                          Stage.DELIVERY_OFFICE)


def test_returned_to_sender_label_is_returned() -> None:
    assert classify_text("Returned to Sender") == ("EDX", Status.RETURNED, None)
    assert classify_text("Returned to the sender after 30 days") == (None, Status.RETURNED, None)


# --- wording --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "status", "stage"),
    [
        ("Customs release", Status.IN_TRANSIT, Stage.CUSTOMS),
        ("Released from import customs", Status.IN_TRANSIT, Stage.CUSTOMS),
        ("Item returned from import Customs", Status.IN_TRANSIT, Stage.CUSTOMS),
        ("Arrived at post office", Status.IN_TRANSIT, Stage.DELIVERY_OFFICE),
        ("Arrival at delivery office", Status.IN_TRANSIT, Stage.DELIVERY_OFFICE),
        ("Delivered to airline", Status.IN_TRANSIT, None),
        ("Handed over to the carrier, delivered to air carrier", Status.IN_TRANSIT, None),
        ("Not delivered - addressee absent", Status.DELIVERY_FAILED, Stage.OUT_FOR_DELIVERY),
        ("Delivery attempted, notice left", Status.DELIVERY_FAILED, Stage.OUT_FOR_DELIVERY),
    ],
)
def test_wording_traps_are_not_delivery(text: str, status: Status, stage: Stage | None) -> None:
    _, got_status, got_stage = classify_text(text)
    assert (got_status, got_stage) == (status, stage)
    assert got_status is not Status.DELIVERED


@pytest.mark.parametrize(
    ("text", "status", "stage"),
    [
        ("Delivered", Status.DELIVERED, Stage.DELIVERED),
        ("DELIVERED, signed by: WANG", Status.DELIVERED, Stage.DELIVERED),
        ("Out for delivery today", Status.OUT_FOR_DELIVERY, Stage.OUT_FOR_DELIVERY),
        ("Ready for pickup at the post office", Status.AVAILABLE_FOR_PICKUP,
         Stage.OUT_FOR_DELIVERY),
        ("Held by customs, awaiting documents", Status.IN_CUSTOMS, Stage.CUSTOMS),
        ("Export customs clearance in progress", Status.IN_CUSTOMS, Stage.EXPORT),
        ("Accepted at origin post office", Status.IN_TRANSIT, Stage.POSTED),
        ("Shipment information received", Status.INFO_RECEIVED, Stage.NONE),
        ("Arrived in destination country", Status.IN_TRANSIT, Stage.ARRIVED),
        ("Departed from origin country", Status.IN_TRANSIT, Stage.DEPARTED),
        ("Processed through sorting facility", Status.IN_TRANSIT, None),
        ("Return to sender in progress", Status.EXCEPTION, None),
        ("Parcel returned to sender", Status.RETURNED, None),
        ("Item lost", Status.EXCEPTION, None),
        ("EMI - Final delivery at counter", Status.DELIVERED, Stage.DELIVERED),
    ],
)
def test_english_wording_gives_the_status_and_stage_it_describes(
        text: str, status: Status, stage: Stage | None) -> None:
    _, got_status, got_stage = classify_text(text)
    assert (got_status, got_stage) == (status, stage)


@pytest.mark.parametrize(
    ("text", "status", "stage"),
    [
        ("【北京邮政速递】已收寄", Status.IN_TRANSIT, Stage.POSTED),
        ("离开【北京国际邮件互换局】，下一站【法兰克福】", Status.IN_TRANSIT, Stage.DEPARTED),
        ("到达【北京海关】", Status.IN_CUSTOMS, Stage.CUSTOMS),
        ("海关放行", Status.IN_TRANSIT, Stage.CUSTOMS),
        ("已妥投", Status.DELIVERED, Stage.DELIVERED),
        ("妥投，", Status.DELIVERED, Stage.DELIVERED),
        ("未妥投，收件人不在", Status.DELIVERY_FAILED, Stage.OUT_FOR_DELIVERY),
        ("正在投递", Status.OUT_FOR_DELIVERY, Stage.OUT_FOR_DELIVERY),
        ("邮件已退回", Status.RETURNED, None),
    ],
)
def test_chinese_wording_gives_the_status_and_stage_it_describes(
        text: str, status: Status, stage: Stage | None) -> None:
    _, got_status, got_stage = classify_text(text)
    assert (got_status, got_stage) == (status, stage)


def test_classify_text_returns_the_code_for_upu_names() -> None:
    assert classify_text("Item held by import Customs") == ("EME", Status.IN_CUSTOMS,
                                                            Stage.CUSTOMS)


@pytest.mark.parametrize("text", ["", "   ", None, "blah blah", "Hello world", "EMS"])
def test_unknown_wording_maps_to_nothing(text: str | None) -> None:
    assert classify_text(text) == (None, None, None)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.none(), st.text(max_size=200)))
def test_classify_text_never_raises(text: str | None) -> None:
    code, status, stage = classify_text(text)
    assert code is None or code in UPU_EVENTS
    assert status is None or isinstance(status, Status)
    assert stage is None or isinstance(stage, Stage)


def test_return_status_tells_returning_from_returned() -> None:
    assert return_status("Returning to sender") is Status.EXCEPTION
    assert return_status("Returned to sender") is Status.RETURNED
    assert return_status("Item returned from import Customs") is None
    assert return_status(None) is None


# --- whole timelines ------------------------------------------------------------------------


def _ev(description: str, code: str | None = None, **kw: object) -> Event:
    return Event(time_raw="", description=description, code=code, **kw)  # type: ignore[arg-type]


def _timeline(*codes: str) -> list[Event]:
    """Newest-first events from oldest-first codes."""
    return [_ev(UPU_EVENTS[c].name, c) for c in reversed(codes)]


@pytest.mark.parametrize(
    ("codes", "status", "stage"),
    [
        (("EMA", "EMB", "EMC", "EMD", "EDB", "EME"), Status.IN_CUSTOMS, Stage.CUSTOMS),
        (("EMA", "EMC", "EMD", "EMF", "EDG", "EMI"), Status.DELIVERED, Stage.DELIVERED),
        (("EMA", "EMC", "EMD", "EDG", "EMH"), Status.DELIVERY_FAILED, Stage.OUT_FOR_DELIVERY),
        (("EMA", "EMC", "EMD", "EDH"), Status.AVAILABLE_FOR_PICKUP, Stage.OUT_FOR_DELIVERY),
        (("EMA", "EMB", "EXX"), Status.EXCEPTION, Stage.EXPORT),
        (("EMA", "EMC", "EMD", "EDX"), Status.EXCEPTION, Stage.ARRIVED),
        (("EMA", "EMC", "EMD", "EME", "EDC"), Status.IN_TRANSIT, Stage.CUSTOMS),
        (("EMA",), Status.IN_TRANSIT, Stage.POSTED),
    ],
)
def test_status_from_events_uses_the_newest_meaningful_event(
    codes: tuple[str, ...], status: Status, stage: Stage
) -> None:
    assert status_from_events(_timeline(*codes)) == (status, stage)


def test_stage_never_moves_backwards() -> None:
    # The destination's arrival scan listed before a late origin scan (cross-leg clock skew).
    events = _timeline("EMA", "EMC", "EMD", "EMB")
    assert status_from_events(events) == (Status.IN_TRANSIT, Stage.ARRIVED)


def test_unknown_wording_does_not_override_the_last_known_status() -> None:
    events = [_ev("Your parcel says hello"), *_timeline("EMA", "EMD", "EME")]
    assert status_from_events(events) == (Status.IN_CUSTOMS, Stage.CUSTOMS)


def test_delivered_is_terminal_against_later_noise() -> None:
    events = [_ev("Arrival at delivery office", "EMG"), *_timeline("EMA", "EMD", "EMI")]
    assert status_from_events(events) == (Status.DELIVERED, Stage.DELIVERED)


def test_info_received_after_a_real_scan_does_not_regress_status() -> None:
    events = [_ev("Shipment information received"), *_timeline("EMA", "EMB")]
    assert status_from_events(events) == (Status.IN_TRANSIT, Stage.EXPORT)


def test_return_journey_keeps_return_status_and_does_not_advance_stage() -> None:
    events = [
        _ev("Final delivery", "EMI"),  # delivered back to the sender
        _ev("Arrival at inward office of exchange", "EMD"),
        _ev("Returned to Sender"),
        *_timeline("EMA", "EMC"),
    ]
    assert status_from_events(events) == (Status.RETURNED, Stage.DEPARTED)
    assert status_from_events(events[1:]) == (Status.RETURNED, Stage.DEPARTED)


def test_being_returned_is_an_exception_until_it_is_back() -> None:
    events = [_ev("Departure from outward office of exchange", "EMC"),
              _ev("Return to sender"), *_timeline("EMA", "EMC", "EMD")]
    assert status_from_events(events) == (Status.EXCEPTION, Stage.ARRIVED)


def test_provider_set_status_and_stage_win_over_wording() -> None:
    events = [_ev("Some carrier text", status=Status.OUT_FOR_DELIVERY,
                  stage=Stage.OUT_FOR_DELIVERY)]
    assert status_from_events(events) == (Status.OUT_FOR_DELIVERY, Stage.OUT_FOR_DELIVERY)
    assert classify_event(_ev("Final delivery", status=Status.IN_TRANSIT)) == (
        Status.IN_TRANSIT, Stage.DELIVERED)


def test_unknown_code_falls_back_to_wording() -> None:
    assert classify_event(_ev("Item held by import Customs", "ZZZ")) == (
        Status.IN_CUSTOMS, Stage.CUSTOMS)


def test_no_events_or_no_meaningful_events_is_unknown() -> None:
    assert status_from_events([]) == (Status.UNKNOWN, Stage.NONE)
    assert status_from_events([_ev("???")]) == (Status.UNKNOWN, Stage.NONE)


def test_upu_name_followed_by_detail_still_gives_its_code() -> None:
    from emstui.core.statusmap import classify_text, code_for_upu_name

    assert code_for_upu_name("Item held by import Customs: invoice required") == "EME"
    assert classify_text("Arrival at inward office of exchange, FRANKFURT")[0] == "EMD"
    assert code_for_upu_name("Item held by import Customsx") is None
