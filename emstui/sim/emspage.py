"""The EMS Cooperative tracker's HTML pages (specs/ems-cooperative.md section 5 shapes)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from emstui.sim.journeys import JourneyEvent

_HEAD = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>EMS tracking</title></head>
<body>
"""
_TAIL = """</body>
</html>
"""
INVALID_INPUT = "Please enter a valid item identifier."


def _table(number: str, rows: str) -> str:
    n = escape(number)
    return (
        f'{_HEAD}  <div class="result">\n'
        f'    <h2 class="result-item-id">{n}</h2>\n'
        f'    <table class="result-table" id="table-{n}">\n'
        "      <thead>\n"
        "        <tr><th>Date</th><th>Status</th><th>Location</th></tr>\n"
        "      </thead>\n"
        "      <tbody>\n"
        f"{rows}"
        "      </tbody>\n"
        "    </table>\n"
        f"  </div>\n{_TAIL}"
    )


def events_page(number: str, events: Sequence[JourneyEvent]) -> str:
    """The results table, oldest event first; the not-found row when there are no events."""
    if not events:
        return not_found_page(number)
    rows = "".join(
        '        <tr class="result-table-row">'
        f"<td>{escape(e.ems_time)}</td><td>{escape(e.name)}</td><td>{escape(e.location)}</td>"
        "</tr>\n"
        for e in events
    )
    return _table(number, rows)


def not_found_page(number: str) -> str:
    return _table(number, '        <tr><td class="no-results-found" colspan="3">'
                          "There were no results found.</td></tr>\n")


def error_page(message: str) -> str:
    return f'{_HEAD}  <ul class="error">\n    <li>{escape(message)}</li>\n  </ul>\n{_TAIL}'


def not_ems_page(number: str) -> str:
    return error_page(f"{number} does not denote an EMS item.")


def forbidden_page() -> str:
    return ("<!DOCTYPE html>\n<html><head><title>403 Forbidden</title></head>\n"
            "<body><h1>403 Forbidden</h1><p>Access denied.</p></body></html>\n")
