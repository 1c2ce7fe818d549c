"""Context-aware, offline advice for one parcel: a pure function of its facts, history and now."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from emstui.core import s10
from emstui.core.model import ErrorKind, Event, Stage, Status
from emstui.core.statusmap import classify_event, code_for_upu_name
from emstui.present.eta import Estimate
from emstui.present.timefmt import format_age, when_it_happened

H = timedelta(hours=1)
D = timedelta(days=1)

# How EMS behaves (DESIGN.md section 8). The first scan shows 24-48 h after dispatch.
FIRST_SCAN_GRACE = 48 * H
NO_RECORDS_ALERT = 7 * D
CUSTOMS_WARN = 5 * D
CUSTOMS_ALERT = 14 * D
HOLD_WARN = 5 * D  # shortest common hold periods at the delivery office are about 7 days
HOLD_ALERT = 10 * D
DELIVERED_CLAIM_WINDOW = "a few days"

_ORIGIN = "origin"
_DESTINATION = "destination"


@dataclass(frozen=True, slots=True)
class _Silence:
    warn: timedelta
    alert: timedelta
    normal: str  # what is typical at this stage, said when the silence is still normal
    side: str  # which post holds the item: who the user should talk to


# Silence thresholds by journey stage: how long without a scan is still ordinary.
SILENCE: dict[Stage, _Silence] = {
    Stage.NONE: _Silence(5 * D, 14 * D, "scans can be days apart", _ORIGIN),
    Stage.POSTED: _Silence(
        4 * D, 10 * D, "export sorting and the hand-over to the airline usually take 1-4 days",
        _ORIGIN),
    Stage.EXPORT: _Silence(
        4 * D, 10 * D, "export sorting and the hand-over to the airline usually take 1-4 days",
        _ORIGIN),
    Stage.DEPARTED: _Silence(
        7 * D, 14 * D,
        "air transport and the hand-over to the destination post often show no scan for 5-7 days",
        _ORIGIN),
    Stage.ARRIVED: _Silence(
        5 * D, 14 * D, "import sorting and presentation to customs usually take 1-5 days",
        _DESTINATION),
    Stage.CUSTOMS: _Silence(
        5 * D, 14 * D, "after customs the item goes to the delivery office within a few days",
        _DESTINATION),
    Stage.DELIVERY_OFFICE: _Silence(
        5 * D, 14 * D, "the delivery office usually attempts delivery within a few days",
        _DESTINATION),
    Stage.OUT_FOR_DELIVERY: _Silence(
        2 * D, 7 * D, "a delivery or a failed-attempt scan usually follows the same day",
        _DESTINATION),
}

# Words in the user's note that mean regulated goods, which clear customs more slowly.
_REGULATED_RE = re.compile(
    r"\b(batter(?:y|ies)|lithium|power ?bank|cosmetics?|perfumes?|make-?up|skin ?care|foods?"
    r"|tea|coffee|snacks?|spices?|seeds?|plants?|medicines?|medication|drugs?|pills?"
    r"|supplements?|vitamins?|liquids?|e-?cig\w*|knife|knives)\b",
    re.IGNORECASE,
)
_RETURN_RE = re.compile(r"\breturn(?:ed|ing)?\b|退回|退件|退还", re.IGNORECASE)
_CUSTOMS_CODES = frozenset({"EDB", "EME", "EXA", "EXB"})
# Kinds a parcel records when the source gave no answer about the parcel itself. Whole-request
# failures (a rejected key, no connection, a moved endpoint) are the source's health, shown in
# the header, and are never recorded on a parcel.
_NO_ANSWER = frozenset({ErrorKind.QUOTA, ErrorKind.TEMPORARY, ErrorKind.BAD_RESPONSE})
_MAX_ERROR_SHOWN = 160


class Level(StrEnum):
    """How much an advice item matters, from least to most severe."""

    INFO = "info"
    TIP = "tip"
    WARNING = "warning"
    ALERT = "alert"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]


_LEVEL_RANK: dict[Level, int] = {level: i for i, level in enumerate(Level)}


@dataclass(frozen=True, slots=True)
class Advice:
    """One piece of advice. `trigger` states the fact that fired it, in words."""

    level: Level
    title: str
    body: str
    trigger: str


@dataclass(frozen=True, slots=True)
class ParcelFacts:
    """Everything advice needs to know about one parcel. Events are newest first."""

    number: str
    is_ems: bool
    country_code: str | None
    country_name: str | None
    status: Status
    stage: Stage
    events: Sequence[Event]
    added: datetime | None  # when the user started watching (aware UTC)
    last_error: str | None = None
    error_kind: ErrorKind | None = None
    note: str = ""
    eta: Estimate | None = None  # the arrival estimate (`emstui.present.eta`), if there is one


def facts_for(number: str, *, status: Status, stage: Stage, events: Sequence[Event],
              added: datetime | None, last_error: str | None = None,
              error_kind: ErrorKind | None = None, note: str = "",
              eta: Estimate | None = None) -> ParcelFacts:
    """ParcelFacts with the number's S10 facts (EMS or not, issuing country) filled in."""
    try:
        parsed = s10.parse(number)
    except s10.InvalidNumber:
        return ParcelFacts(number, number.upper().startswith("E"), None, None, status, stage,
                           events, added, last_error, error_kind, note, eta)
    return ParcelFacts(parsed.value, parsed.is_ems, parsed.country_code, parsed.country_name,
                       status, stage, events, added, last_error, error_kind, note, eta)


def advise(facts: ParcelFacts, now: datetime) -> list[Advice]:
    """Advice for one parcel, most severe first, always ending with security then hotline."""
    items: list[Advice] = []
    items += _error_advice(facts)
    events = list(facts.events)
    status = facts.status
    if not events:
        items += _no_records_advice(facts, now)
    elif status is Status.INFO_RECEIVED:
        items += _info_only_advice(facts, events, now)
    elif status is Status.IN_CUSTOMS or _code(events[0]) == "EME":
        items += _customs_advice(facts, events, now)
    elif status is Status.DELIVERY_FAILED or _code(events[0]) == "EMH":
        items += _failed_delivery_advice(events, now)
    elif status is Status.AVAILABLE_FOR_PICKUP:
        items += _pickup_advice(events, now)
    elif status is Status.DELIVERED:
        items += _delivered_advice(events)
    elif status is Status.RETURNED:
        items += _returned_advice(events)
    elif status is Status.EXCEPTION:
        items += _exception_advice(events)
    elif status is Status.EXPIRED:
        items += _expired_advice(events, now)
    elif status is Status.NOT_FOUND:
        items += _no_records_advice(facts, now)
    else:  # IN_TRANSIT, OUT_FOR_DELIVERY, UNKNOWN with events
        items += _silence_advice(facts, events, now)
    items += overdue_advice(facts, now)
    items.sort(key=lambda a: -a.level.rank)  # stable: rule order breaks ties
    items.append(_security_advice(facts))
    items.append(_hotline_advice(facts))
    return items


# --- helpers ---------------------------------------------------------------------------------


def _instant(event: Event) -> datetime | None:
    return when_it_happened(event)[0]  # the table's rule too (present.timefmt)


def _since(when: datetime | None, now: datetime) -> timedelta | None:
    if when is None:
        return None
    return max(timedelta(0), now - when)


def _code(event: Event) -> str | None:
    return (event.code or "").strip().upper() or code_for_upu_name(event.description)


def _describe(event: Event) -> str:
    """An event as cited in a trigger: 'Description' (Location)."""
    text = " ".join(event.description.split())
    if len(text) > 80:
        text = text[:79] + "…"
    where = " ".join(event.location.split())
    return f"'{text}' ({where})" if where else f"'{text}'"


def _ago(delta: timedelta | None) -> str:
    if delta is None:
        return "at an unknown time"
    age = format_age(delta)
    return "just now" if age == "now" else f"{age} ago"


def _country(facts: ParcelFacts) -> str:
    if facts.country_code and facts.country_name:
        return f"{facts.country_name} ({facts.country_code})"
    return facts.country_code or "the issuing country"


def _still_at_origin(facts: ParcelFacts) -> bool:
    return facts.stage.index < Stage.DEPARTED.index


# --- rules -----------------------------------------------------------------------------------


def _error_advice(facts: ParcelFacts) -> list[Advice]:
    kind = facts.error_kind
    if not kind:
        return []
    error = " ".join((facts.last_error or "").split())
    if len(error) > _MAX_ERROR_SHOWN:
        error = error[: _MAX_ERROR_SHOWN - 1] + "…"
    trigger = f"last check failed ({kind})" + (f": {error}" if error else "")
    if kind == ErrorKind.QUOTA:
        return [Advice(
            Level.WARNING, "Tracking quota used up",
            "The tracking service's quota for this account is exhausted. Checks resume when the "
            "quota resets or more is added to the account. EMS numbers fall back to the keyless "
            "EMS Cooperative tracker if it is in providers.order.", trigger)]
    if kind == ErrorKind.TEMPORARY:
        return [Advice(
            Level.INFO, "Tracking source busy",
            "The tracking source failed or asked us to slow down. emstui retries with a growing "
            "delay; nothing is wrong with the parcel itself.", trigger)]
    if kind == ErrorKind.BAD_RESPONSE:
        return [Advice(
            Level.INFO, "Unexpected answer from the tracking source",
            "The source answered in a form emstui did not expect (it may have changed). emstui "
            "keeps retrying; if this lasts for days, look for an emstui update.", trigger)]
    if kind == ErrorKind.NO_SOURCE:
        return [Advice(
            Level.WARNING, "Needs a 17TRACK key",
            "No source in use can track this number: the keyless EMS Cooperative tracker only "
            "knows EMS numbers (starting with E). Get a free 17TRACK API key at "
            "https://api.17track.net (sign up; the key is shown as 17token), then either set "
            "EMSTUI_17TRACK_KEY=<key> in the environment emstui runs in (cron too), or write "
            'api_key = "<key>" under [providers.17track] in the config. "17track" must be in '
            "providers.order. `emstui config validate` checks it.", trigger)]
    if kind == ErrorKind.UNSUPPORTED:
        return [Advice(
            Level.TIP, "No source for this number",
            "None of the configured sources can track this number. The keyless EMS Cooperative "
            "tracker only knows EMS numbers (starting with E); add a 17TRACK key for other "
            "postal and carrier numbers.", trigger)]
    if kind == ErrorKind.INVALID:
        return [Advice(
            Level.WARNING, "Source says the number is invalid",
            "Compare the number character by character with the sender's posting receipt "
            "(0/O, 1/I and 5/S are easy to mix up).", trigger)]
    if kind == ErrorKind.NOT_FOUND:
        return []  # the no-records rules speak for it
    return [Advice(Level.INFO, "Last check failed",
                   "emstui will retry on its own; press r to try again now.", trigger)]


def _number_check_body(facts: ParcelFacts) -> str:
    if facts.country_code:
        cc = facts.country_code
        name = f" = {facts.country_name}" if facts.country_name else ""
        return (
            f"Check the number character by character against the sender's receipt, especially "
            f"the last two letters: they are the issuing country (here {cc}{name}). An item "
            f"posted in China ends in CN; a wrong suffix finds nothing. If the number is right, "
            f"retry later: records can lag behind the item.")
    return ("This is not a UPU S10 number (two letters, nine digits, two letters). Check it "
            "against the sender's receipt and with the carrier that issued it, then retry later.")


def _no_records_advice(facts: ParcelFacts, now: datetime) -> list[Advice]:
    if facts.error_kind in _NO_ANSWER:
        return []  # we never got an answer: "no records" would be a guess
    items: list[Advice] = []
    age = _since(facts.added, now)
    if age is None:
        items.append(Advice(
            Level.TIP, "No tracking records yet",
            "EMS items usually show their first scan 24-48 hours after dispatch. If the sender "
            "posted it longer ago than that: " + _number_check_body(facts),
            "no events, and when the parcel was added is unknown"))
    elif age <= FIRST_SCAN_GRACE:
        items.append(Advice(
            Level.INFO, "Not scanned yet: normal",
            "EMS items usually show their first scan 24-48 hours after dispatch. Nothing to do "
            "yet; emstui keeps checking.",
            f"no events {format_age(age)} after the parcel was added"))
    elif age <= NO_RECORDS_ALERT:
        items.append(Advice(
            Level.WARNING, "Still no records: check the number",
            _number_check_body(facts),
            f"no events {format_age(age)} after the parcel was added"))
    else:
        items.append(Advice(
            Level.ALERT, "No records after a week",
            "Ask the sender for proof of posting (the posting receipt with the number) or a "
            "corrected number. An item that was really posted is scanned within days. "
            + _number_check_body(facts),
            f"no events {format_age(age)} after the parcel was added"))
    if facts.is_ems and facts.country_code and facts.country_code != "CN":
        items.append(Advice(
            Level.TIP, f"Issued by {_country(facts)}: ask that post",
            f"This EMS number was issued in {_country(facts)}. Its first records come from that "
            f"country's post: use its official tracking site (or the EMS Cooperative tracker). "
            f"China EMS only sees items posted in China or coming to China.",
            f"no records for an EMS number ending in {facts.country_code}, not CN"))
    return items


def _info_only_advice(facts: ParcelFacts, events: list[Event], now: datetime) -> list[Advice]:
    newest = events[0]
    age = _since(_instant(newest), now)
    if age is None:
        age = _since(facts.added, now)
    trigger = (f"only shipment data ({_describe(newest)}), "
               + (f"no scan for {format_age(age)}" if age is not None
                  else "time unknown"))
    if age is None or age <= FIRST_SCAN_GRACE:
        return [Advice(
            Level.INFO, "Label created, waiting for the first scan",
            "The post has the sender's shipment data but has not scanned the item yet. The "
            "first scan usually follows within 24-48 hours of handing it over.", trigger)]
    if age <= NO_RECORDS_ALERT:
        return [Advice(
            Level.WARNING, "Shipment data only: not handed over yet?",
            "The post knows the shipment but has never scanned the item. The sender may not "
            "have handed it over yet: ask the sender when and where it was posted.", trigger)]
    return [Advice(
        Level.ALERT, "Never scanned after a week",
        "The item has still not been scanned by the post. Ask the sender for proof of posting "
        "(the posting receipt); without a scan the post has no record of having the item.",
        trigger)]


def _customs_run(events: list[Event]) -> list[Event]:
    """The newest contiguous customs events (the current customs episode), newest first."""
    run: list[Event] = []
    for event in events:
        status, _ = classify_event(event)
        if status is Status.IN_CUSTOMS or _code(event) in _CUSTOMS_CODES:
            run.append(event)
        else:
            break
    return run or events[:1]


def _customs_advice(facts: ParcelFacts, events: list[Event], now: datetime) -> list[Advice]:
    run = _customs_run(events)
    since = _since(_instant(run[-1]), now)
    held = _code(events[0]) == "EME"
    export = (facts.stage in (Stage.POSTED, Stage.EXPORT)
              or _code(events[0]) in ("EXA", "EXB")
              or classify_event(events[0])[1] is Stage.EXPORT)
    what = "held by" if held else "in"
    where = "export customs" if export else "customs"
    trigger = (f"{what} {where} for {format_age(since)} since {_describe(run[-1])}"
               if since is not None else f"{what} {where} since {_describe(run[-1])}")
    items: list[Advice] = []
    if export:
        level = Level.WARNING if since is not None and since > CUSTOMS_WARN else Level.TIP
        if since is not None and since > CUSTOMS_ALERT:
            level = Level.ALERT
        items.append(Advice(
            level, "At export customs in the origin country",
            "The origin country's customs is checking the item before it leaves. Only the "
            "sender can deal with this (declaration, contents, invoice): ask the sender to "
            "contact the origin post.", trigger))
        return items
    if since is not None and since > CUSTOMS_ALERT:
        level, title = Level.ALERT, "Held in customs for more than two weeks"
        first = ("Contact the destination post or customs now: items not cleared in time are "
                 "returned to the sender or destroyed. ")
    elif since is not None and since > CUSTOMS_WARN:
        level, title = Level.WARNING, "Customs is taking longer than usual"
        first = ("Contact the destination post or customs: they may be waiting for something "
                 "from you. ")
    else:
        # TIP, not INFO: customs may write to the recipient, who should be ready to answer.
        level = Level.TIP
        title = "Held by customs" if held else "In customs"
        first = "Clearance usually takes 1-5 days. "
    items.append(Advice(
        level, title,
        first + "Customs may ask for documents (invoice or proof of value, ID, a tax or customs ID "
        "number) and import duties or VAT may be due. Deal with the DESTINATION country's post "
        "or customs, not China EMS: the item has left the origin post's hands.", trigger))
    match = _REGULATED_RE.search(facts.note)
    if match:
        items.append(Advice(
            Level.TIP, "Regulated goods clear slower",
            "Batteries, cosmetics, food, medicine and similar goods get extra checks, and may "
            "need permits or be refused; expect a longer clearance.",
            f"in customs, and the note mentions '{match.group(0)}'"))
    else:
        items.append(Advice(
            Level.TIP, "Some items clear slower",
            "Remote areas and regulated goods (batteries, cosmetics, food, medicine) take longer "
            "to clear and deliver than the usual 1-5 days.", "item is in customs"))
    return items


def _hold_level(since: timedelta | None, base: Level) -> Level:
    if since is not None and since > HOLD_ALERT:
        return Level.ALERT
    if since is not None and since > HOLD_WARN and base.rank < Level.WARNING.rank:
        return Level.WARNING
    return base


def _failed_delivery_advice(events: list[Event], now: datetime) -> list[Advice]:
    newest = events[0]
    since = _since(_instant(newest), now)
    level = _hold_level(since, Level.WARNING)
    return [Advice(
        level, "Delivery attempt failed",
        "A notice was probably left (paper card, SMS or e-mail from the destination post). "
        "Arrange redelivery or pick the item up at the office named on it; bring ID and the "
        "notice. Posts hold items about 7-30 days depending on the country before returning "
        "them: check the notice for the deadline."
        + (" That deadline may be close." if level is Level.ALERT else ""),
        f"delivery attempt failed {_ago(since)}: {_describe(newest)}")]


def _pickup_advice(events: list[Event], now: datetime) -> list[Advice]:
    newest = events[0]
    since = _since(_instant(newest), now)
    level = _hold_level(since, Level.TIP)
    return [Advice(
        level, "Ready for pickup",
        "Collect it at the pickup point with your ID and the notice (or the tracking number). "
        "Uncollected items are returned after the holding period, about 7-30 days depending on "
        "the country: check the notice for the deadline."
        + (" That deadline may be close." if level is Level.ALERT else ""),
        f"ready for pickup {_ago(since)}: {_describe(newest)}")]


def _delivered_advice(events: list[Event]) -> list[Advice]:
    newest = events[0]
    when = newest.time_raw.strip() or "at an unknown time"
    return [Advice(
        Level.INFO, "Delivered",
        "Check the contents promptly and keep the packaging if anything is damaged or missing. "
        "If you did not receive it, ask the destination post within " + DELIVERED_CLAIM_WINDOW +
        " for the proof of delivery (who signed, where it was left).",
        f"delivered {when}: {_describe(newest)}")]


def _returned_advice(events: list[Event]) -> list[Advice]:
    newest = events[0]
    return [Advice(
        Level.WARNING, "Returned to the sender",
        "Contact the sender about a refund or a new shipment. The return scan usually gives the "
        "reason (refused, not collected, address problem, customs).",
        f"returned: {_describe(newest)}")]


def _exception_advice(events: list[Event]) -> list[Advice]:
    newest = events[0]
    code = _code(newest)
    trigger = f"problem reported: {_describe(newest)}"
    if _RETURN_RE.search(newest.description):
        return [Advice(
            Level.WARNING, "Being returned to the sender",
            "The item is on its way back. Contact the sender; if you think the return is a "
            "mistake, ask the destination post at once why it was returned, while the item may "
            "still be in the country.", trigger)]
    if code == "EXX":
        return [Advice(
            Level.ALERT, "Export cancelled",
            "The item will not leave the origin country, often because of forbidden contents or "
            "an incomplete customs declaration. Only the sender can sort this out with the "
            "origin post; ask them.", trigger)]
    if code == "EDX":
        return [Advice(
            Level.ALERT, "Import stopped",
            "The destination country stopped importing the item (refused, seized or to be "
            "returned). Contact the destination post or customs with the number to learn why "
            "and whether anything can still be done.", trigger)]
    return [Advice(
        Level.ALERT, "The post reported a problem",
        "The newest event reports a problem (for example loss, damage or cancellation). Contact "
        "the destination post with the number; the sender can open an inquiry with the origin "
        "post, which is the only way to start an EMS claim.", trigger)]


def _expired_advice(events: list[Event], now: datetime) -> list[Advice]:
    newest = events[0]
    since = _since(_instant(newest), now)
    return [Advice(
        Level.WARNING, "Tracking stopped",
        "The tracking source stopped following this item because nothing new happened for a "
        "long time. That does not mean it is lost. If it has not arrived, ask the sender to open "
        "an inquiry with the origin post; you can ask the destination post.",
        f"tracking expired; last event {_ago(since)}: {_describe(newest)}")]


def silence_rule(stage: Stage) -> _Silence:
    """How long a parcel at `stage` may go without a scan before it is quiet for too long."""
    return SILENCE.get(stage, SILENCE[Stage.NONE])


def silence_level(status: Status, stage: Stage, since: timedelta | None) -> Level | None:
    """WARNING or ALERT when a moving parcel has gone longer without a scan than is usual.

    The same thresholds as the silence advice in the detail panel; None for statuses whose
    advice is about something else (problems, deliveries, pick-ups) and when the time is unknown.
    """
    if since is None or status not in _SILENT_STATUSES:
        return None
    rule = silence_rule(Stage.OUT_FOR_DELIVERY if status is Status.OUT_FOR_DELIVERY else stage)
    if since > rule.alert:
        return Level.ALERT
    if since > rule.warn:
        return Level.WARNING
    return None


_SILENT_STATUSES = frozenset({Status.INFO_RECEIVED, Status.IN_TRANSIT, Status.IN_CUSTOMS,
                              Status.OUT_FOR_DELIVERY, Status.UNKNOWN})


def _silence_advice(facts: ParcelFacts, events: list[Event], now: datetime) -> list[Advice]:
    newest = events[0]
    since = _since(_instant(newest), now)
    stage = facts.stage
    if facts.status is Status.OUT_FOR_DELIVERY:
        stage = Stage.OUT_FOR_DELIVERY
    rule = silence_rule(stage)
    if since is None:
        return [Advice(Level.INFO, "Time of the last scan unknown",
                       "The source gave no usable time for the newest event, so emstui cannot "
                       "tell how long the item has been quiet.",
                       f"newest event {_describe(newest)} has no usable time")]
    trigger = (f"no scan for {format_age(since)} at stage '{stage.label}' since "
               f"{_describe(newest)}")
    if since > rule.alert:
        if rule.side == _ORIGIN:
            body = ("Ask the sender to open an inquiry (a trace) with the origin post: only the "
                    "SENDER can file an EMS inquiry there. Keep the number and the posting "
                    "receipt at hand.")
        else:
            body = ("Contact the destination post with the number: the item is in their hands. "
                    "The sender can also open an inquiry with the origin post; only the SENDER "
                    "can file an EMS inquiry.")
        return [Advice(Level.ALERT, "No movement for a long time", body, trigger)]
    if since > rule.warn:
        return [Advice(
            Level.WARNING, "Quiet for longer than usual",
            f"At this stage {rule.normal}. A longer gap is not yet alarming; if there is still "
            f"no scan after {format_age(rule.alert)}, the "
            + ("sender should open an inquiry with the origin post."
               if rule.side == _ORIGIN else "destination post can tell you where it is."),
            trigger)]
    if facts.status is Status.OUT_FOR_DELIVERY:
        return [Advice(
            Level.INFO, "Out for delivery",
            "EMS usually needs a signature. If nobody can take it, a notice is left with how to "
            "get the item.", trigger)]
    return [Advice(Level.INFO, "Moving normally", f"At this stage {rule.normal}.", trigger)]


def overdue_advice(facts: ParcelFacts, now: datetime) -> list[Advice]:
    """Past the end of its arrival window: who can find out where it is."""
    estimate = facts.eta
    if estimate is None or facts.status.is_final or not estimate.overdue(now):
        return []
    end = estimate.end or estimate.start
    late = f", {format_age(now - end)} ago" if end is not None and end.tzinfo else ""
    basis = estimate.basis if estimate.from_history \
        else f"estimate by {estimate.source or 'the source'}"
    last_day = f"{end:%a} {end.day} {end:%b}" if end is not None else "the expected day"
    if silence_rule(facts.stage).side == _ORIGIN:
        who = ("It has not been scanned leaving the origin country yet: ask the sender to check "
               "with the origin post, and to open an inquiry if it does not move soon.")
    else:
        who = ("The destination post holds it: ask them with the number where it is. The sender "
               "can open an inquiry with the origin post; only the SENDER can file one.")
    return [Advice(
        Level.WARNING, "Later than expected",
        "The expected arrival window has passed. Estimates are only estimates (customs, "
        "holidays and remote areas add days), but it is time to ask. " + who,
        f"expected by {last_day}{late} ({basis})")]


# --- standing advice -------------------------------------------------------------------------


def _security_advice(facts: ParcelFacts) -> Advice:
    body = ("Use official channels only. Posts, carriers and customs never ask for payment, "
            "customs fees or card details by SMS, e-mail link or chat. Type the post's web "
            "address yourself instead of following links. 'Your parcel is held, pay X' messages "
            "are the classic scam.")
    trigger = "shown for every parcel"
    if facts.status in (Status.IN_CUSTOMS, Status.DELIVERY_FAILED, Status.AVAILABLE_FOR_PICKUP):
        body += (" Real duties or redelivery fees are shown on the destination post's own site or "
                 "paid at the door or counter.")
        trigger = f"status '{facts.status.label}': scam messages imitate exactly this step"
    return Advice(Level.TIP, "Beware of delivery scams", body, trigger)


def _hotline_advice(facts: ParcelFacts) -> Advice:
    cc = facts.country_code
    if cc == "CN" and _still_at_origin(facts) and not facts.status.is_final:
        return Advice(
            Level.INFO, "Who to call",
            "No departure from China has been scanned yet. The sender can call China EMS on "
            "11183 (for callers in mainland China) with the number; from abroad, ask the sender "
            "to do it.",
            "issued in China (CN), no departure from China scanned: not yet left China")
    if cc == "CN" and facts.stage is Stage.DEPARTED and not facts.status.is_final:
        return Advice(
            Level.INFO, "Who to call",
            "It has been dispatched from China and is between countries. The destination "
            "country's post takes over when it arrives; until then the sender can ask China EMS "
            "(11183, for callers in mainland China).",
            "issued in China (CN), dispatched from China, not yet arrived")
    if cc == "CN":
        return Advice(
            Level.INFO, "Who to call",
            "It has left China, so the destination country's post now holds it: contact them "
            "with the number. China EMS (11183, for callers in mainland China) only answers for "
            "the China leg, through the sender.",
            f"issued in China (CN), stage '{facts.stage.label}': left China")
    if cc:
        return Advice(
            Level.INFO, "Who to call",
            f"The sender deals with the post of {_country(facts)}; you deal with your "
            f"destination country's post. China EMS (11183, for callers in mainland China) "
            f"handles it only if it is coming to China.",
            f"issued in {_country(facts)}, not China")
    return Advice(
        Level.INFO, "Who to call",
        "Contact the carrier that issued the number, or your destination country's post. China "
        "EMS (11183) is for callers in mainland China.",
        "not a UPU S10 number: issuing country unknown")
