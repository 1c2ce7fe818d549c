"""Turn a watched parcel and its stored state into display-ready plain values (no Textual)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache

from emstui.config import Parcel
from emstui.core import s10
from emstui.core.countries import country_name
from emstui.core.model import (
    ErrorKind,
    Event,
    HealthState,
    ParcelState,
    ShipmentFacts,
    Stage,
    Status,
)
from emstui.core.sanitize import clean_line
from emstui.engine.health import ProviderHealth
from emstui.present.advice import Level, silence_level, silence_rule
from emstui.present.eta import Estimate, source_estimate
from emstui.present.eta_text import EtaText, eta_text
from emstui.present.timefmt import (
    event_instant,
    format_age,
    format_clock,
    format_relative,
    to_utc,
    when_it_happened,
)

STAGE_BAR_FULL = "▰"
STAGE_BAR_EMPTY = "▱"
NO_VALUE = "—"
UNSEEN_MARK = "●"  # new events since the user last looked at the parcel
QUIET_MARKS: dict[str, str] = {"warn": "!", "alert": "!!"}  # after the last scan's age
# A source that has not synced with the carrier for this long shows old news. 17TRACK syncs
# every few hours (specs/17track.md section 12, cadence UNCONFIRMED): a day is several misses.
SYNC_STALE_AFTER = timedelta(hours=24)

# Single-cell glyphs that no terminal draws as emoji (no U+2714/U+2716 style characters).
GLYPHS: dict[Status, str] = {
    Status.NOT_FOUND: "?",
    Status.INFO_RECEIVED: "○",
    Status.IN_TRANSIT: "→",
    Status.IN_CUSTOMS: "◈",
    Status.OUT_FOR_DELIVERY: "»",
    Status.AVAILABLE_FOR_PICKUP: "⌂",
    Status.DELIVERY_FAILED: "!",
    Status.DELIVERED: "✓",
    Status.RETURNED: "↶",
    Status.EXCEPTION: "✗",
    Status.EXPIRED: "–",
    Status.UNKNOWN: "·",
}

# The status in a word or two: with the glyph it carries the meaning without colour.
STATUS_WORDS: dict[Status, str] = {
    Status.NOT_FOUND: "no record",
    Status.INFO_RECEIVED: "announced",
    Status.IN_TRANSIT: "transit",
    Status.IN_CUSTOMS: "customs",
    Status.OUT_FOR_DELIVERY: "delivering",
    Status.AVAILABLE_FOR_PICKUP: "pick up",
    Status.DELIVERY_FAILED: "missed",
    Status.DELIVERED: "delivered",
    Status.RETURNED: "returned",
    Status.EXCEPTION: "failed",
    Status.EXPIRED: "expired",
    Status.UNKNOWN: "unknown",
}

# What each status means, for the legend in `?` help.
STATUS_MEANINGS: dict[Status, str] = {
    Status.NOT_FOUND: "no source knows this number yet",
    Status.INFO_RECEIVED: "the sender announced it; no scan yet",
    Status.IN_TRANSIT: "moving between offices or countries",
    Status.IN_CUSTOMS: "with customs, or waiting to be presented",
    Status.OUT_FOR_DELIVERY: "on its way to the address today",
    Status.AVAILABLE_FOR_PICKUP: "waiting for you at a post office",
    Status.DELIVERY_FAILED: "a delivery attempt failed",
    Status.DELIVERED: "delivered",
    Status.RETURNED: "on its way back to the sender",
    Status.EXCEPTION: "the post reported a problem",
    Status.EXPIRED: "the source stopped following it",
    Status.UNKNOWN: "not checked yet",
}

# Which theme colour (`$status-<tone>`) a status is drawn in.
TONES: dict[Status, str] = {
    Status.NOT_FOUND: "unknown",
    Status.INFO_RECEIVED: "transit",
    Status.IN_TRANSIT: "transit",
    Status.IN_CUSTOMS: "customs",
    Status.OUT_FOR_DELIVERY: "transit",
    Status.AVAILABLE_FOR_PICKUP: "attention",
    Status.DELIVERY_FAILED: "attention",
    Status.DELIVERED: "delivered",
    Status.RETURNED: "exception",
    Status.EXCEPTION: "exception",
    Status.EXPIRED: "unknown",
    Status.UNKNOWN: "unknown",
}
TONE_NAMES: tuple[str, ...] = ("delivered", "transit", "customs", "attention", "exception",
                               "unknown")

# Sorting by status puts what needs the user first and finished parcels last.
_STATUS_RANK: dict[Status, int] = {
    status: rank
    for rank, status in enumerate((
        Status.EXCEPTION, Status.DELIVERY_FAILED, Status.AVAILABLE_FOR_PICKUP, Status.RETURNED,
        Status.IN_CUSTOMS, Status.OUT_FOR_DELIVERY, Status.IN_TRANSIT, Status.INFO_RECEIVED,
        Status.NOT_FOUND, Status.UNKNOWN, Status.EXPIRED, Status.DELIVERED,
    ))
}



def status_order() -> list[Status]:
    """Every status in the order sorting by status shows them: what needs the user first."""
    return sorted(Status, key=_STATUS_RANK.__getitem__)


_ERROR_WORDS: dict[str, str] = {  # the kinds a parcel records (see the engine)
    ErrorKind.QUOTA: "quota used up",
    ErrorKind.TEMPORARY: "source unreachable",
    ErrorKind.BAD_RESPONSE: "bad answer",
    ErrorKind.UNSUPPORTED: "no source",
    ErrorKind.NO_SOURCE: "no 17TRACK key",
    ErrorKind.NOT_FOUND: "not found",
    ErrorKind.INVALID: "invalid number",
    ErrorKind.NOT_REGISTERED: "not registered",
}


@dataclass(frozen=True, slots=True)
class ParcelView:
    """Everything one table row, the detail header or a `--once` line shows, as plain values."""

    number: str
    label: str
    note: str
    status: Status
    status_label: str  # "In transit"
    status_word: str  # "transit": the table's short word (STATUS_WORDS)
    glyph: str
    tone: str  # one of TONE_NAMES
    stage: Stage
    stage_index: int
    stage_total: int
    stage_label: str
    spaced_number: str
    is_s10: bool
    is_ems: bool
    origin_code: str  # S10 issuing country code, "" when not an S10 number
    origin_name: str  # the ISSUING post's country, never the destination
    service_label: str
    provider: str  # provider that gave the current status, or the configured one, or ""
    raw_status: str
    latest_event: str
    location: str
    event_time: str  # latest event's time as shown (user's zone, or the scan site's wall time)
    event_at: datetime | None  # best UTC estimate of the latest event's instant
    event_time_exact: bool  # False when only a wall time without offset was given
    age: str  # "3d 4h", "~5h 12m" (estimated), "now", or NO_VALUE
    quiet: str  # "" | "warn" | "alert": no scan for longer than usual at this stage (advice)
    next_kind: str  # "due" | "scheduled" | "backoff" | "error" | "off" | "pending" | ...
    next_text: str  # "14:05", "retry 14:05", "no source", "checking…", "archived"
    next_at: datetime | None
    error: str  # full sanitised error text, "" when the last check succeeded
    error_short: str  # "key problem", "source unreachable"
    last_checked: str  # "5m ago", "never"
    unseen: int
    archived: bool
    refreshing: bool
    destination: str = ""  # ISO code of the destination country a source reported, or ""
    destination_name: str = ""
    route: str = ""  # "China (CN) → Germany (DE)", "" when no source said
    eta: str = ""  # "Fri 20 Nov – Mon 23 Nov", "" when no estimate (or the parcel is done)
    eta_note: str = ""  # "estimate by 17TRACK · passed", "from your 7 earlier CN→DE parcels"
    eta_short: str = ""  # the table's cell: "27–30 Nov", "overdue 30 Nov"
    eta_overdue: bool = False  # past the estimate's last day
    eta_last_day: date | None = None
    last_mile: str = ""  # "DHL Paket · EE123456785CN"
    status_detail: str = ""  # the source's own words for its sub-status
    sync: str = ""  # how fresh the source's copy of the carrier's data is
    sync_problem: bool = False  # the source's sync is failing or stale

    @property
    def display_label(self) -> str:
        return self.label or self.number

    @property
    def status_rank(self) -> int:
        return _STATUS_RANK[self.status]

    @property
    def stage_bar(self) -> str:
        return stage_bar(self.stage_index, self.stage_total)

    @property
    def status_text(self) -> str:
        """The status cell: glyph, the unseen mark (or a space) and the word: "◈● customs"."""
        return f"{self.glyph}{UNSEEN_MARK if self.unseen else ' '} {self.status_word}"

    @property
    def age_text(self) -> str:
        """The last scan's age with its quiet mark: "9d 8h !"."""
        mark = QUIET_MARKS.get(self.quiet)
        return f"{self.age} {mark}" if mark else self.age


# ---- formatting ------------------------------------------------------------------------------


def stage_bar(index: int, total: int, width: int | None = None) -> str:
    """A progress bar like "▰▰▰▱▱▱▱▱" with `index` of `total` cells filled (width cells)."""
    width = total if width is None else width
    if total <= 0 or width <= 0:
        return ""
    filled = max(0, min(width, round(index * width / total)))
    return STAGE_BAR_FULL * filled + STAGE_BAR_EMPTY * (width - filled)


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
    sync, sync_problem = _sync_text(facts, status, now)
    return FactsView(
        destination=destination,
        destination_name=(country_name(destination) or "") if destination else "",
        route=route, last_mile=last_mile,
        status_detail=clean_line(facts.sub_status_text or ""),
        sync=sync, sync_problem=sync_problem)


def _sync_text(facts: ShipmentFacts, status: Status, now: datetime) -> tuple[str, bool]:
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


# ---- the view --------------------------------------------------------------------------------


@lru_cache(maxsize=16384)
def _number_facts(number: str) -> s10.TrackingNumber | None:
    try:
        return s10.parse(number)
    except s10.InvalidNumber:
        return None


def _event_age(event: Event, now: datetime) -> tuple[datetime | None, bool, str]:
    instant, exact = when_it_happened(event)
    if instant is None:
        return None, False, NO_VALUE
    age = format_age(now - instant)
    return instant, exact, age if exact or age == "now" else f"~{age}"


def _next_check(state: ParcelState | None, *, now: datetime, tz: tzinfo, archived: bool,
                refreshing: bool) -> tuple[str, str, datetime | None]:
    """(kind, text, when) for the next-check column."""
    if refreshing:
        return "checking", "checking…", None
    if archived:
        return "archived", "archived", None
    if state is None or (state.last_checked is None and state.last_error is None):
        return "pending", "not checked yet", None
    due = state.next_due
    if state.last_error:
        word = _ERROR_WORDS.get(state.error_kind or "", "error")
        if due is None or state.error_kind == ErrorKind.NO_SOURCE:  # retrying cannot help
            return "error", word, None
        return "backoff", f"retry {format_clock(due, now, tz)}", due
    if due is None:
        return "off", "done" if state.status.is_final else "paused", None
    if due <= now:
        return "due", "due", due
    return "scheduled", format_clock(due, now, tz), due


def make_view(parcel: Parcel, state: ParcelState | None, now: datetime, tz: tzinfo, *,
              refreshing: bool = False, estimate: Estimate | None = None) -> ParcelView:
    """The display values for one parcel at `now`, with times in the user's zone `tz`.

    `estimate` is the parcel's arrival estimate (`emstui.present.eta.estimates`); without one, the
    source's own window is shown when it gave one.
    """
    number = parcel.number
    facts = _number_facts(number)
    status = state.status if state else Status.UNKNOWN
    stage = state.stage if state else Stage.NONE
    event = state.last_event if state else None
    if event is not None:
        event_at, exact, age = _event_age(event, now)
        event_time, _ = format_event_time(event, tz)
        latest = clean_line(event.description)
        location = clean_line(event.location)
    else:
        event_at, exact, age, event_time, latest, location = None, False, NO_VALUE, "", "", ""
    quiet = _quiet(status, stage, event_at, now)
    next_kind, next_text, next_at = _next_check(state, now=now, tz=tz,
                                                archived=parcel.archived, refreshing=refreshing)
    error = clean_line(state.last_error) if state and state.last_error else ""
    error_short = _ERROR_WORDS.get(state.error_kind or "", "error") if error and state else ""
    checked = _last_checked(state, now)
    provider = (state.provider if state else None) or parcel.provider or ""
    shipment = facts_view(number, state.facts if state else None, status, now)
    arrival = _arrival(state, status, estimate, now, tz)
    return ParcelView(
        number=number,
        label=clean_line(parcel.label),
        note=clean_line(parcel.note, limit=500),
        status=status,
        status_label=status.label.capitalize(),
        status_word=STATUS_WORDS[status],
        glyph=GLYPHS[status],
        tone=TONES[status],
        stage=stage,
        stage_index=stage.index,
        stage_total=Stage.last_index(),
        stage_label=stage.label if stage is not Stage.NONE else "not started",
        spaced_number=facts.spaced() if facts else number,
        is_s10=bool(facts and facts.is_s10),
        is_ems=bool(facts and facts.is_ems),
        origin_code=(facts.country_code or "") if facts else "",
        origin_name=(facts.country_name or "") if facts else "",
        service_label=facts.service_label if facts else "unrecognised number",
        provider=clean_line(provider, limit=40),
        raw_status=clean_line(" / ".join(
            s for s in ((state.raw_status, state.raw_sub_status) if state else ()) if s)),
        latest_event=latest,
        location=location,
        event_time=event_time,
        event_at=event_at,
        event_time_exact=exact,
        age=age,
        quiet=quiet,
        next_kind=next_kind,
        next_text=next_text,
        next_at=next_at,
        error=error,
        error_short=error_short,
        last_checked=checked,
        unseen=state.unseen_count if state else 0,
        archived=parcel.archived,
        refreshing=refreshing,
        destination=shipment.destination,
        destination_name=shipment.destination_name,
        route=shipment.route,
        eta=arrival.window if arrival else "",
        eta_note=arrival.note if arrival else "",
        eta_short=arrival.short if arrival else "",
        eta_overdue=bool(arrival and arrival.overdue),
        eta_last_day=arrival.last_day if arrival else None,
        last_mile=shipment.last_mile,
        status_detail=shipment.status_detail,
        sync=shipment.sync,
        sync_problem=shipment.sync_problem,
    )


def _quiet(status: Status, stage: Stage, event_at: datetime | None, now: datetime) -> str:
    level = silence_level(status, stage, now - event_at if event_at else None)
    return {Level.WARNING: "warn", Level.ALERT: "alert"}.get(level, "") if level else ""


def _last_checked(state: ParcelState | None, now: datetime) -> str:
    if state is None or state.last_checked is None:
        return "never"
    return format_relative(state.last_checked, now)


def _arrival(state: ParcelState | None, status: Status, estimate: Estimate | None,
             now: datetime, tz: tzinfo) -> EtaText | None:
    if status.is_final:
        return None
    return eta_text(estimate or source_estimate(state.facts if state else None), now, tz)


def retime_view(view: ParcelView, parcel: Parcel, state: ParcelState | None, now: datetime,
                tz: tzinfo, *, estimate: Estimate | None = None) -> ParcelView:
    """`view` (made by `make_view` from the same parcel, state and estimate) at a later `now`.

    Recomputes only what depends on the clock: the last scan's age and quiet mark, the next
    check, the last check, the arrival estimate's text and overdue mark, and the source's sync
    freshness. Returns `view` itself when none of them changed, so a caller can tell untouched
    rows by identity. Nothing the filter or the sort orders read depends on the clock.
    """
    event_at = view.event_at
    if event_at is None:
        age = NO_VALUE
    else:
        age = format_age(now - event_at)
        if not view.event_time_exact and age != "now":
            age = f"~{age}"
    quiet = _quiet(view.status, view.stage, event_at, now)
    next_kind, next_text, next_at = _next_check(state, now=now, tz=tz, archived=parcel.archived,
                                                refreshing=view.refreshing)
    checked = _last_checked(state, now)
    arrival = _arrival(state, view.status, estimate, now, tz)
    facts = state.facts if state else None
    sync, sync_problem = (_sync_text(facts, view.status, now) if facts is not None
                          else ("", False))
    eta = arrival.window if arrival else ""
    eta_note = arrival.note if arrival else ""
    eta_short = arrival.short if arrival else ""
    eta_overdue = bool(arrival and arrival.overdue)
    eta_last_day = arrival.last_day if arrival else None
    if (age, quiet, next_kind, next_text, next_at, checked, eta, eta_note, eta_short,
            eta_overdue, eta_last_day, sync, sync_problem) == (
            view.age, view.quiet, view.next_kind, view.next_text, view.next_at,
            view.last_checked, view.eta, view.eta_note, view.eta_short, view.eta_overdue,
            view.eta_last_day, view.sync, view.sync_problem):
        return view
    return replace(view, age=age, quiet=quiet, next_kind=next_kind, next_text=next_text,
                   next_at=next_at, last_checked=checked, eta=eta, eta_note=eta_note,
                   eta_short=eta_short, eta_overdue=eta_overdue, eta_last_day=eta_last_day,
                   sync=sync, sync_problem=sync_problem)


_MINUTE, _HOUR, _DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
_TICK = timedelta(microseconds=1)  # thresholds are passed strictly after their instant


def _next_midnight(now: datetime, tz: tzinfo) -> datetime:
    local = to_utc(now).astimezone(tz)
    return datetime.combine(local.date() + _DAY, datetime.min.time(), tz).astimezone(UTC)


def table_text_until(view: ParcelView, state: ParcelState | None, now: datetime, tz: tzinfo,
                     *, estimate: Estimate | None = None) -> datetime | None:
    """The earliest instant after `now` at which a table cell of `view` may read differently
    (its age, quiet mark, next check or arrival estimate), or None when none reads the clock.

    Early is allowed (`retime_view` then finds nothing changed), late is not. The detail-only
    fields (last check, sync) change every minute and are not counted: retime a view before
    showing those.
    """
    now = to_utc(now)
    candidates: list[datetime] = []
    event_at = view.event_at
    if event_at is not None:
        elapsed = now - event_at
        if elapsed < _MINUTE:
            step = _MINUTE
        else:  # format_age: minutes under a day, hours under 100 days, then days
            step = _MINUTE if elapsed < _DAY else _HOUR if elapsed < 100 * _DAY else _DAY
        candidates.append(event_at + (max(elapsed, timedelta(0)) // step + 1) * step)
        rule = silence_rule(Stage.OUT_FOR_DELIVERY if view.status is Status.OUT_FOR_DELIVERY
                            else view.stage)
        candidates += [event_at + rule.warn + _TICK, event_at + rule.alert + _TICK]
    midnight = _next_midnight(now, tz)
    if view.next_at is not None:
        candidates += [to_utc(view.next_at), midnight]  # "due" from then; its day name shortens
    if not view.status.is_final:
        shown = estimate or source_estimate(state.facts if state else None)
        if shown is not None:
            last = shown.end or shown.start
            candidates += [midnight, _next_midnight(now, UTC)]  # days named; a source's overdue
            if last is not None:
                candidates.append(to_utc(last) + _TICK)  # history's ends at an instant
    later = [when for when in candidates if when > now]
    return min(later) if later else None


def describe_health(health: ProviderHealth, now: datetime, tz: tzinfo) -> tuple[str, str]:
    """(words, tone) for a provider's health; tone is "ok", "warning", "error" or "muted"."""
    state = health.state
    if state == HealthState.OK:
        return "ok", "ok"
    if state == HealthState.BACKOFF:
        if health.until is not None and health.until > now:
            return f"backing off until {format_clock(health.until, now, tz)}", "warning"
        return "backing off", "warning"
    if state == HealthState.OFFLINE:
        return "offline", "error"
    if state == HealthState.AUTH:
        return "key problem", "error"
    if state == HealthState.QUOTA:
        if health.until is not None and health.until > now:
            return f"quota used up until {format_clock(health.until, now, tz)}", "error"
        return "quota used up", "error"
    if state == HealthState.GONE:
        return "source moved", "error"
    if state == HealthState.IDLE:
        return "idle", "muted"
    return clean_line(state, limit=30) or "unknown", "muted"


# ---- sorting ---------------------------------------------------------------------------------

_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


def _newest_first(view: ParcelView) -> float:
    return -view.event_at.timestamp() if view.event_at else float("inf")


def _stage_text(view: ParcelView) -> str:
    return view.stage_bar


NEXT_MARKS: dict[str, str] = {"backoff": "↻", "error": "✗"}  # before the next-check text


def _next_text(view: ParcelView) -> str:
    """The next-check cell: retries and errors get a mark ("↻ retry 14:05", "✗ key problem")."""
    mark = NEXT_MARKS.get(view.next_kind)
    return f"{mark} {view.next_text}" if mark else view.next_text


# ---- the table's columns -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Width:
    """How wide a column may be, in cells of content (every cell also has one leading space).

    A column wants its widest cell, or its title with room for the sort arrow, within [min, max].
    A `shrink` column gives width back, down to `min`, before a core column is dropped. The
    `flex` column takes the width the others leave, up to what it wants; columns that are not
    core are dropped, least important first, until it has at least `comfortable` cells.
    """

    min: int
    max: int
    shrink: bool = False
    flex: bool = False
    comfortable: int = 0


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the parcel table, declared once: adding a column is adding one of these.

    `priority` says what matters when the width runs short: 1 is kept longest; columns are
    dropped from the highest number down (ties: the rightmost first). `core` columns are
    squeezed before they are dropped, and only once every other column has gone.
    """

    key: str
    title: str
    priority: int
    width: Width
    text: Callable[[ParcelView], str]  # the cell's plain text; its width sizes the column
    core: bool = False
    sort: Callable[[ParcelView], tuple[object, ...]] | None = None  # default: by its text

    def sort_key(self) -> Callable[[ParcelView], tuple[object, ...]]:
        if self.sort is not None:
            return self.sort
        text = self.text
        return lambda v: (text(v).casefold(), v.number)


# Display order. What is happening to a parcel first, then when it last moved; identity and
# bookkeeping (next check) last.
TABLE_COLUMNS: tuple[Column, ...] = (
    Column("status", "Status", 1, Width(6, 14), lambda v: v.status_text, core=True,
           sort=lambda v: (v.status_rank, _newest_first(v), v.number)),
    Column("label", "Label", 2, Width(8, 24, shrink=True), lambda v: v.display_label,
           core=True),
    Column("event", "Latest event", 3, Width(12, 60, flex=True, comfortable=30),
           lambda v: v.latest_event, core=True),
    Column("location", "Location", 6, Width(8, 20), lambda v: v.location),
    Column("age", "Last scan", 4, Width(3, 11), lambda v: v.age_text, core=True,
           sort=lambda v: (_newest_first(v), v.number)),
    Column("number", "Number", 5, Width(6, 22), lambda v: v.number,
           sort=lambda v: (v.number,)),
    Column("origin", "From", 7, Width(4, 4), lambda v: v.origin_code,
           sort=lambda v: (v.origin_code or "~", v.number)),
    Column("destination", "To", 8, Width(2, 4), lambda v: v.destination or "",
           sort=lambda v: (v.destination or "~", v.number)),  # unknown last
    Column("stage", "Stage", 10, Width(8, 8), _stage_text,
           sort=lambda v: (v.stage_index, v.number)),
    Column("eta", "ETA", 9, Width(3, 14), lambda v: v.eta_short,
           sort=lambda v: (v.eta_last_day or date.max, v.number)),  # none last
    Column("next", "Next check", 11, Width(6, 18), _next_text,
           sort=lambda v: (v.next_at or _FAR_FUTURE, v.number)),
)
SORT_KEYS: dict[str, Callable[[ParcelView], tuple[object, ...]]] = {
    c.key: c.sort_key() for c in TABLE_COLUMNS}
DEFAULT_SORT = "status"

