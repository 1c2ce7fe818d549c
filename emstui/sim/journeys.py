"""Deterministic simulated parcel journeys: UPU EMS event sequences per tracking number."""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from emstui.sim.geo import DESTINATIONS, Country, Office, country_for
from emstui.sim.numbers import S10_RE

SCENARIOS: tuple[str, ...] = (
    "normal",
    "customs_hold",
    "failed_delivery_then_pickup",
    "returned_to_sender",
    "no_records_48h",
    "long_silence",
    "lost",
    "hostile",
)

# `hostile` is never picked at random: it is assigned on purpose (demo, tests).
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "normal": 60,
    "customs_hold": 10,
    "failed_delivery_then_pickup": 8,
    "returned_to_sender": 5,
    "no_records_48h": 7,
    "long_silence": 5,
    "lost": 5,
}

# UPU English event names (specs/ems-events.md).
UPU_NAMES: Mapping[str, str] = {
    "EMA": "Posting/Collection",
    "EMB": "Arrival at outward office of exchange",
    "EMC": "Departure from outward office of exchange",
    "EMD": "Arrival at inward office of exchange",
    "EDB": "Item presented to import Customs",
    "EME": "Item held by import Customs",
    "EDC": "Item returned from import Customs",
    "EMF": "Departure from inward office of exchange",
    "EMG": "Arrival at delivery office",
    "EDG": "Item out for physical delivery",
    "EMH": "Unsuccessful (physical) delivery",
    "EDH": "Item arrival at collection point for pick-up",
    "EMI": "Final delivery",
    "EDX": "Import terminated",
}

# What the EMS Cooperative tracker prints for each event (specs/ems-cooperative.md §2: plain
# English labels, not the UPU names). EME and EDH were not among the labels seen live: the sim
# words them as the tracker plausibly would (UNCONFIRMED), which the adapter must then classify
# by wording, as it would any label it has never seen.
EMS_LABELS: Mapping[str, str] = {
    "EMA": "Posted",
    "EMB": "Arrived at export office",
    "EMC": "Departed from export office",
    "EMD": "Arrived at destination import office",
    "EDB": "Presented to import customs",
    "EME": "Held by import customs",
    "EDC": "Released from import customs",
    "EMF": "Departed from destination import office",
    "EMG": "Arrived at post office",
    "EDG": "Out for delivery",
    "EMH": "Delivery attempted",
    "EDH": "Available for pick-up",
    "EMI": "Delivered",
    "EDX": "Returned to sender",
}

# The space before AM/PM on the tracker's dates: a plain space, or the no-break and narrow
# no-break spaces that browsers' and ICU's date formatting produce (spec §2). Chosen per number.
_MERIDIEM_SPACES = (" ", "\u00a0", "\u202f")

# Extra carrier wording 17TRACK shows after the UPU name (the EMS tracker shows the name only).
_DETAILS: Mapping[str, str] = {
    "EME": "awaiting documents from the addressee (commercial invoice)",
    "EMH": "addressee absent, notice left",
    "EDX": "not collected, returned to sender",
}

_SUB_STATUS: Mapping[str, str] = {
    "EMA": "InTransit_PickedUp",
    "EMB": "InTransit_Other",
    "EMC": "InTransit_Departure",
    "EMD": "InTransit_Arrival",
    "EDB": "InTransit_CustomsProcessing",
    "EME": "InTransit_CustomsRequiringInformation",
    "EDC": "InTransit_CustomsReleased",
    "EMF": "InTransit_Other",
    "EMG": "InTransit_Other",
    "EDG": "OutForDelivery_Other",
    "EMH": "DeliveryFailure_NoBody",
    "EDH": "AvailableForPickup_Other",
    "EMI": "Delivered_Other",
    "EDX": "Exception_Returning",
}

_KEY_STAGE: Mapping[str, str] = {
    "EMA": "PickedUp",
    "EMC": "Departure",
    "EMD": "Arrival",
    "EDG": "OutForDelivery",
    "EDH": "AvailableForPickup",
    "EMI": "Delivered",
    "EDX": "Returning",
}

# Text a hostile carrier might send; the app must show all of it as inert plain text.
HOSTILE_MARKUP = "[bold]x[/]"
HOSTILE_CLICK = "[@click=app.quit]Click me[/]"
HOSTILE_CSI = "\x1b[2J\x1b[31mRED\x1b[0m"
HOSTILE_OSC8 = "\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\"
HOSTILE_BIDI = "\u202eEDISREVER"
HOSTILE_CONTROL = "NUL\x00DEL\x7fEND"
HOSTILE_HTML = "</td></tr><script>alert(1)</script>&amp;"
HOSTILE_LONG = ("Long description " * 300)[:4999] + "!"
HOSTILE_STRINGS: tuple[str, ...] = (
    HOSTILE_MARKUP, HOSTILE_CLICK, HOSTILE_CSI, HOSTILE_OSC8, HOSTILE_BIDI, HOSTILE_CONTROL,
    HOSTILE_HTML, HOSTILE_LONG,
)

_HOUR = 3600.0
_DAY = 24 * _HOUR
EXPIRED_AFTER = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Place:
    """Where an event happened, with the time zone its local times are written in."""

    city: str
    postal_code: str
    country: Country


@dataclass(frozen=True, slots=True)
class JourneyEvent:
    """One simulated event. `time` is the UTC instant; `visible_at` is when sources show it."""

    code: str
    name: str
    description: str
    location: str
    place: Place
    label: str  # the EMS tracker's wording for this event
    ems_location: str  # the EMS tracker's location text: the facility, upper case, no country
    meridiem_space: str
    time: datetime
    visible_at: datetime
    sub_status: str
    key_stage: str | None
    posted_at: datetime

    @property
    def offset(self) -> timedelta:
        return self.time - self.posted_at

    @property
    def local_time(self) -> datetime:
        return self.time.astimezone(self.place.country.tz)

    @property
    def country(self) -> str:
        return self.place.country.code

    @property
    def ems_time(self) -> str:
        """The EMS Cooperative tracker's offset-less local wall time: `Sep 1, 2026, 10:48 AM`."""
        t = self.local_time
        hour = t.hour % 12 or 12
        return (f"{t.strftime('%b')} {t.day}, {t.year}, {hour}:{t.minute:02d}"
                f"{self.meridiem_space}{'PM' if t.hour >= 12 else 'AM'}")

    @property
    def time_iso(self) -> str:
        return self.local_time.isoformat(timespec="seconds")

    @property
    def time_utc(self) -> str:
        return self.time.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Journey:
    number: str
    scenario: str
    origin: Country
    destination: Country
    origin_office: Office
    destination_office: Office
    posted_at: datetime
    events: tuple[JourneyEvent, ...]

    def visible(self, now: datetime) -> list[JourneyEvent]:
        """Events a source shows at `now`, oldest first."""
        return [e for e in self.events if e.visible_at <= now]


@dataclass(frozen=True, slots=True)
class _Step:
    code: str
    where: str  # o_city, o_exch, d_exch, d_office
    gap_hours: tuple[float, float]
    returning: bool = False


def _seed(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:8], "big")


def default_scenario(number: str, weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> str:
    """The scenario a number gets unless one is assigned: a weighted, seeded choice."""
    rng = random.Random(_seed("scenario", number))
    names = list(weights)
    return rng.choices(names, weights=[weights[n] for n in names])[0]


# How long ago (hours) a number of each scenario was posted, relative to the epoch.
_POSTED_AGO: Mapping[str, tuple[float, float]] = {
    "normal": (12, 240),
    "customs_hold": (96, 288),
    "failed_delivery_then_pickup": (120, 240),
    "returned_to_sender": (480, 840),
    "no_records_48h": (0, 40),
    "long_silence": (192, 480),
    "lost": (240, 960),
    "hostile": (72, 192),
}


def _normal_tail(rng: random.Random, *, customs: bool) -> list[_Step]:
    steps = [_Step("EMD", "d_exch", (28, 80))]
    if customs:
        steps += [_Step("EDB", "d_exch", (1, 6)), _Step("EDC", "d_exch", (3, 30))]
    steps += [
        _Step("EMF", "d_exch", (2, 14)),
        _Step("EMG", "d_office", (10, 36)),
        _Step("EDG", "d_office", (1, 5)),
        _Step("EMI", "d_office", (1, 7)),
    ]
    return steps


_HEAD = [
    _Step("EMA", "o_city", (0, 0)),
    _Step("EMB", "o_exch", (3, 12)),
    _Step("EMC", "o_exch", (6, 30)),
]


def _steps(scenario: str, rng: random.Random) -> list[_Step]:
    customs = rng.random() < 0.6
    if scenario in ("normal", "no_records_48h"):
        return _HEAD + _normal_tail(rng, customs=customs)
    if scenario == "hostile":
        return _HEAD + _normal_tail(rng, customs=True)
    if scenario == "long_silence":
        tail = _normal_tail(rng, customs=customs)
        tail[0] = _Step("EMD", "d_exch", (18 * 24, 35 * 24))
        return _HEAD + tail
    if scenario == "lost":
        return _HEAD + ([_Step("EMD", "d_exch", (28, 80))] if rng.random() < 0.5 else [])
    if scenario == "customs_hold":
        return [
            *_HEAD,
            _Step("EMD", "d_exch", (28, 80)),
            _Step("EDB", "d_exch", (1, 6)),
            _Step("EME", "d_exch", (2, 12)),
            _Step("EDC", "d_exch", (7 * 24, 20 * 24)),
            _Step("EMF", "d_exch", (2, 14)),
            _Step("EMG", "d_office", (10, 36)),
            _Step("EDG", "d_office", (1, 5)),
            _Step("EMI", "d_office", (1, 7)),
        ]
    delivery_attempt = [
        _Step("EMD", "d_exch", (28, 80)),
        _Step("EMF", "d_exch", (2, 14)),
        _Step("EMG", "d_office", (10, 36)),
        _Step("EDG", "d_office", (1, 5)),
        _Step("EMH", "d_office", (2, 6)),
        _Step("EDH", "d_office", (3, 20)),
    ]
    if scenario == "failed_delivery_then_pickup":
        return [*_HEAD, *delivery_attempt, _Step("EMI", "d_office", (24, 120))]
    if scenario == "returned_to_sender":
        return [
            *_HEAD, *delivery_attempt,
            _Step("EDX", "d_office", (14 * 24, 16 * 24), returning=True),
            _Step("EMC", "d_exch", (24, 96), returning=True),
            _Step("EMD", "o_exch", (72, 168), returning=True),
            _Step("EMI", "o_city", (30, 80), returning=True),
        ]
    raise ValueError(f"unknown scenario {scenario!r}; choose from {', '.join(SCENARIOS)}")


# Which field of which event the hostile scenario poisons: code -> (field, text).
_HOSTILE: Mapping[str, tuple[str, str]] = {
    "EMA": ("location", f"{HOSTILE_MARKUP} GUANGZHOU"),
    "EMB": ("name", HOSTILE_CLICK),
    "EMC": ("name", f"{HOSTILE_CSI} {HOSTILE_OSC8}"),
    "EMD": ("location", f"{HOSTILE_BIDI} {HOSTILE_HTML}"),
    "EDB": ("name", HOSTILE_LONG),
    "EDC": ("location", HOSTILE_CONTROL),
}


def build_journey(number: str, scenario: str, posted_at: datetime) -> Journey:
    """The journey of `number` under `scenario`; the same inputs always give the same journey."""
    if posted_at.tzinfo is None:
        raise ValueError("posted_at must be timezone-aware")
    route = random.Random(_seed("route", number))
    origin = country_for(number[-2:] if S10_RE.match(number) else "CN")
    choices = [c for c in DESTINATIONS if c != origin.code]
    destination = country_for(route.choice(choices))
    o_office = route.choice(origin.offices)
    d_office = route.choice(destination.offices)

    rng = random.Random(_seed("events", number, scenario))
    places = {
        "o_city": (Place(o_office.city, o_office.postal_code, origin),
                   f"{o_office.city}, {origin.name}"),
        "o_exch": (Place(o_office.exchange, "", origin), f"{o_office.exchange}, {origin.name}"),
        "d_exch": (Place(destination.inward_exchange, "", destination),
                   f"{destination.inward_exchange}, {destination.name}"),
        "d_office": (Place(d_office.city, d_office.postal_code, destination),
                     f"{d_office.city} {d_office.postal_code}".strip()),
    }
    meridiem_space = _MERIDIEM_SPACES[_seed("meridiem", number) % len(_MERIDIEM_SPACES)]
    hidden_until = posted_at + timedelta(hours=48) if scenario == "no_records_48h" else posted_at
    when = posted_at
    events: list[JourneyEvent] = []
    for step in _steps(scenario, rng):
        lo, hi = step.gap_hours
        when += timedelta(seconds=round(rng.uniform(lo, hi) * _HOUR / 60) * 60)
        place, location = places[step.where]
        name, label = UPU_NAMES[step.code], EMS_LABELS[step.code]
        ems_location = _tracker_location(location, place.country)
        if scenario == "hostile" and step.code in _HOSTILE:
            field, text = _HOSTILE[step.code]
            if field == "name":
                name = label = text
            else:
                location = ems_location = text
        detail = _DETAILS.get(step.code)
        description = f"{name} ({detail})" if detail else name
        sub_status = _SUB_STATUS[step.code]
        key_stage = _KEY_STAGE.get(step.code)
        if step.returning:
            final = step.code == "EMI"
            sub_status = "Exception_Returned" if final else "Exception_Returning"
            key_stage = "Returned" if final else ("Returning" if step.code == "EDX" else None)
        events.append(JourneyEvent(
            code=step.code, name=name, description=description, location=location, place=place,
            label=label, ems_location=ems_location, meridiem_space=meridiem_space,
            time=when, visible_at=max(when, hidden_until), sub_status=sub_status,
            key_stage=key_stage, posted_at=posted_at,
        ))
    return Journey(number, scenario, origin, destination, o_office, d_office, posted_at,
                   tuple(events))


def _tracker_location(location: str, country: Country) -> str:
    """The EMS tracker shows facility names in upper case, here without the country name."""
    return location.removesuffix(f", {country.name}").upper()


class Journeys:
    """Every number's journey, relative to the simulation's epoch. Thread-safe.

    A number gets a seeded scenario and posting time unless `assign` overrides them.
    """

    def __init__(self, epoch: datetime, *, weights: Mapping[str, float] | None = None) -> None:
        if epoch.tzinfo is None:
            raise ValueError("epoch must be timezone-aware")
        self.epoch = epoch
        self._weights = dict(weights or DEFAULT_WEIGHTS)
        self._lock = threading.Lock()
        self._assigned: dict[str, tuple[str, datetime | None]] = {}
        self._cache: dict[str, Journey] = {}

    def assign(self, number: str, scenario: str, *, posted_at: datetime | None = None) -> Journey:
        """Give `number` a scenario (and optionally a posting time); returns the new journey."""
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; choose from {', '.join(SCENARIOS)}")
        if posted_at is not None and posted_at.tzinfo is None:
            raise ValueError("posted_at must be timezone-aware")
        with self._lock:
            self._assigned[number] = (scenario, posted_at)
            self._cache.pop(number, None)
        return self.journey(number)

    def unassign(self, number: str) -> None:
        with self._lock:
            self._assigned.pop(number, None)
            self._cache.pop(number, None)

    def scenario_of(self, number: str) -> str:
        with self._lock:
            assigned = self._assigned.get(number)
        return assigned[0] if assigned else default_scenario(number, self._weights)

    def default_posted_at(self, number: str, scenario: str) -> datetime:
        lo, hi = _POSTED_AGO[scenario]
        hours = random.Random(_seed("posted", number, scenario)).uniform(lo, hi)
        return self.epoch - timedelta(minutes=round(hours * 60))

    def journey(self, number: str) -> Journey:
        with self._lock:
            cached = self._cache.get(number)
            if cached is None:
                assigned = self._assigned.get(number)
                scenario = assigned[0] if assigned else default_scenario(number, self._weights)
                posted_at = (assigned[1] if assigned else None) or self.default_posted_at(
                    number, scenario)
                cached = self._cache[number] = build_journey(number, scenario, posted_at)
            return cached

    def visible_events(self, number: str, now: datetime) -> list[JourneyEvent]:
        """Events of `number` that sources show at simulated time `now`, oldest first."""
        return self.journey(number).visible(now)
