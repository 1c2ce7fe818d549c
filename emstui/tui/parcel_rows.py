"""The main screen's table bookkeeping: each parcel's state and view, and which views are stale."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, tzinfo

from emstui.config import Parcel
from emstui.core.model import Event, ParcelState, ShipmentFacts, Status
from emstui.engine.events import CycleFinished, ParcelUpdated
from emstui.present import eta
from emstui.present.advice import Advice, advise, facts_for
from emstui.present.eta import Estimate
from emstui.present.views import (
    ParcelView,
    checking_view,
    make_view,
    retime_view,
    table_text_until,
)

StatusChange = tuple[str, Status | None, Status]  # number, old status, new status


class ParcelRows:
    """The watched parcels (`parcels`), their last states, arrival estimates and table views,
    and which views are out of date: the changed parcels' (`dirty`), all (`all_dirty`), or those
    waiting for new estimates or a pass's "checking…" mark (`retime_due`, `checking_due`),
    brought up to date a chunk at a time by `catch_up`.

    The main screen (`emstui.tui.screens.main`) owns one and hands the views to its table.
    """

    def __init__(self, tz: tzinfo, parcels: Iterable[Parcel] = ()) -> None:
        self.tz = tz
        self.parcels: dict[str, Parcel] = {p.number: p for p in parcels}
        self.states: dict[str, ParcelState] = {}
        self.views: dict[str, ParcelView] = {}
        # When each view's table text next reads differently as the clock moves (None: never).
        self.text_until: dict[str, datetime | None] = {}
        self.estimates: dict[str, Estimate] = {}
        self.estimates_due = True
        self.estimate_generation = 0
        self.retime_due: set[str] = set()  # views still to be given the new estimates
        self.checking_due: set[str] = set()  # views still to be marked "checking…"
        self.refreshing: set[str] = set()
        self.dirty: set[str] = set()
        self.all_dirty = True
        self.last_cycle: datetime | None = None
        self.status_changes: list[StatusChange] = []

    # ---- parcels and their states -------------------------------------------------------------

    def load_states(self, states: dict[str, ParcelState]) -> None:
        """The stored states, read at start."""
        self.states = states
        checked = [st.last_checked for st in states.values() if st.last_checked]
        self.last_cycle = max(checked) if checked else None  # "last" survives a restart

    def set_parcels(self, parcels: Iterable[Parcel]) -> list[str]:
        """A new watch list: forget the parcels gone, and rebuild every view and estimate.
        Returns the numbers that have no state yet (for the caller to read from the store)."""
        self.parcels = {p.number: p for p in parcels}
        for number in list(self.states):
            if number not in self.parcels:
                del self.states[number]
        self.views = {n: v for n, v in self.views.items() if n in self.parcels}
        self.all_dirty = True
        self.estimates_due = True
        return [n for n in self.parcels if n not in self.states]

    def seen(self, number: str, state: ParcelState, now: datetime) -> ParcelView:
        """The parcel's `state` once its new events were seen: its view without the unseen mark."""
        self.states[number] = state
        view = self.views[number] = self.make_view(number, now)
        return view

    # ---- views ----------------------------------------------------------------------------------

    def make_view(self, number: str, now: datetime) -> ParcelView:
        """The parcel's view at `now`, made afresh (the caller stores it)."""
        state, estimate = self.states.get(number), self.estimates.get(number)
        view = make_view(self.parcels[number], state, now, self.tz,
                         refreshing=number in self.refreshing, estimate=estimate)
        self.text_until[number] = table_text_until(view, state, now, self.tz, estimate=estimate)
        return view

    def retime_view(self, number: str, now: datetime) -> ParcelView:
        """The parcel's view at `now`, recomputing only what reads the clock."""
        state, estimate = self.states.get(number), self.estimates.get(number)
        view = retime_view(self.views[number], self.parcels[number], state, now, self.tz,
                           estimate=estimate)
        self.text_until[number] = table_text_until(view, state, now, self.tz, estimate=estimate)
        self.views[number] = view
        return view

    def view_now(self, number: str, now: datetime) -> ParcelView:
        """The parcel's view with its ages brought to `now` (the detail shows them)."""
        if number in self.views:
            return self.retime_view(number, now)
        return self.make_view(number, now)

    def advice(self, number: str, view: ParcelView, events: Sequence[Event], now: datetime
               ) -> list[Advice]:
        """What the detail advises for the parcel shown as `view`, with its `events`."""
        parcel, state = self.parcels[number], self.states.get(number)
        added = (datetime.combine(parcel.added, datetime.min.time(), now.tzinfo)
                 if parcel.added else (state.first_seen if state else None))
        facts = facts_for(number, status=view.status, stage=view.stage, events=events,
                          added=added, last_error=state.last_error if state else None,
                          error_kind=state.error_kind if state else None, note=parcel.note,
                          eta=self.estimates.get(number)
                          or eta.source_estimate(state.facts if state else None))
        return advise(facts, now)

    def is_visible(self, number: str, filter_text: str, show_archived: bool) -> bool:
        parcel, view = self.parcels[number], self.views[number]
        return (not parcel.archived or show_archived) and view.matches(filter_text)

    def visible(self, filter_text: str, show_archived: bool) -> list[ParcelView]:
        """The views the table shows under this filter, with archived parcels or without."""
        return [v for n, v in self.views.items() if self.is_visible(n, filter_text, show_archived)]

    def rows_stay(self, numbers: Iterable[str], filter_text: str, show_archived: bool,
                  in_table: Callable[[str], bool]) -> bool:
        """Whether each of these parcels is `in_table` exactly when it should be shown."""
        return all((number in self.parcels
                    and self.is_visible(number, filter_text, show_archived))
                   == in_table(number) for number in numbers)

    def take_estimates_due(self) -> bool:
        """Whether arrivals must be estimated again (at start, after a pass or a config change)."""
        due, self.estimates_due = self.estimates_due, False
        return due

    def update(self, now: datetime) -> tuple[bool, set[str]]:
        """Rebuild the views out of date at `now`. Returns whether all were rebuilt, and the
        parcels that changed since the last update."""
        rebuilt = self.all_dirty
        if self.all_dirty:
            self.views = {n: self.make_view(n, now) for n in self.parcels}
            self.all_dirty = False
            self.retime_due.clear()  # made with the estimates and marks in force
            self.checking_due.clear()
        else:
            for number in self.dirty:
                if number in self.parcels:
                    self.views[number] = self.make_view(number, now)
        dirty, self.dirty = self.dirty, set()
        return rebuilt, dirty

    def tick(self, now: datetime) -> list[ParcelView]:
        """The clock reached `now`: retime the views whose table text reads differently now
        (and only those); returns them."""
        due = [number for number, until in self.text_until.items()
               if until is not None and until <= now
               and number in self.views and number in self.parcels]
        return [self.retime_view(number, now) for number in due]

    def take_status_changes(self) -> list[StatusChange]:
        changes, self.status_changes = self.status_changes, []
        return changes

    # ---- arrival estimates ----------------------------------------------------------------------

    def estimate_request(self) -> tuple[int, dict[str, ShipmentFacts | None]]:
        """A new request for estimates: its generation, and the facts to estimate from."""
        self.estimate_generation += 1
        facts = {n: s.facts for n, s in self.states.items() if n in self.parcels}
        return self.estimate_generation, facts

    def take_estimates(self, generation: int, fresh: dict[str, Estimate]) -> bool:
        """Take `fresh` estimates if they answer the newest request (an older answer arriving
        late is dropped). Returns whether any view must change: unless all are about to be
        rebuilt, the changed ones wait in `retime_due`."""
        if generation != self.estimate_generation:
            return False
        old, self.estimates = self.estimates, fresh
        changed = {n for n in old.keys() | fresh.keys() if old.get(n) != fresh.get(n)}
        if not changed:
            return False
        if not self.all_dirty:
            self.retime_due |= changed
        return True

    # ---- the engine's changes -------------------------------------------------------------------

    def parcel_updated(self, change: ParcelUpdated) -> None:
        self.states[change.number] = change.state
        self.refreshing.discard(change.number)
        self.dirty.add(change.number)
        if change.status_changed and change.old_status is not None:
            self.status_changes.append((change.number, change.old_status, change.state.status))

    def refresh_started(self, numbers: Collection[str]) -> None:
        """A pass began checking these parcels: their views wait for the "checking…" mark (a
        parcel with no view yet gets it when made)."""
        self.refreshing.update(numbers)
        for number in numbers:
            if number in self.views:
                self.checking_due.add(number)
            else:
                self.dirty.add(number)

    def cycle_finished(self, change: CycleFinished, in_flight: Collection[str]) -> set[str]:
        """A pass ended: the parcels it checked and no longer in flight lose their "checking…"
        mark; the estimates are due again. Returns those parcels."""
        done = {n for n in self.refreshing if n not in in_flight}
        self.refreshing -= done
        self.dirty.update(done)
        self.last_cycle = change.finished
        self.estimates_due = True  # deliveries and stages of this pass change them
        return done

    # ---- catching up, a chunk at a time ---------------------------------------------------------

    @property
    def catching_up(self) -> bool:
        """Whether views wait for new estimates or a "checking…" mark."""
        return bool(self.retime_due or self.checking_due)

    def waiting(self) -> list[str]:
        return list(self.retime_due | self.checking_due)

    def next_chunk(self, first: Iterable[str | None], size: int) -> list[str]:
        """Up to `size` of the parcels waiting to catch up, those in `first` (the cursor's, the
        rows on screen) first."""
        due = self.retime_due | self.checking_due
        chunk = list(dict.fromkeys(n for n in first if n is not None and n in due))[:size]
        taken = set(chunk)
        for number in due:
            if len(chunk) >= size:
                break
            if number not in taken:
                chunk.append(number)
        return chunk

    def catch_up(self, numbers: Iterable[str], now: datetime) -> list[ParcelView]:
        """Give these parcels' views what they wait for (a parcel answered meanwhile keeps its
        fresh view); returns the views."""
        views = []
        for number in numbers:
            checking = number in self.checking_due
            retime = number in self.retime_due
            self.checking_due.discard(number)
            self.retime_due.discard(number)
            if number not in self.views or number not in self.parcels:
                continue
            if checking and number in self.refreshing:  # not answered meanwhile
                self.views[number] = checking_view(self.views[number])
            if retime:
                self.retime_view(number, now)
            views.append(self.views[number])
        return views
