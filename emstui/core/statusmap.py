"""Map UPU EMS event codes/names and event wording to the app's Status and Stage.

Stage decisions (ems-events.md gives finer stages; the app's Stage enum is coarser):

* accepted EMA -> POSTED; origin processing EMB/EXD and export customs EXA-EXC -> EXPORT;
* EMC (left origin) and transit EMJ/EMK -> DEPARTED; EMD/EDA (at the import hub) -> ARRIVED;
* import customs EDB/EME/EDC -> CUSTOMS; EMF (left the import hub, which happens after customs
  clearance) -> CUSTOMS too, so the bar shows customs as passed;
* destination sorting and delivery office EDD/EDE/EMG/EDF -> DELIVERY_OFFICE;
* EDG out for delivery, EDH available for pick-up and EMH failed attempt -> OUT_FOR_DELIVERY:
  all three mean the last-mile move is done and only the hand-over is missing;
* EMI -> DELIVERED; EXX/EDX (cancelled/terminated) have no stage and never move the bar.

Nothing here raises on unknown input: unknown values map to Status.UNKNOWN or None.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from emstui.core.model import Event, Stage, Status

_S = Status
_G = Stage


# --- UPU EMS event codes ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UpuEvent:
    """One UPU EMSEVT code with its English UPU name and the app's status/stage for it."""

    code: str
    name: str
    status: Status
    stage: Stage | None


UPU_EVENTS: dict[str, UpuEvent] = {
    e.code: e
    for e in (
        UpuEvent("EMA", "Posting/Collection", _S.IN_TRANSIT, _G.POSTED),
        UpuEvent("EMB", "Arrival at outward office of exchange", _S.IN_TRANSIT, _G.EXPORT),
        UpuEvent("EXA", "Item presented to export Customs/Security", _S.IN_CUSTOMS, _G.EXPORT),
        UpuEvent("EXB", "Item held by export Customs/Security", _S.IN_CUSTOMS, _G.EXPORT),
        UpuEvent("EXC", "Item returned from export Customs/Security", _S.IN_TRANSIT, _G.EXPORT),
        UpuEvent("EXD", "Item held at outward office of exchange", _S.IN_TRANSIT, _G.EXPORT),
        UpuEvent("EXX", "Export cancellation", _S.EXCEPTION, None),
        UpuEvent("EMC", "Departure from outward office of exchange", _S.IN_TRANSIT, _G.DEPARTED),
        UpuEvent("EMJ", "Arrival at transit office of exchange", _S.IN_TRANSIT, _G.DEPARTED),
        UpuEvent("EMK", "Departure from transit office of exchange", _S.IN_TRANSIT, _G.DEPARTED),
        UpuEvent("EMD", "Arrival at inward office of exchange", _S.IN_TRANSIT, _G.ARRIVED),
        UpuEvent("EDA", "Held at inward office of exchange", _S.IN_TRANSIT, _G.ARRIVED),
        UpuEvent("EDB", "Item presented to import Customs", _S.IN_CUSTOMS, _G.CUSTOMS),
        UpuEvent("EME", "Item held by import Customs", _S.IN_CUSTOMS, _G.CUSTOMS),
        UpuEvent("EDC", "Item returned from import Customs", _S.IN_TRANSIT, _G.CUSTOMS),
        UpuEvent("EMF", "Departure from inward office of exchange", _S.IN_TRANSIT, _G.CUSTOMS),
        UpuEvent("EDD", "Item into sorting centre", _S.IN_TRANSIT, _G.DELIVERY_OFFICE),
        UpuEvent("EDE", "Item out of sorting centre", _S.IN_TRANSIT, _G.DELIVERY_OFFICE),
        UpuEvent("EMG", "Arrival at delivery office", _S.IN_TRANSIT, _G.DELIVERY_OFFICE),
        UpuEvent("EDF", "Item held at delivery depot/delivery office", _S.IN_TRANSIT,
                 _G.DELIVERY_OFFICE),
        UpuEvent("EDG", "Item out for physical delivery", _S.OUT_FOR_DELIVERY,
                 _G.OUT_FOR_DELIVERY),
        UpuEvent("EDH", "Item arrival at collection point for pick-up (by recipient)",
                 _S.AVAILABLE_FOR_PICKUP, _G.OUT_FOR_DELIVERY),
        UpuEvent("EMH", "Unsuccessful (physical) delivery", _S.DELIVERY_FAILED,
                 _G.OUT_FOR_DELIVERY),
        UpuEvent("EMI", "Final delivery", _S.DELIVERED, _G.DELIVERED),
        UpuEvent("EDX", "Import terminated", _S.EXCEPTION, None),
        # UNCONFIRMED legacy code ("Item out of sorting centre (legacy)").
        UpuEvent("EMX", "Item out of sorting centre (legacy)", _S.IN_TRANSIT, _G.DELIVERY_OFFICE),
    )
}


def from_upu_code(code: str | None) -> tuple[Status | None, Stage | None]:
    """A UPU EMSEVT event code ("EMI", " emi ") -> (Status, Stage); (None, None) when unknown."""
    event = UPU_EVENTS.get(code.strip().upper()) if isinstance(code, str) else None
    if event is None:
        return None, None
    return event.status, event.stage


def _name_key(text: object) -> str:
    """Normalise a UPU event name for lookup: case, punctuation, spacing, "item", centre/center."""
    if not isinstance(text, str):
        return ""
    s = re.sub(r"[^\w]+", " ", text.casefold()).strip()
    s = re.sub(r"\bcenter\b", "centre", s)
    s = re.sub(r"\bpick ?up\b", "pick up", s)
    return re.sub(r"^(?:the )?item ", "", s)


# Aliases seen on national trackers (mostly Japan Post English labels; mappings UNCONFIRMED).
_NAME_ALIASES: dict[str, str] = {
    "Posting": "EMA",
    "Collection": "EMA",
    "Dispatch from outward office of exchange": "EMC",
    "Dispatched from outward office of exchange": "EMC",
    "Dispatch from transit office of exchange": "EMK",
    "Dispatch from inward office of exchange": "EMF",
    "Item held at inward office of exchange": "EDA",
    "Held by import Customs": "EME",
    "Item held by Customs": "EME",
    "Item presented to Customs": "EDB",
    "Item returned from Customs": "EDC",
    "Item returned from customs (import)": "EDC",
    "Item presented to export Customs": "EXA",
    "Item held by export Customs": "EXB",
    "Item returned from export Customs": "EXC",
    "Processing at delivery Post Office": "EMG",
    "Arrival at delivery Post Office": "EMG",
    "Item held at delivery depot": "EDF",
    "Item held at delivery office": "EDF",
    "Retention": "EDF",
    "Office closed. Retention.": "EDF",
    "Item arrival at collection point for pick-up": "EDH",
    "Unsuccessful delivery": "EMH",
    "Absence. Attempted delivery.": "EMH",
    "Final delivery - Collected at counter": "EMI",
    "Item out of sorting centre": "EDE",
}

# The labels the EMS Cooperative tracker prints (specs/ems-cooperative.md section 2, every label
# seen live), with the UPU event each one corresponds to. These are not the UPU names above:
# both vocabularies must map, since 17TRACK and national posts still send the UPU names.
EMS_TRACKER_LABELS: dict[str, str] = {
    "Posted": "EMA",
    "Arrived at export office": "EMB",
    "Presented to export customs and security": "EXA",
    "Held for export customs inspection": "EXB",
    "Released from export customs and security": "EXC",
    "Export cancelled": "EXX",
    "Departed from export office": "EMC",
    "Arrived at destination import office": "EMD",
    "Held at destination import office": "EDA",
    "Presented to import customs": "EDB",
    "Released from import customs": "EDC",
    "Departed from destination import office": "EMF",
    "Arrived at sorting center": "EDD",
    "Arrived at post office": "EMG",
    "Out for delivery": "EDG",
    "Delivery attempted": "EMH",
    "Delivered": "EMI",
    "Returned to sender": "EDX",
}

_NAME_TO_CODE: dict[str, str] = {_name_key(e.name): e.code for e in UPU_EVENTS.values()}
_NAME_TO_CODE[_name_key("Item out of sorting centre")] = "EDE"  # EMX's name is a legacy twin
_NAME_TO_CODE.update({_name_key(k): v for k, v in _NAME_ALIASES.items()})
_NAME_TO_CODE.update({_name_key(k): v for k, v in EMS_TRACKER_LABELS.items()})

# Names whose meaning is more specific than their code's default status.
_NAME_STATUS_OVERRIDE: dict[str, tuple[Status, Stage | None]] = {
    # Japan Post "Retention": kept at the post office for the addressee to collect.
    _name_key("Retention"): (_S.AVAILABLE_FOR_PICKUP, _G.DELIVERY_OFFICE),
    _name_key("Office closed. Retention."): (_S.AVAILABLE_FOR_PICKUP, _G.DELIVERY_OFFICE),
    # The tracker's "Returned to sender" is the return itself, not an import termination
    # awaiting a decision: the code is EDX (so it matches the same scan from 17TRACK), the
    # meaning is RETURNED.
    _name_key("Returned to sender"): (_S.RETURNED, None),
}


def code_for_upu_name(text: str | None) -> str | None:
    """The UPU code for an event name as shown by trackers (EMS Cooperative, Japan Post), or None.

    Tolerant of case, spacing, punctuation, a leading "Item", "center"/"centre" and a trailing
    "(by recipient)". The EMS Cooperative tracker's plain labels ("Departed from export office")
    map too, but only whole: appended detail is accepted after UPU names only.
    """
    key = _name_key(text)
    if not key:
        return None
    code = _NAME_TO_CODE.get(key)
    if code is None and key.endswith(" by recipient"):
        code = _NAME_TO_CODE.get(key.removesuffix(" by recipient"))
    if code is None:
        # Aggregators append detail: "Item held by import Customs: invoice required".
        for name in _NAMES_LONGEST_FIRST:
            if key.startswith(name + " "):
                return _NAME_TO_CODE[name]
    return code


# Only UPU names and their national variants take appended detail; the tracker's short labels
# must match whole ("Delivered to airline" is not "Delivered").
_NAMES_LONGEST_FIRST: tuple[str, ...] = tuple(sorted(
    set(_NAME_TO_CODE) - {_name_key(label) for label in EMS_TRACKER_LABELS},
    key=len, reverse=True))


# --- Event wording ---------------------------------------------------------------------------

_RETURN_DONE = r"returned to (?:the )?(?:sender|shipper|origin)|已退回|退回妥投|退件妥投"
_RETURN_GOING = (r"return(?:ing)? to (?:the )?(?:sender|shipper|origin)|being returned"
                 r"|return in progress|退回|退件|退还")

# (pattern, status, stage). First match wins, so traps come before the words they contain:
# "returned from import Customs" is customs, "not delivered"/"未妥投" are failures,
# "delivered to airline" is transport, "delivery office"/"post office" are not delivery.
_TEXT_RULES: tuple[tuple[re.Pattern[str], Status | None, Stage | None], ...] = tuple(
    (re.compile(p), st, sg)
    for p, st, sg in (
        (_RETURN_DONE, _S.RETURNED, None),
        (_RETURN_GOING, _S.EXCEPTION, None),
        (r"\b(?:export|import) (?:cancell?ation|cancell?ed|terminated)\b|\blost\b"
         r"|\bdestroyed\b|\bdamaged?\b|\bcancell?ed\b|丢失|销毁|损毁|取消", _S.EXCEPTION, None),
        (r"\bexport\b.*\bcustoms\b.*\b(?:release|released|cleared|returned from)\b"
         r"|\bcustoms\b.*\bexport\b.*\b(?:release|released|cleared)\b"
         r"|出口.*(?:放行|清关完成)", _S.IN_TRANSIT, _G.EXPORT),
        (r"\bexport customs\b|\bexport clearance\b|\bcustoms\b.*\bexport\b"
         r"|出口.*(?:海关|报关|清关)",
         _S.IN_CUSTOMS, _G.EXPORT),
        (r"\bcustoms (?:release|released|cleared|clearance complete)"
         r"|\b(?:released|cleared|returned) (?:from|by|through) (?:\w+ )?customs\b"
         r"|\bcleared customs\b|\bclearance (?:complete|completed|finished)\b"
         r"|海关放行|放行|清关完成|通关完成|清关完毕", _S.IN_TRANSIT, _G.CUSTOMS),
        (r"\bcustoms\b|\bclearance\b|\bduty\b|\bduties\b|海关|清关|通关|关税|報関|税関",
         _S.IN_CUSTOMS, _G.CUSTOMS),
        (r"\bunsuccessful\b|\b(?:attempted|failed) delivery\b|\bdelivery (?:attempt|failed|failure)"
         r"|\bnot delivered\b|\bundeliver|\bcould not be delivered\b|\babsence\b|\bnotice left\b"
         r"|\brefused\b|未妥投|投递失败|投递不成功|无法投递|未投递",
         _S.DELIVERY_FAILED, _G.OUT_FOR_DELIVERY),
        (r"\bcollection point\b|\b(?:ready|available|awaiting) for (?:pick[ -]?up|collection)"
         r"|\bawaiting collection\b|\bpick[ -]?up (?:point|location|station)\b"
         r"|待领取|待取|待自提|自提点|可领取|领取点",
         _S.AVAILABLE_FOR_PICKUP, _G.OUT_FOR_DELIVERY),
        (r"\bout for (?:physical )?delivery\b|\bwith (?:the )?courier\b|\bon (?:its )?way to "
         r"(?:the )?(?:recipient|addressee)\b|\ballocated to delivery staff\b"
         r"|\bdelivery in progress|派送中|正在派送|正在投递|投递中|安排投递|派件",
         _S.OUT_FOR_DELIVERY, _G.OUT_FOR_DELIVERY),
        (r"\bdelivered to (?:the )?(?:air|airline|carrier|airport|customs|post|postal|hub|"
         r"sorting|transport|partner|local|destination country|operator|warehouse)",
         _S.IN_TRANSIT, None),
        (r"\bfinal delivery\b|\bdelivered\b|\bcollected by (?:the )?(?:recipient|addressee|"
         r"customer)|\bsigned (?:for|by)\b|妥投|签收|已投递|配達完了|お届け済み",
         _S.DELIVERED, _G.DELIVERED),
        (r"\binformation received\b|\bpre-?advice\b|\belectronic (?:advice|information)\b"
         r"|\blabel created\b|\bshipment data\b|\bnot yet received\b|电子信息|已下单|预报",
         _S.INFO_RECEIVED, _G.NONE),
        (r"\bposting\b|\bposted\b|\baccepted\b|\bacceptance\b|\bpicked[ -]up\b|\bcollected\b"
         r"|已收寄|收寄|揽收|揽件|引受", _S.IN_TRANSIT, _G.POSTED),
        (r"(?:离开|发往|已发出).*(?:互换局|交换局)"
         r"|\bdepart\w* (?:from )?(?:the )?(?:origin|outward)"
         r"|\bleft (?:the )?(?:origin|country of origin)\b|\bdispatch\w* (?:from )?(?:the )?"
         r"(?:origin|outward)|\bflight departed\b|\bdeparted (?:from )?airport\b",
         _S.IN_TRANSIT, _G.DEPARTED),
        (r"\barriv\w* (?:at|in) (?:the )?(?:destination|inward)|\bdestination country\b"
         r"|到达目的地|抵达目的地|到达寄达国", _S.IN_TRANSIT, _G.ARRIVED),
        (r"\bdelivery (?:office|depot|post office|station)\b"
         r"|\barriv\w* at (?:the )?post office\b|\blocal post office\b"
         r"|投递局|派送站|投递站|到达投递", _S.IN_TRANSIT, _G.DELIVERY_OFFICE),
        (r"\btransit\b|\barriv\w*\b|\bdepart\w*\b|\bdispatch\w*\b|\bsort\w*\b|\bprocess\w*\b"
         r"|\bleft\b|\bhub\b|\bfacility\b|\bforwarded\b"
         r"|运输中|到达|离开|转运|发往|分拣|处理中心|经转",
         _S.IN_TRANSIT, None),
    )
)

_RETURN_DONE_RE = re.compile(_RETURN_DONE)
_RETURN_GOING_RE = re.compile(_RETURN_GOING)
_MAX_TEXT = 1000
_LEADING_CODE_RE = re.compile(r"^\s*\[?([A-Z]{3})\]?(?:\s*[-:–—|]\s*|\s+|$)")


def classify_text(description: str | None) -> tuple[str | None, Status | None, Stage | None]:
    """Event wording -> (UPU code or None, Status or None, Stage or None). Never raises.

    Exact UPU names (and known national variants) win; then a leading known code ("EMI - ...");
    then keyword rules in English and common Chinese phrases. Unknown wording -> (None, None, None).
    """
    if not isinstance(description, str) or not description.strip():
        return None, None, None
    description = description[:_MAX_TEXT]  # bounds the cost of the ".*" rules
    key = _name_key(description)
    code = code_for_upu_name(description)
    if code is not None:
        override = _NAME_STATUS_OVERRIDE.get(key)
        if override is not None:
            return code, override[0], override[1]
        status, stage = from_upu_code(code)
        return code, status, stage
    match = _LEADING_CODE_RE.match(description)
    if match and match.group(1) in UPU_EVENTS:
        code = match.group(1)
        status, stage = from_upu_code(code)
        return code, status, stage
    text = " ".join(description.casefold().split())
    for pattern, status, stage in _TEXT_RULES:
        if pattern.search(text):
            return None, status, stage
    return None, None, None


def return_status(description: str | None) -> Status | None:
    """RETURNED for "returned to sender" wording, EXCEPTION for "being returned", else None."""
    if not isinstance(description, str):
        return None
    text = " ".join(description[:_MAX_TEXT].casefold().split())
    if _RETURN_DONE_RE.search(text):
        return Status.RETURNED
    if _RETURN_GOING_RE.search(text):
        return Status.EXCEPTION
    return None


# --- Whole-timeline status -------------------------------------------------------------------


def classify_event(event: Event) -> tuple[Status | None, Stage | None]:
    """An event's own status/stage if set, else from its UPU code, else from its wording."""
    status, stage = event.status, event.stage
    if status is not None and stage is not None:
        return status, stage
    if event.code:
        d_status, d_stage = from_upu_code(event.code)
    else:
        d_status, d_stage = None, None
    if d_status is None:
        _, d_status, d_stage = classify_text(event.description)
    return (status if status is not None else d_status,
            stage if stage is not None else d_stage)


def status_from_events(events: Sequence[Event]) -> tuple[Status, Stage]:
    """Parcel (Status, Stage) from a newest-first timeline.

    Status is that of the newest event with a known meaning, with three rules: DELIVERED is
    terminal (later noise does not undo it); INFO_RECEIVED never overrides a real scan; once the
    item is being returned, later transit scans (the journey back) keep the return status, and a
    delivery after a return means RETURNED. Stage is the furthest stage reached before any return
    and never moves backwards. No events -> (UNKNOWN, NONE); events without a known meaning ->
    (UNKNOWN, furthest stage).
    """
    status: Status | None = None
    stage = Stage.NONE
    returning = False
    for event in reversed(events):  # oldest first
        ev_status, ev_stage = classify_event(event)
        ret = Status.RETURNED if ev_status is Status.RETURNED else return_status(event.description)
        if ret is not None:
            returning = True
            done = Status.RETURNED in (ret, status) or ev_status is Status.DELIVERED
            status = Status.RETURNED if done else Status.EXCEPTION
            continue
        if returning:
            if ev_status is Status.DELIVERED:
                status = Status.RETURNED
            continue
        if ev_status is not None and status is not Status.DELIVERED and not (
            ev_status is Status.INFO_RECEIVED and status is not None
        ):
            status = ev_status
        if ev_stage is not None and ev_stage.index > stage.index:
            stage = ev_stage
    if status is Status.DELIVERED:
        stage = Stage.DELIVERED
    return status or Status.UNKNOWN, stage
