"""The simulator's geography: countries, offices of exchange, delivery offices and their posts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True, slots=True)
class Carrier:
    """A 17TRACK carrier record (codes from specs/17track.md section 6)."""

    key: int
    name: str
    homepage: str
    country: str


@dataclass(frozen=True, slots=True)
class Office:
    """A post office: where items are posted or delivered, and which exchange office serves it."""

    city: str
    postal_code: str
    exchange: str


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    name: str
    tz_name: str
    std_offset_hours: float
    inward_exchange: str
    offices: tuple[Office, ...]
    post: Carrier
    ems: Carrier | None = None

    @property
    def tz(self) -> tzinfo:
        return _zone(self.tz_name, self.std_offset_hours)


def _zone(name: str, hours: float) -> tzinfo:
    # Fall back to the standard offset where the OS has no tz database (some Windows installs).
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=hours), name)


def _c(code: str, name: str, tz: str, off: float, inward: str, offices: list[tuple[str, str, str]],
       post: tuple[int, str, str], ems: tuple[int, str, str] | None = None) -> Country:
    return Country(
        code, name, tz, off, inward, tuple(Office(*o) for o in offices),
        Carrier(post[0], post[1], post[2], code),
        Carrier(ems[0], ems[1], ems[2], code) if ems else None,
    )


COUNTRIES: dict[str, Country] = {c.code: c for c in (
    _c("CN", "CHINA", "Asia/Shanghai", 8, "GUANGZHOU",
       [("GUANGZHOU", "510000", "GUANGZHOU"), ("SHENZHEN", "518000", "SHENZHEN"),
        ("SHANGHAI", "200000", "SHANGHAI"), ("HANGZHOU", "310000", "SHANGHAI"),
        ("YIWU", "322000", "SHANGHAI"), ("BEIJING", "100000", "BEIJING")],
       (3011, "China Post", "http://www.chinapost.com.cn/"),
       (3013, "China EMS", "http://www.ems.com.cn/")),
    _c("HK", "HONG KONG", "Asia/Hong_Kong", 8, "HONG KONG",
       [("HONG KONG", "", "HONG KONG"), ("KOWLOON", "", "HONG KONG")],
       (8011, "Hongkong Post", "https://www.hongkongpost.hk/")),
    _c("JP", "JAPAN", "Asia/Tokyo", 9, "TOKYO",
       [("TOKYO", "100-0001", "TOKYO"), ("KYOTO", "600-8216", "OSAKA"),
        ("OSAKA", "530-0001", "OSAKA")],
       (10021, "Japan Post", "https://www.post.japanpost.jp/")),
    _c("KR", "KOREA (REP.)", "Asia/Seoul", 9, "INCHEON",
       [("SEOUL", "04524", "INCHEON"), ("BUSAN", "48939", "BUSAN")],
       (11051, "Korea Post", "https://ems.epost.go.kr/")),
    _c("DE", "GERMANY", "Europe/Berlin", 1, "FRANKFURT",
       [("BERLIN", "10115", "FRANKFURT"), ("MUENCHEN", "80331", "FRANKFURT"),
        ("HAMBURG", "20095", "FRANKFURT"), ("KOELN", "50667", "FRANKFURT")],
       (7041, "DHL Paket", "https://www.dhl.de/")),
    _c("FR", "FRANCE", "Europe/Paris", 1, "ROISSY CHARLES DE GAULLE",
       [("PARIS", "75001", "ROISSY CHARLES DE GAULLE"),
        ("LYON", "69001", "ROISSY CHARLES DE GAULLE"),
        ("MARSEILLE", "13001", "ROISSY CHARLES DE GAULLE")],
       (6051, "La Poste (Colissimo)", "https://www.laposte.fr/")),
    _c("GB", "UNITED KINGDOM", "Europe/London", 0, "LONDON HEATHROW",
       [("LONDON", "EC1A 1BB", "LONDON HEATHROW"), ("MANCHESTER", "M1 1AE", "LONDON HEATHROW"),
        ("EDINBURGH", "EH1 1YZ", "LONDON HEATHROW")],
       (11031, "Royal Mail", "https://www.royalmail.com/")),
    _c("US", "UNITED STATES", "America/New_York", -5, "JAMAICA NY",
       [("NEW YORK NY", "10001", "JAMAICA NY"), ("BROOKLYN NY", "11201", "JAMAICA NY"),
        ("BOSTON MA", "02108", "JAMAICA NY")],
       (21051, "USPS", "https://www.usps.com")),
    _c("CA", "CANADA", "America/Toronto", -5, "MISSISSAUGA",
       [("TORONTO", "M5V 2T6", "MISSISSAUGA"), ("OTTAWA", "K1P 1J1", "MISSISSAUGA")],
       (3041, "Canada Post", "https://www.canadapost-postescanada.ca/")),
    _c("AU", "AUSTRALIA", "Australia/Sydney", 10, "SYDNEY",
       [("SYDNEY", "2000", "SYDNEY"), ("PARRAMATTA", "2150", "SYDNEY")],
       (1151, "Australia Post", "https://auspost.com.au/")),
    _c("RU", "RUSSIAN FEDERATION", "Europe/Moscow", 3, "MOSCOW",
       [("MOSCOW", "101000", "MOSCOW"), ("TVER", "170100", "MOSCOW")],
       (18031, "Russian Post", "https://www.pochta.ru/")),
)}

DESTINATIONS: tuple[str, ...] = ("DE", "FR", "GB", "US", "CA", "AU", "RU", "JP", "KR")

CARRIERS: dict[int, Carrier] = {
    carrier.key: carrier
    for country in COUNTRIES.values()
    for carrier in (country.post, country.ems)
    if carrier is not None
}


def country_for(code: str) -> Country:
    """The country record for an ISO code; an anonymous one for codes the sim does not know."""
    known = COUNTRIES.get(code)
    if known is not None:
        return known
    return Country(code, code, "UTC", 0, "INTERNATIONAL OFFICE",
                   (Office("INTERNATIONAL OFFICE", "", "INTERNATIONAL OFFICE"),),
                   Carrier(0, f"Post ({code})", "", code))


def detect_carrier(number: str, *, s10_valid: bool) -> Carrier | None:
    """What 17TRACK's auto-detection would pick for a number: the issuing post, EMS for E* in CN."""
    if not s10_valid:
        return None
    country = COUNTRIES.get(number[-2:])
    if country is None:
        return None
    if number.startswith("E") and country.ems is not None:
        return country.ems
    return country.post
