"""CSV for spreadsheets (`emstui list --csv`, `emstui --once --csv`): one row per parcel.

Every cell is one line of cleaned text (`clean_line`), and a cell a spreadsheet would read as a
formula (starting with = + - @) gets a leading apostrophe: labels come from users and event
text from carriers, and `=HYPERLINK(...)` in either must stay text when the file is opened.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from emstui.core.model import ParcelState
from emstui.core.sanitize import (
    BLOCK_LIMIT,
    DESCRIPTION_LIMIT,
    GENERIC_LIMIT,
    LOCATION_LIMIT,
    clean_line,
)
from emstui.present.eta import Estimate

COLUMNS = ("number", "label", "note", "status", "stage", "last_event_time",
           "last_event_time_local", "last_event_location", "last_event_description",
           "eta_from", "eta_to", "eta_source", "destination", "last_checked", "next_check",
           "archived")

# Characters that make a spreadsheet evaluate a cell (OWASP "CSV injection"). Leading tabs and
# carriage returns are also on that list; `clean_line` never leaves whitespace at the start.
FORMULA_STARTS = ("=", "+", "-", "@")


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One parcel as the export shows it: the config's fields and what the store knows."""

    number: str
    label: str
    note: str
    state: ParcelState | None
    estimate: Estimate | None
    archived: bool = False


def spreadsheet_cell(text: object, *, limit: int = GENERIC_LIMIT) -> str:
    """One cleaned line that a spreadsheet shows as text, never evaluates."""
    cell = clean_line(text, limit=limit)
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _iso(when: datetime | None) -> str:
    return when.isoformat() if when is not None else ""


def _cells(row: ExportRow) -> list[str]:
    state = row.state
    last = state.last_event if state is not None else None
    facts = state.facts if state is not None else None
    estimate = row.estimate
    raw = [
        (row.number, GENERIC_LIMIT),
        (row.label, GENERIC_LIMIT),
        (row.note, BLOCK_LIMIT),
        (state.status.value if state else "unknown", GENERIC_LIMIT),
        (state.stage.value if state else "none", GENERIC_LIMIT),
        (last.time_raw if last else "", GENERIC_LIMIT),
        (_iso(last.time_local) if last else "", GENERIC_LIMIT),
        (last.location if last else "", LOCATION_LIMIT),
        (last.description if last else "", DESCRIPTION_LIMIT),
        (_iso(estimate.start) if estimate else "", GENERIC_LIMIT),
        (_iso(estimate.end) if estimate else "", GENERIC_LIMIT),
        (estimate.source if estimate else "", GENERIC_LIMIT),
        ((facts.destination_country or "") if facts else "", GENERIC_LIMIT),
        (_iso(state.last_checked) if state else "", GENERIC_LIMIT),
        (_iso(state.next_due) if state else "", GENERIC_LIMIT),
        ("true" if row.archived else "false", GENERIC_LIMIT),
    ]
    return [spreadsheet_cell(value, limit=limit) for value, limit in raw]


def to_csv(rows: Iterable[ExportRow]) -> str:
    """The whole document: a header line, then one line per row (LF line ends, as every
    spreadsheet reads them; the terminal output layer would turn CRLF into LF anyway)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(_cells(row))
    return buffer.getvalue()


__all__ = ["COLUMNS", "FORMULA_STARTS", "ExportRow", "spreadsheet_cell", "to_csv"]
