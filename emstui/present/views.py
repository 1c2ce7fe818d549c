"""Turn a watched parcel and its stored state into a ParcelView at a given instant, and say when
the clock next changes what its table row reads (no Textual).

The display vocabulary, the view itself, the detail text and the table's columns live in their own
modules; their names are re-exported here so callers keep one import.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache

from emstui.config import Parcel
from emstui.core import s10
from emstui.core.model import ErrorKind, Event, ParcelState, Stage, Status
from emstui.core.sanitize import clean_line
from emstui.present.advice import Level, silence_level, silence_rule
from emstui.present.columns import (
    DEFAULT_SORT,
    NEXT_MARKS,
    SORT_KEYS,
    TABLE_COLUMNS,
    Column,
    Width,
)
from emstui.present.detailtext import (
    SYNC_STALE_AFTER,
    FactsView,
    describe_health,
    facts_view,
    format_event_time,
    sync_text,
)
from emstui.present.eta import Estimate, source_estimate
from emstui.present.eta_text import EtaText, eta_text
from emstui.present.parcelview import ParcelView
from emstui.present.statuswords import (
    ERROR_WORDS,
    GLYPHS,
    NO_VALUE,
    QUIET_MARKS,
    STAGE_BAR_EMPTY,
    STAGE_BAR_FULL,
    STATUS_MEANINGS,
    STATUS_WORDS,
    TONE_NAMES,
    TONES,
    UNSEEN_MARK,
    stage_bar,
    status_order,
)
from emstui.present.timefmt import (
    event_instant,
    format_age,
    format_clock,
    format_relative,
    to_utc,
    when_it_happened,
)

_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)

__all__ = [  # re-exported: callers import the display names from here
    "DEFAULT_SORT", "GLYPHS", "NEXT_MARKS", "NO_VALUE", "QUIET_MARKS", "SORT_KEYS",
    "STAGE_BAR_EMPTY", "STAGE_BAR_FULL", "STATUS_MEANINGS", "STATUS_WORDS", "SYNC_STALE_AFTER",
    "TABLE_COLUMNS", "TONES", "TONE_NAMES", "UNSEEN_MARK", "Column", "FactsView", "ParcelView",
    "Width", "checking_view", "describe_health", "event_instant", "facts_view", "format_age",
    "format_clock", "format_event_time", "format_relative", "make_view", "retime_view", "stage_bar",
    "status_order", "table_text_until",
]


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
        word = ERROR_WORDS.get(state.error_kind or "", "error")
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
    error_short = ERROR_WORDS.get(state.error_kind or "", "error") if error and state else ""
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


def checking_view(view: ParcelView) -> ParcelView:
    """`view` while its parcel is being checked: what `make_view(..., refreshing=True)` gives
    for the same parcel and state, without rebuilding the rest (a pass marks thousands)."""
    if view.refreshing:
        return view
    kind, text, at = _next_check(None, now=_EPOCH_UTC, tz=UTC, archived=False, refreshing=True)
    return replace(view, refreshing=True, next_kind=kind, next_text=text, next_at=at)


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
    sync, sync_problem = (sync_text(facts, view.status, now) if facts is not None
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
