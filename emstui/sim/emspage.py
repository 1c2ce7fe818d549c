"""The EMS Cooperative tracker's HTML pages, in the live shape of specs/ems-cooperative.md §2."""

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


def _wrapper(number: str, inner: str) -> str:
    """The page around one result: the query echo, then the result wrapper `div` (spec §2: the id
    and the class `result-table` sit on the wrapper; the page's script removes `hidden`)."""
    n = escape(number)
    return (
        f"{_HEAD}"
        '  <form class="tracking-form" method="get" action="/api/publicTracking/track">\n'
        f'    <input id="publicTrackingView.itemId" name="itemId" value="{n}">\n'
        "  </form>\n"
        f'  <div class="result-table hidden" id="table-{n}">\n'
        f"{inner}"
        f"  </div>\n{_TAIL}"
    )


def _table(number: str, rows: str) -> str:
    return _wrapper(number, (
        "    <table>\n"
        "      <thead>\n"
        '        <tr><th class="header-cell">Date and time</th>'
        '<th class="header-cell">Status of Item</th><th class="header-cell">Location</th></tr>\n'
        "      </thead>\n"
        '      <tbody class="tbody">\n'
        f"{rows}"
        "      </tbody>\n"
        "    </table>\n"))


def events_page(number: str, events: Sequence[JourneyEvent]) -> str:
    """The results table, oldest event first; the not-found row when there are no events."""
    if not events:
        return not_found_page(number)
    rows = "".join(
        '        <tr class="result-table-row">'
        f"<td>{escape(e.ems_time)}</td><td>{escape(e.label)}</td>"
        f"<td>{escape(e.ems_location)}</td></tr>\n"
        for e in events
    )
    return _table(number, rows)


def not_found_page(number: str) -> str:
    return _table(number, '        <tr><td colspan="3" class="no-results-found">'
                          "There were no results found.</td></tr>\n")


def error_page(message: str) -> str:
    """A page-level error list (the tracker's answer to input it cannot read at all)."""
    return f'{_HEAD}  <ul class="error">\n    <li>{escape(message)}</li>\n  </ul>\n{_TAIL}'


def not_ems_page(number: str) -> str:
    """Inside the number's wrapper, instead of the table; note the doubled single quotes."""
    message = f"Tracking number ''{number}'' does not denote an EMS item."
    return _wrapper(number, f'    <ul class="error"><li>{escape(message, quote=False)}</li></ul>\n')


def forbidden_page() -> str:
    return ("<!DOCTYPE html>\n<html><head><title>403 Forbidden</title></head>\n"
            "<body><h1>403 Forbidden</h1><p>Access denied.</p></body></html>\n")
