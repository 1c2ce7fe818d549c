"""What `emstui --once` prints: one row per parcel, and that row as text, JSON or CSV.

The rows hold summary columns only (one store query for every parcel); JSON reads each parcel's
events as it writes it (`rows_with_events`), so memory holds one parcel, not the document.
Stderr lines (untrackable parcels, providers in trouble, progress) are written here too.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from json.encoder import encode_basestring as _json_string  # json.dumps' own (C)
from typing import TYPE_CHECKING, Any, TextIO

from emstui.cli.exitcodes import ExitCode
from emstui.config import Parcel
from emstui.core.model import ErrorKind, Event, HealthState, ParcelState
from emstui.core.sanitize import clean_line, json_dumps, json_safe
from emstui.engine.engine import CycleReport
from emstui.engine.health import ProviderHealth
from emstui.present.output import write_progress
from emstui.present.timefmt import format_age, when_it_happened
from emstui.store import Store
from emstui.store.summaries import events_by_parcel

if TYPE_CHECKING:  # JSON and CSV import the estimates, official operators and CSV writer
    from emstui.present.eta import Estimate

# Errors are clipped to this in text output; `_why_waiting` keeps each provider's part short, so
# the retry times at their ends always fit.
ERROR_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class RowError:
    """Why a parcel shows an error: a kind scripts can test (`no_source`, `offline`, ...)."""

    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class OnceRow:
    number: str
    label: str
    state: ParcelState | None
    events: tuple[Event, ...]
    changed: bool
    error: RowError | None

    @property
    def last_event(self) -> Event | None:
        """The newest event: from the events when loaded (JSON), else the stored summary."""
        if self.events:
            return self.events[0]
        return self.state.last_event if self.state is not None else None


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def event_json(event: Event) -> dict[str, Any]:
    return {
        "time": event.time_raw,
        "time_local": _iso(event.time_local),
        "time_utc": _iso(event.time_utc),
        "location": event.location,
        "description": event.description,
        "provider": event.provider,
        "code": event.code,
        "sources": list(event.reported_by),
    }


def row_error(number: str, state: ParcelState | None, report: CycleReport,
              untrackable: Mapping[str, str]) -> RowError | None:
    """The error a parcel shows now: no source at all, this run's failure, or a stored one."""
    if number in untrackable:
        return RowError(ErrorKind.NO_SOURCE, untrackable[number])
    failed = report.failed.get(number)
    stored = state is not None and state.last_error and number not in report.refreshed
    kind = ((state.error_kind if state is not None and state.last_error else None)
            or ErrorKind.PROVIDER)
    if failed is not None:
        return RowError(kind, failed)
    if stored and state is not None and state.last_error:
        return RowError(kind, state.last_error)
    return None


def _operator_name(state: ParcelState | None) -> str | None:
    """The destination country's designated postal operator, from emstui's own table."""
    from emstui.present.official import destination_operator

    facts = state.facts if state else None
    operator = destination_operator(facts.destination_country if facts else None)
    return operator.name if operator else None


def row_estimate(number: str, state: ParcelState | None,
                 estimates: Mapping[str, Estimate] | None) -> Estimate | None:
    """The parcel's arrival window: the computed one, else the source's own."""
    from emstui.present import eta

    facts = state.facts if state else None
    return (estimates or {}).get(number) or eta.source_estimate(facts)


def _eta_field(row: OnceRow, now: datetime,
               estimates: Mapping[str, Estimate] | None) -> dict[str, Any] | None:
    estimate = row_estimate(row.number, row.state, estimates)
    return estimate_json(estimate, now) if estimate is not None else None


def collect_rows(parcels: Sequence[Parcel], store: Store, report: CycleReport,
                 *, changed_since: datetime | None, include_all: bool,
                 untrackable: Mapping[str, str] | None = None,
                 states: Mapping[str, ParcelState] | None = None) -> list[OnceRow]:
    """One row per watched (non-archived) parcel, with what this run learnt about it.

    A parcel has changed when its status or events changed after `changed_since` (the previous
    run's mark: whoever fetched the change, this run or the TUI), or, without a previous run,
    during this run. Without `include_all` only changed parcels get a row. Rows hold no
    events: text and CSV need only the summary columns `states` holds (one query for every
    parcel); JSON reads them as it prints each row (`rows_with_events`).
    """
    active = [p for p in parcels if not p.archived]
    if states is None:
        states = store.states([p.number for p in active])
    changed = store.changed_since(changed_since) if changed_since is not None \
        else report.changed
    rows = []
    for parcel in active:
        state = states.get(parcel.number)
        is_changed = parcel.number in changed
        error = row_error(parcel.number, state, report, untrackable or {})
        if not include_all and not is_changed:
            continue
        rows.append(OnceRow(parcel.number, parcel.label, state, (), is_changed, error))
    return rows


def estimate_json(estimate: Estimate, now: datetime) -> dict[str, Any]:
    """An arrival window: `source` is the source's name ("17TRACK") or "history"; `basis` says
    it in words, `samples` counts the earlier parcels behind a history window."""
    return {"from": _iso(estimate.start), "to": _iso(estimate.end), "source": estimate.source,
            "basis": estimate.basis, "samples": estimate.samples, "overdue": estimate.overdue(now)}


def parcel_json(row: OnceRow, now: datetime,
                estimates: Mapping[str, Estimate] | None = None) -> dict[str, Any]:
    """One element of the document's `parcels`."""
    state = row.state
    last = row.last_event
    return {
        "number": row.number,
        "label": row.label,
        "status": state.status.value if state else "unknown",
        "stage": state.stage.value if state else "none",
        "provider": state.provider if state else None,
        "changed": row.changed,
        "last_event": event_json(last) if last else None,
        "events": [event_json(e) for e in row.events],
        "error": ({"kind": row.error.kind, "message": clean_line(row.error.message, limit=500)}
                  if row.error else None),
        "next_check": _iso(state.next_due) if state else None,
        "eta": _eta_field(row, now, estimates),
        "destination": state.facts.destination_country if state and state.facts else None,
        "destination_operator": _operator_name(state),
    }


_PARCELS_OPEN = '"parcels": []\n}'
_NO_EVENTS = '\n  "events": [],\n'  # in a parcel's JSON: a raw newline is never inside a string


def _json_text(value: str | None) -> str:
    return "null" if value is None else _json_string(value)


def _events_json(events: Sequence[Event]) -> str:
    """`"events": [...]` of a parcel's JSON, byte for byte as `json_dumps` indents it
    (tests/cli/test_once_stream.py compares them), with the same escapes."""
    blocks = []
    for event in events:
        sources = event.reported_by
        listed = ("[\n        " + ",\n        ".join(map(_json_string, sources)) + "\n      ]"
                  if sources else "[]")
        blocks.append(
            '    {\n'
            f'      "time": {_json_string(event.time_raw)},\n'
            f'      "time_local": {_json_text(_iso(event.time_local))},\n'
            f'      "time_utc": {_json_text(_iso(event.time_utc))},\n'
            f'      "location": {_json_string(event.location)},\n'
            f'      "description": {_json_string(event.description)},\n'
            f'      "provider": {_json_string(event.provider)},\n'
            f'      "code": {_json_text(event.code)},\n'
            f'      "sources": {listed}\n'
            '    }')
    return '\n  "events": [\n' + json_safe(",\n".join(blocks)) + "\n  ],\n"
_ITEM_INDENT = "\n    "  # json_dumps indents two spaces a level; parcels are two levels down


def write_json(out: TextIO, rows: Iterable[OnceRow], *, generated_at: datetime,
               health: Mapping[str, ProviderHealth],
               estimates: Mapping[str, Estimate] | None = None) -> None:
    """The JSON document, written one parcel at a time (memory holds one parcel, not the
    document): the same text, byte for byte, as `json_dumps` of the whole document.
    `estimates` (`emstui.present.eta.estimates`) gives each parcel's `eta`; without them a
    source's own window is shown."""
    head = json_dumps({
        "generated_at": generated_at.isoformat(),
        "providers": {pid: {"state": h.state, "message": h.message, "until": _iso(h.until)}
                      for pid, h in sorted(health.items())},
        "parcels": [],
    })
    if not head.endswith(_PARCELS_OPEN):  # json_dumps' layout changed: this must follow it
        raise AssertionError("unexpected JSON layout")
    out.write(head[:-len("]\n}")])
    separator = _ITEM_INDENT
    for row in rows:
        item = json_dumps(parcel_json(replace(row, events=()), generated_at, estimates))
        if row.events:  # written here: json's own indenting encoder takes 4x as long
            item = item.replace(_NO_EVENTS, _events_json(row.events), 1)
        out.write(separator + item.replace("\n", _ITEM_INDENT))
        separator = "," + _ITEM_INDENT
    out.write("]\n}\n" if separator == _ITEM_INDENT else "\n  ]\n}\n")


def to_json(rows: Sequence[OnceRow], *, generated_at: datetime,
            health: Mapping[str, ProviderHealth],
            estimates: Mapping[str, Estimate] | None = None) -> str:
    """The JSON document as one string (`write_json` writes it as it goes)."""
    buffer = io.StringIO()
    write_json(buffer, rows, generated_at=generated_at, health=health, estimates=estimates)
    return buffer.getvalue().removesuffix("\n")


def rows_with_events(rows: Sequence[OnceRow], store: Store) -> Iterator[OnceRow]:
    """The rows again, each with every event of its parcel, read as they are asked for."""
    events = events_by_parcel(store, [row.number for row in rows])
    for row, (_, found) in zip(rows, events, strict=True):
        yield replace(row, events=tuple(found))


def to_csv_rows(rows: Sequence[OnceRow], notes: Mapping[str, str],
                estimates: Mapping[str, Estimate] | None) -> str:
    """The CSV document (`emstui.present.csvexport`) of the rows JSON would print."""
    from emstui.present.csvexport import ExportRow, to_csv

    return to_csv(ExportRow(row.number, row.label, notes.get(row.number, ""), row.state,
                            row_estimate(row.number, row.state, estimates))
                  for row in rows)


def use_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


_COLOURS = {"delivered": "32", "returned": "35", "exception": "31", "delivery_failed": "31",
            "expired": "31", "in_customs": "33", "available_for_pickup": "36",
            "out_for_delivery": "36", "not_found": "2", "unknown": "2"}


def to_text(rows: Sequence[OnceRow], *, now: datetime, colour: bool) -> str:
    """A compact aligned table: status, label, number, last event, its age, and any error.

    Every text field passes through `clean_line` (the store's events are clean already; labels
    and error messages may not be), so nothing printed can carry a terminal escape.
    """
    lines = []
    table = []
    for row in rows:
        state = row.state
        status = state.status.value if state else "unknown"
        last = row.last_event
        when, exact = when_it_happened(last) if last else (None, False)
        # A wall time without offset is the scan site's clock read as UTC: say it is rough.
        age = (format_age(now - when) if exact else f"~{format_age(now - when)}") if when else ""
        event = f"{last.description} ({last.location})" if last and last.location else \
            (last.description if last else "—")
        table.append((status, clean_line(row.label), clean_line(row.number),
                      clean_line(event, limit=60), age,
                      clean_line(row.error.message, limit=ERROR_LIMIT) if row.error else ""))
    if not table:
        return ""
    width_status = max(len(r[0]) for r in table)
    width_number = max(len(r[2]) for r in table)
    width_label = min(28, max(len(r[1]) for r in table))
    for status, label, number, event, age, error in table:
        shown_status = status.ljust(width_status)
        if colour:
            shown_status = f"\x1b[{_COLOURS.get(status, '0')}m{shown_status}\x1b[0m"
        label = (label[:width_label - 1] + "…") if len(label) > width_label else label
        line = (f"{shown_status}  {label.ljust(width_label)}  {number.ljust(width_number)}  "
                f"{age:>8}  {event}")
        if error:
            line += f"  ! {error}"
        lines.append(line.rstrip())
    return "\n".join(lines) + "\n"


def exit_code(report: CycleReport, states: Mapping[str, ParcelState],
              untrackable: Mapping[str, str]) -> ExitCode:
    """NO_SOURCE while some parcel cannot be tracked at all (on every run, not only when it is
    due); else PROVIDER while any parcel could not be refreshed or still shows an error;
    else OK. The same state gives the same code, run after run."""
    if untrackable:
        return ExitCode.NO_SOURCE
    if report.failed or any(state.last_error for state in states.values()):
        return ExitCode.PROVIDER
    return ExitCode.OK


MAX_LISTED_UNTRACKABLE = 5


def untrackable_lines(untrackable: Mapping[str, str], labels: Mapping[str, str]) -> list[str]:
    """One stderr line per parcel no source can track (a few, then how many more)."""
    lines = []
    for number, reason in list(untrackable.items())[:MAX_LISTED_UNTRACKABLE]:
        label = clean_line(labels.get(number, ""), limit=40)
        named = f"{number} ({label})" if label else number
        lines.append(f"emstui: {named} cannot be tracked: {clean_line(reason, limit=500)}")
    more = len(untrackable) - MAX_LISTED_UNTRACKABLE
    if more > 0:
        lines.append(f"emstui: ... and {more} more parcels cannot be tracked for the same "
                     "reason (`emstui --once --json` lists them)")
    return lines


def provider_problems(health: Mapping[str, ProviderHealth],
                      zone: tzinfo | None = UTC) -> list[str]:
    """One stderr line per provider in trouble: which one, what went wrong, when it retries."""
    lines = []
    for pid, h in sorted(health.items()):
        if h.state in (HealthState.OK, HealthState.IDLE):
            continue
        if h.until is not None:
            when = ("; next attempt at "
                    f"{h.until.astimezone(zone).isoformat(timespec='seconds')}")
        elif h.state in (HealthState.AUTH, HealthState.QUOTA, HealthState.GONE):
            when = "; not retried until the configuration changes"
        else:
            when = ""
        lines.append(f"emstui: {pid}: {h.state}: {clean_line(h.message, limit=500)}{when}")
    return lines


def progress(message: str, stream: TextIO = sys.stderr) -> None:
    if getattr(stream, "isatty", lambda: False)():
        write_progress(stream, message)
        stream.flush()
