"""emstui.providers.seventeentrack_status: 17TRACK's statuses, sub-statuses and key stages."""

from __future__ import annotations

import pytest

from emstui.core.model import Stage, Status
from emstui.providers.seventeentrack_status import (
    SEVENTEEN_MAIN_STATUSES,
    SEVENTEEN_SUB_STATUSES,
    from_17track,
    furthest_milestone,
    stage_from_17track,
    stage_from_key_stage,
)

# --- 17TRACK --------------------------------------------------------------------------------

MAIN_EXPECTED = {
    "NotFound": Status.NOT_FOUND,
    "InfoReceived": Status.INFO_RECEIVED,
    "InTransit": Status.IN_TRANSIT,
    "Expired": Status.EXPIRED,
    "AvailableForPickup": Status.AVAILABLE_FOR_PICKUP,
    "OutForDelivery": Status.OUT_FOR_DELIVERY,
    "DeliveryFailure": Status.DELIVERY_FAILED,
    "Delivered": Status.DELIVERED,
    "Exception": Status.EXCEPTION,
}

# All 30 documented sub-statuses plus the "Exception_Damaged" spelling.
SUB_EXPECTED = {
    "NotFound_Other": Status.NOT_FOUND,
    "NotFound_InvalidCode": Status.NOT_FOUND,
    "InfoReceived": Status.INFO_RECEIVED,
    "InTransit_PickedUp": Status.IN_TRANSIT,
    "InTransit_Other": Status.IN_TRANSIT,
    "InTransit_Departure": Status.IN_TRANSIT,
    "InTransit_Arrival": Status.IN_TRANSIT,
    "InTransit_CustomsProcessing": Status.IN_CUSTOMS,
    "InTransit_CustomsReleased": Status.IN_TRANSIT,
    "InTransit_CustomsRequiringInformation": Status.IN_CUSTOMS,
    "Expired_Other": Status.EXPIRED,
    "AvailableForPickup_Other": Status.AVAILABLE_FOR_PICKUP,
    "OutForDelivery_Other": Status.OUT_FOR_DELIVERY,
    "DeliveryFailure_Other": Status.DELIVERY_FAILED,
    "DeliveryFailure_NoBody": Status.DELIVERY_FAILED,
    "DeliveryFailure_Security": Status.DELIVERY_FAILED,
    "DeliveryFailure_Rejected": Status.DELIVERY_FAILED,
    "DeliveryFailure_InvalidAddress": Status.DELIVERY_FAILED,
    "Delivered_Other": Status.DELIVERED,
    "Exception_Other": Status.EXCEPTION,
    "Exception_Returning": Status.EXCEPTION,
    "Exception_Returned": Status.RETURNED,
    "Exception_NoBody": Status.EXCEPTION,
    "Exception_Security": Status.EXCEPTION,
    "Exception_Damage": Status.EXCEPTION,
    "Exception_Damaged": Status.EXCEPTION,
    "Exception_Rejected": Status.EXCEPTION,
    "Exception_Delayed": Status.EXCEPTION,
    "Exception_Lost": Status.EXCEPTION,
    "Exception_Destroyed": Status.EXCEPTION,
    "Exception_Cancel": Status.EXCEPTION,
}


def test_tables_cover_every_documented_17track_value() -> None:
    assert set(SEVENTEEN_MAIN_STATUSES) == set(MAIN_EXPECTED)
    assert set(SEVENTEEN_SUB_STATUSES) == set(SUB_EXPECTED)
    assert len(SUB_EXPECTED) == 31  # 30 documented + the Damaged spelling


@pytest.mark.parametrize(("main", "expected"), MAIN_EXPECTED.items())
def test_each_17track_main_status_maps_to_its_status(main: str, expected: Status) -> None:
    assert from_17track(main, None) is expected


@pytest.mark.parametrize(("sub", "expected"), SUB_EXPECTED.items())
def test_each_17track_sub_status_maps_with_its_main_status(sub: str, expected: Status) -> None:
    main = sub.split("_", 1)[0]
    assert from_17track(main, sub) is expected
    assert from_17track(None, sub) is expected


def test_customs_released_is_not_delivered() -> None:
    assert from_17track("InTransit", "InTransit_CustomsReleased") is Status.IN_TRANSIT


@pytest.mark.parametrize(
    ("status", "sub_status"),
    [(None, None), ("", ""), ("Teleported", None), ("Teleported", "Teleported_Other"),
     (None, "Whatever"), ("42", "_"), ("NotAStatus", "Delivered")],
)
def test_unknown_17track_values_map_to_unknown_without_raising(
    status: str | None, sub_status: str | None
) -> None:
    assert from_17track(status, sub_status) is Status.UNKNOWN


def test_non_string_17track_values_do_not_raise() -> None:
    assert from_17track(3, ["x"]) is Status.UNKNOWN  # type: ignore[arg-type]


def test_new_sub_status_falls_back_to_its_main_status() -> None:
    assert from_17track("InTransit", "InTransit_NewFutureValue") is Status.IN_TRANSIT
    assert from_17track(None, "Delivered_NewFutureValue") is Status.DELIVERED


def test_sub_status_contradicting_main_status_yields_to_main() -> None:
    assert from_17track("Delivered", "InTransit_Other") is Status.DELIVERED


def test_17track_values_are_matched_case_and_punctuation_insensitively() -> None:
    assert from_17track(" delivered ", "delivered_other") is Status.DELIVERED
    assert from_17track("IN_TRANSIT", "intransit-customsprocessing") is Status.IN_CUSTOMS


@pytest.mark.parametrize(
    ("key_stage", "expected"),
    [("InfoReceived", Stage.NONE), ("PickedUp", Stage.POSTED), ("Departure", Stage.DEPARTED),
     ("Arrival", Stage.ARRIVED), ("AvailableForPickup", Stage.OUT_FOR_DELIVERY),
     ("OutForDelivery", Stage.OUT_FOR_DELIVERY), ("Delivered", Stage.DELIVERED),
     ("Returning", None), ("Returned", None), ("Beamed", None), (None, None)],
)
def test_each_milestone_key_stage_maps_to_its_stage(
        key_stage: str | None, expected: Stage | None) -> None:
    assert stage_from_key_stage(key_stage) is expected


def test_stage_from_17track_takes_the_further_of_sub_status_and_milestone() -> None:
    assert stage_from_17track("InTransit_CustomsProcessing", "Arrival") is Stage.CUSTOMS
    assert stage_from_17track("InTransit_Other", "Departure") is Stage.DEPARTED
    assert stage_from_17track("Delivered_Other", None) is Stage.DELIVERED
    assert stage_from_17track("Exception_Lost", None) is None
    assert stage_from_17track("Nonsense", "Nonsense") is None


def test_furthest_milestone_picks_the_furthest_reached() -> None:
    assert furthest_milestone(["InfoReceived", "PickedUp", "Departure"]) is Stage.DEPARTED
    assert furthest_milestone(["Delivered", "PickedUp"]) is Stage.DELIVERED
    assert furthest_milestone([]) is None
