"""Advice when the sources have not told much yet: a failed check, no records at all, or only the
sender's shipment data."""

from __future__ import annotations

from datetime import datetime

from emstui.core.model import ErrorKind, Event
from emstui.present.advice.base import (
    Advice,
    D,
    H,
    Level,
    ParcelFacts,
    cite,
    happened_at,
    issuing_country,
    time_since,
)
from emstui.present.timefmt import format_age

# How EMS behaves (DESIGN.md section 8). The first scan shows 24-48 h after dispatch.
FIRST_SCAN_GRACE = 48 * H
NO_RECORDS_ALERT = 7 * D

# Kinds a parcel records when the source gave no answer about the parcel itself. Whole-request
# failures (a rejected key, no connection, a moved endpoint) are the source's health, shown in
# the header, and are never recorded on a parcel.
_NO_ANSWER = frozenset({ErrorKind.QUOTA, ErrorKind.TEMPORARY, ErrorKind.BAD_RESPONSE})
_MAX_ERROR_SHOWN = 160


# What a failed check of each kind means for the user: (level, title, what to do).
_ERROR_ADVICE: dict[ErrorKind, tuple[Level, str, str]] = {
    ErrorKind.QUOTA: (
        Level.WARNING, "Tracking quota used up",
        "The tracking service's quota for this account is exhausted. Checks resume when the "
        "quota resets or more is added to the account. EMS numbers fall back to the keyless "
        "EMS Cooperative tracker if it is in providers.order."),
    ErrorKind.TEMPORARY: (
        Level.INFO, "Tracking source busy",
        "The tracking source failed or asked us to slow down. emstui retries with a growing "
        "delay; nothing is wrong with the parcel itself."),
    ErrorKind.BAD_RESPONSE: (
        Level.INFO, "Unexpected answer from the tracking source",
        "The source answered in a form emstui did not expect (it may have changed). emstui "
        "keeps retrying; if this lasts for days, look for an emstui update."),
    ErrorKind.NO_SOURCE: (
        Level.WARNING, "Needs a 17TRACK key",
        "No source in use can track this number: the keyless EMS Cooperative tracker only "
        "knows EMS numbers (starting with E). Get a free 17TRACK API key at "
        "https://api.17track.net (sign up; the key is shown as 17token), then either set "
        "EMSTUI_17TRACK_KEY=<key> in the environment emstui runs in (cron too), or write "
        'api_key = "<key>" under [providers.17track] in the config. "17track" must be in '
        "providers.order. `emstui config validate` checks it."),
    ErrorKind.UNSUPPORTED: (
        Level.TIP, "No source for this number",
        "None of the configured sources can track this number. The keyless EMS Cooperative "
        "tracker only knows EMS numbers (starting with E); add a 17TRACK key for other "
        "postal and carrier numbers."),
    ErrorKind.INVALID: (
        Level.WARNING, "Source says the number is invalid",
        "Compare the number character by character with the sender's posting receipt "
        "(0/O, 1/I and 5/S are easy to mix up)."),
}
_OTHER_ERROR = (Level.INFO, "Last check failed",
                "emstui will retry on its own; press r to try again now.")


def error_advice(facts: ParcelFacts) -> list[Advice]:
    kind = facts.error_kind
    if not kind or kind == ErrorKind.NOT_FOUND:  # the no-records rules speak for not found
        return []
    error = " ".join((facts.last_error or "").split())
    if len(error) > _MAX_ERROR_SHOWN:
        error = error[: _MAX_ERROR_SHOWN - 1] + "…"
    trigger = f"last check failed ({kind})" + (f": {error}" if error else "")
    level, title, body = _ERROR_ADVICE.get(kind, _OTHER_ERROR)
    return [Advice(level, title, body, trigger)]


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


def no_records_advice(facts: ParcelFacts, now: datetime) -> list[Advice]:
    if facts.error_kind in _NO_ANSWER:
        return []  # we never got an answer: "no records" would be a guess
    items: list[Advice] = []
    age = time_since(facts.added, now)
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
            Level.TIP, f"Issued by {issuing_country(facts)}: ask that post",
            f"This EMS number was issued in {issuing_country(facts)}. Its first records come from "
            f"that country's post: use its official tracking site (or the EMS Cooperative "
            f"tracker). China EMS only sees items posted in China or coming to China.",
            f"no records for an EMS number ending in {facts.country_code}, not CN"))
    return items


def info_only_advice(facts: ParcelFacts, events: list[Event], now: datetime) -> list[Advice]:
    newest = events[0]
    age = time_since(happened_at(newest), now)
    if age is None:
        age = time_since(facts.added, now)
    trigger = (f"only shipment data ({cite(newest)}), "
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
