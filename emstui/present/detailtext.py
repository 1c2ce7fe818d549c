"""Detail and header text: event times, a source's shipment facts (route, last mile, sync) and a
provider's health, as words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from emstui.core.countries import country_name
from emstui.core.model import Event, HealthState, ShipmentFacts, Status
from emstui.core.sanitize import clean_line
from emstui.engine.health import ProviderHealth
from emstui.present.statuswords import NO_VALUE
from emstui.present.timefmt import event_instant, format_clock, format_relative, to_utc

# A source that has not synced with the carrier for this long shows old news. 17TRACK syncs
# every few hours (specs/17track.md section 12, cadence UNCONFIRMED): a day is several misses.
SYNC_STALE_AFTER = timedelta(hours=24)


def format_event_time(event: Event, tz: tzinfo) -> tuple[str, bool]:
    """(text, in_user_zone) for an event's time.

    Events with a known instant are shown in the user's zone. Events with only a wall time show
    that wall time as given (the scan site's local time: the caller must label it so). Events
    without a parsed time show the raw text.
    """
    instant, exact = event_instant(event)
    if instant is not None and exact:
        return f"{instant.astimezone(tz):%Y-%m-%d %H:%M}", True
    if event.time_local is not None:
        return f"{event.time_local:%Y-%m-%d %H:%M}", False
    raw = clean_line(event.time_raw, limit=40)
    return (raw or NO_VALUE), False


def _country(code: str) -> str:
    if not code:
        return ""
    name = country_name(code)
    return f"{name} ({code})" if name else code


@dataclass(frozen=True, slots=True)
class FactsView:
    """The ParcelView fields that come from a source's shipment facts."""

    destination: str = ""
    destination_name: str = ""
    route: str = ""
    last_mile: str = ""
    status_detail: str = ""
    sync: str = ""
    sync_problem: bool = False


_NO_FACTS = FactsView()


def facts_view(number: str, facts: ShipmentFacts | None, status: Status, now: datetime
               ) -> FactsView:
    if facts is None:
        return _NO_FACTS
    # Providers keep only two-letter codes; cleaned again, the store being a file on disk.
    origin = clean_line(facts.origin_country or "", limit=8)
    destination = clean_line(facts.destination_country or "", limit=8)
    origin_text, destination_text = _country(origin), _country(destination)
    route = f"{origin_text or NO_VALUE} → {destination_text or NO_VALUE}" \
        if origin_text or destination_text else ""
    local_number = facts.local_number
    if local_number is not None and local_number.replace(" ", "").upper() == number.upper():
        local_number = "same number"
    last_mile = " · ".join(clean_line(t, limit=60)
                           for t in (facts.local_provider, local_number) if t)
    sync, sync_problem = sync_text(facts, status, now)
    return FactsView(
        destination=destination,
        destination_name=(country_name(destination) or "") if destination else "",
        route=route, last_mile=last_mile,
        status_detail=clean_line(facts.sub_status_text or ""),
        sync=sync, sync_problem=sync_problem)


def sync_text(facts: ShipmentFacts, status: Status, now: datetime) -> tuple[str, bool]:
    """(words, is_a_problem) for the source's own sync with the carrier."""
    ok = facts.sync_ok
    when = f"last synced {format_relative(facts.sync_time, now)}" \
        if facts.sync_time is not None else "never synced"
    carrier = f" with {clean_line(facts.sync_carrier, limit=60)}" if facts.sync_carrier else ""
    if ok is False:
        return f"failing ({clean_line(facts.sync_status, limit=32)}){carrier}; {when}", True
    if facts.sync_time is None:
        return ("ok" if ok else ""), False
    if not status.is_final and now - to_utc(facts.sync_time) > SYNC_STALE_AFTER:
        return f"stale: {when}{carrier}", True
    return f"ok, {when}", False


# (words, tone) for each provider health state; tone is "ok", "warning", "error" or "muted".
_HEALTH_WORDS: dict[HealthState, tuple[str, str]] = {
    HealthState.OK: ("ok", "ok"),
    HealthState.BACKOFF: ("backing off", "warning"),
    HealthState.OFFLINE: ("offline", "error"),
    HealthState.AUTH: ("key problem", "error"),
    HealthState.QUOTA: ("quota used up", "error"),
    HealthState.GONE: ("source moved", "error"),
    HealthState.IDLE: ("idle", "muted"),
}
_SAYS_UNTIL = frozenset({HealthState.BACKOFF, HealthState.QUOTA})  # "... until 14:05"


def describe_health(health: ProviderHealth, now: datetime, tz: tzinfo) -> tuple[str, str]:
    """(words, tone) for a provider's health; tone is "ok", "warning", "error" or "muted"."""
    state = health.state
    known = _HEALTH_WORDS.get(state)
    if known is None:
        return clean_line(state, limit=30) or "unknown", "muted"
    words, tone = known
    if state in _SAYS_UNTIL and health.until is not None and health.until > now:
        words = f"{words} until {format_clock(health.until, now, tz)}"
    return words, tone
