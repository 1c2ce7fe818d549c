"""Lenient parsing of the time strings carriers send into (local wall time, UTC when knowable).

Accepted forms (surrounding whitespace ignored, optional seconds/fraction, optional AM/PM, optional
zone suffix "Z", "UTC", "GMT", "+08:00", "+0800", "+08", "UTC+8"):

* ISO-8601: "2024-03-01T09:12:33Z", "2024-03-01T09:12:33+08:00", "2024-03-01 09:12"
* year first: "2024/03/01 09:12", "2024.03.01 09:12", "2024年3月1日 09:12"
* day first: "01.03.2024 09:12", "01-03-2024 09:12", "01/03/2024 09:12"
* month names (English): "1 Mar 2024 09:12", "01-Mar-2024 09:12", "Mar 1, 2024 09:12",
  "Sep 1, 2026, 10:48 AM" (the EMS tracker's; any Unicode space before AM/PM)
* WCF JSON dates: "/Date(1709284320000)/", "/Date(1709284320000+0800)/"
* a date alone means midnight.

Numeric dates with the year last are read DAY-first (the order used by the UPU and almost every
postal operator outside North America); only when that is impossible ("03/15/2024") are they
read month-first. Without an offset the result is naive local wall time and UTC is None: the
event location's zone is unknown and guessing would misorder events. WCF dates are instants:
UTC is always set, and the local time carries the given offset (UTC when none is given).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_MAX_LEN = 80

_MONTHS = {
    name: i
    for i, names in enumerate(
        (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
         ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
         ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")),
        start=1,
    )
    for name in names
}

_TIME = (
    r"(?:(?:\s*[T,]\s*|\s+)(?P<H>\d{1,2})[:時时](?P<M>\d{2})分?"
    r"(?::(?P<S>\d{2})(?:[.,](?P<F>\d{1,9}))?)?秒?"
    r"\s*(?P<AP>[AaPp]\.?[Mm]\.?)?)?"
)
_ZONE = r"\s*(?P<Z>Z|UTC|GMT)?\s*(?P<OFF>[+-]\d{1,2}(?::?\d{2})?)?"
_END = _TIME + _ZONE + r"\s*$"

_YMD_RE = re.compile(r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?" + _END, re.I)
_DMY_RE = re.compile(r"^(?P<d>\d{1,2})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})" + _END,
                     re.I)
_D_MON_Y_RE = re.compile(
    r"^(?:[A-Za-z]{3,9},?\s+)?(?P<d>\d{1,2})[\s-]*(?P<mon>[A-Za-z]{3,9})\.?[\s,-]*"
    r"(?P<y>\d{4})" + _END, re.I)
_MON_D_Y_RE = re.compile(
    r"^(?:[A-Za-z]{3,9},?\s+)?(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?"
    r"(?:\s*,\s*|\s+)"
    r"(?P<y>\d{4})" + _END, re.I)
_WCF_RE = re.compile(r"^\\?/Date\((?P<ms>-?\d{1,15})(?P<off>[+-]\d{4})?\)\\?/$")


def _offset(z: str | None, off: str | None) -> timezone | None:
    if off:
        sign = -1 if off[0] == "-" else 1
        digits = off[1:].replace(":", "")
        if len(digits) <= 2:
            hours, minutes = int(digits), 0
        else:
            hours, minutes = int(digits[:-2]), int(digits[-2:])
        if minutes >= 60:
            raise ValueError("bad offset minutes")
        return timezone(sign * timedelta(hours=hours, minutes=minutes))  # ValueError if >= 24h
    if z:
        return UTC
    return None


def _hour(h: str | None, ap: str | None) -> int:
    hour = int(h or 0)
    if ap:
        if not 1 <= hour <= 12:
            raise ValueError("bad 12-hour clock")
        pm = ap[0] in "pP"
        hour = hour % 12 + (12 if pm else 0)
    return hour


def _build(match: re.Match[str], year: int, month: int, day: int) -> datetime:
    g = match.groupdict()
    micro = int((g["F"] or "0")[:6].ljust(6, "0"))
    return datetime(year, month, day, _hour(g["H"], g["AP"]), int(g["M"] or 0),
                    int(g["S"] or 0), micro, tzinfo=_offset(g["Z"], g["OFF"]))


def _wcf(match: re.Match[str]) -> tuple[datetime, datetime]:
    utc = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(match["ms"]))
    off = match["off"]
    local = utc.astimezone(_offset(None, off)) if off else utc
    return local, utc


def _parse(raw: str) -> datetime | tuple[datetime, datetime] | None:
    if m := _WCF_RE.match(raw):
        return _wcf(m)
    if m := _YMD_RE.match(raw):
        return _build(m, int(m["y"]), int(m["m"]), int(m["d"]))
    if m := _DMY_RE.match(raw):
        first, second = int(m["d"]), int(m["m"])
        if first <= 12 < second:  # day-first impossible: read as month-first
            first, second = second, first
        return _build(m, int(m["y"]), second, first)
    for rx in (_D_MON_Y_RE, _MON_D_Y_RE):
        if (m := rx.match(raw)) and (month := _MONTHS.get(m["mon"].casefold())):
            return _build(m, int(m["y"]), month, int(m["d"]))
    try:  # anything else ISO-like the standard library understands ("20240301T091233Z")
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


def parse_time(raw: str | None) -> tuple[datetime | None, datetime | None]:
    """(time_local, time_utc) from a raw carrier time string; (None, None) if unparseable.

    Never raises. time_local is naive when the text has no offset (then time_utc is None) and
    aware when it has one (then time_utc is the same instant in UTC).
    """
    if not isinstance(raw, str):
        return None, None
    text = raw.strip()
    if not text or len(text) > _MAX_LEN:
        return None, None
    try:
        parsed = _parse(text)
        if parsed is None:
            return None, None
        if isinstance(parsed, tuple):
            return parsed
        if parsed.tzinfo is None:
            return parsed, None
        return parsed, parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None, None
