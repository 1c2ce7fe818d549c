"""17TRACK's status vocabulary (main statuses, sub-statuses, milestone key stages) mapped to the
app's Status and Stage. It is 17TRACK's own, so it lives with the adapter, not in the domain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from emstui.core.model import Stage, Status

_S = Status
_G = Stage


def _key(value: object) -> str:
    """Case- and punctuation-insensitive key for enum-like strings ("InTransit_PickedUp")."""
    if not isinstance(value, str):
        return ""
    return re.sub(r"[^0-9a-z]", "", value.casefold())


_17_MAIN: dict[str, Status] = {
    _key(k): v
    for k, v in {
        "NotFound": _S.NOT_FOUND,
        "InfoReceived": _S.INFO_RECEIVED,
        "InTransit": _S.IN_TRANSIT,
        "Expired": _S.EXPIRED,
        "AvailableForPickup": _S.AVAILABLE_FOR_PICKUP,
        "OutForDelivery": _S.OUT_FOR_DELIVERY,
        "DeliveryFailure": _S.DELIVERY_FAILED,
        "Delivered": _S.DELIVERED,
        "Exception": _S.EXCEPTION,
    }.items()
}

# sub_status -> (main status it belongs to, normalised status, stage or None)
_17_SUB_RAW: dict[str, tuple[str, Status, Stage | None]] = {
    "NotFound_Other": ("NotFound", _S.NOT_FOUND, None),
    "NotFound_InvalidCode": ("NotFound", _S.NOT_FOUND, None),
    "InfoReceived": ("InfoReceived", _S.INFO_RECEIVED, _G.NONE),
    "InTransit_PickedUp": ("InTransit", _S.IN_TRANSIT, _G.POSTED),
    "InTransit_Other": ("InTransit", _S.IN_TRANSIT, None),
    "InTransit_Departure": ("InTransit", _S.IN_TRANSIT, _G.DEPARTED),
    "InTransit_Arrival": ("InTransit", _S.IN_TRANSIT, _G.ARRIVED),
    "InTransit_CustomsProcessing": ("InTransit", _S.IN_CUSTOMS, _G.CUSTOMS),
    # Released from customs is not delivered: the parcel moves on.
    "InTransit_CustomsReleased": ("InTransit", _S.IN_TRANSIT, _G.CUSTOMS),
    "InTransit_CustomsRequiringInformation": ("InTransit", _S.IN_CUSTOMS, _G.CUSTOMS),
    "Expired_Other": ("Expired", _S.EXPIRED, None),
    "AvailableForPickup_Other": ("AvailableForPickup", _S.AVAILABLE_FOR_PICKUP,
                                 _G.OUT_FOR_DELIVERY),
    "OutForDelivery_Other": ("OutForDelivery", _S.OUT_FOR_DELIVERY, _G.OUT_FOR_DELIVERY),
    "DeliveryFailure_Other": ("DeliveryFailure", _S.DELIVERY_FAILED, _G.OUT_FOR_DELIVERY),
    "DeliveryFailure_NoBody": ("DeliveryFailure", _S.DELIVERY_FAILED, _G.OUT_FOR_DELIVERY),
    "DeliveryFailure_Security": ("DeliveryFailure", _S.DELIVERY_FAILED, _G.OUT_FOR_DELIVERY),
    "DeliveryFailure_Rejected": ("DeliveryFailure", _S.DELIVERY_FAILED, _G.OUT_FOR_DELIVERY),
    "DeliveryFailure_InvalidAddress": ("DeliveryFailure", _S.DELIVERY_FAILED,
                                       _G.OUT_FOR_DELIVERY),
    "Delivered_Other": ("Delivered", _S.DELIVERED, _G.DELIVERED),
    "Exception_Other": ("Exception", _S.EXCEPTION, None),
    # Still travelling back: not final, so not RETURNED yet.
    "Exception_Returning": ("Exception", _S.EXCEPTION, None),
    "Exception_Returned": ("Exception", _S.RETURNED, None),
    "Exception_NoBody": ("Exception", _S.EXCEPTION, None),
    "Exception_Security": ("Exception", _S.EXCEPTION, None),
    "Exception_Damage": ("Exception", _S.EXCEPTION, None),
    "Exception_Damaged": ("Exception", _S.EXCEPTION, None),
    "Exception_Rejected": ("Exception", _S.EXCEPTION, None),
    "Exception_Delayed": ("Exception", _S.EXCEPTION, None),
    "Exception_Lost": ("Exception", _S.EXCEPTION, None),
    "Exception_Destroyed": ("Exception", _S.EXCEPTION, None),
    "Exception_Cancel": ("Exception", _S.EXCEPTION, None),
}
SEVENTEEN_SUB_STATUSES: tuple[str, ...] = tuple(_17_SUB_RAW)
SEVENTEEN_MAIN_STATUSES: tuple[str, ...] = (
    "NotFound", "InfoReceived", "InTransit", "Expired", "AvailableForPickup", "OutForDelivery",
    "DeliveryFailure", "Delivered", "Exception",
)
_17_SUB: dict[str, tuple[str, Status, Stage | None]] = {
    _key(k): (_key(main), status, stage) for k, (main, status, stage) in _17_SUB_RAW.items()
}

_17_KEY_STAGE: dict[str, Stage | None] = {
    _key(k): v
    for k, v in {
        "InfoReceived": _G.NONE,
        "PickedUp": _G.POSTED,
        "Departure": _G.DEPARTED,
        "Arrival": _G.ARRIVED,
        "AvailableForPickup": _G.OUT_FOR_DELIVERY,
        "OutForDelivery": _G.OUT_FOR_DELIVERY,
        "Delivered": _G.DELIVERED,
        "Returning": None,
        "Returned": None,
    }.items()
}


def _sub_family(sub_status: object) -> str:
    """The main-status part of an unknown sub-status like "InTransit_NewThing"."""
    if not isinstance(sub_status, str) or "_" not in sub_status:
        return ""
    return _key(sub_status.split("_", 1)[0])


def from_17track(status: str | None, sub_status: str | None) -> Status:
    """17TRACK `latest_status.status` + `sub_status` -> Status; the sub-status refines the main."""
    main = _17_MAIN.get(_key(status))
    sub = _17_SUB.get(_key(sub_status))
    if sub is not None and (main is None or sub[0] == _key(status)):
        return sub[1]
    if main is not None:
        return main
    return _17_MAIN.get(_sub_family(sub_status), Status.UNKNOWN)


def stage_from_key_stage(key_stage: str | None) -> Stage | None:
    """A 17TRACK milestone `key_stage` -> Stage (None for returns and unknown values)."""
    return _17_KEY_STAGE.get(_key(key_stage))


def stage_from_17track(sub_status: str | None, milestone_stage: str | None = None) -> Stage | None:
    """Stage from a 17TRACK sub-status and the furthest reached milestone, whichever is further."""
    sub = _17_SUB.get(_key(sub_status))
    candidates = [sub[2] if sub else None, stage_from_key_stage(milestone_stage)]
    return _furthest(candidates)


def furthest_milestone(key_stages: Iterable[str | None]) -> Stage | None:
    """The furthest Stage among reached milestone key_stages (pass only those with a time)."""
    return _furthest(stage_from_key_stage(k) for k in key_stages)


def _furthest(stages: Iterable[Stage | None]) -> Stage | None:
    best: Stage | None = None
    for stage in stages:
        if stage is not None and (best is None or stage.index > best.index):
            best = stage
    return best


