"""Marked parcels in the monitor: the rows Space marks, so archive, unarchive, refresh and remove
act on several parcels at once.

Marks are tracking numbers, kept in the order they were marked. They belong to the parcel, not
to its row: they survive refreshes, sorting and filtering (a marked parcel hidden by the filter
or by hiding archived parcels stays marked and is counted as hidden), and they go only when the
parcel stops being watched (`keep_only`) or the user clears them. No Textual here.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator

from emstui.core.sanitize import clean_line

MARK_GLYPH = "*"  # in the status cell's leading space: plain ASCII, readable without colour
LISTED = 5  # parcels named in a bulk confirmation; the rest are counted


class MarkSet:
    """The marked tracking numbers, in marking order."""

    def __init__(self, numbers: Iterable[str] = ()) -> None:
        self._marked: dict[str, None] = dict.fromkeys(numbers)

    def __contains__(self, number: object) -> bool:
        return number in self._marked

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._marked))

    def __len__(self) -> int:
        return len(self._marked)

    def __bool__(self) -> bool:
        return bool(self._marked)

    def toggle(self, number: str) -> bool:
        """Mark `number`, or unmark it when it was marked; True when it is marked now."""
        if number in self._marked:
            del self._marked[number]
            return False
        self._marked[number] = None
        return True

    def mark(self, numbers: Iterable[str]) -> list[str]:
        """Mark these; the ones that were not marked before."""
        added = [n for n in dict.fromkeys(numbers) if n not in self._marked]
        self._marked.update(dict.fromkeys(added))
        return added

    def unmark(self, numbers: Iterable[str]) -> list[str]:
        """Unmark these; the ones that were marked."""
        removed = [n for n in dict.fromkeys(numbers) if n in self._marked]
        for number in removed:
            del self._marked[number]
        return removed

    def clear(self) -> list[str]:
        """Unmark everything; the numbers that were marked."""
        removed, self._marked = list(self._marked), {}
        return removed

    def keep_only(self, watched: Collection[str]) -> list[str]:
        """Drop the marks of parcels no longer watched; the numbers dropped."""
        return self.unmark([n for n in self._marked if n not in watched])

    def hidden(self, shown: Callable[[str], bool]) -> int:
        """How many marked parcels are not in the table now (`shown` says which are)."""
        return sum(1 for n in self._marked if not shown(n))


def count_text(marked: int, hidden: int) -> str:
    """The footer's words: "3 marked", "3 marked (1 hidden)"; empty when nothing is marked."""
    if not marked:
        return ""
    return f"{marked} marked" + (f" ({hidden} hidden)" if hidden else "")


def parcels_phrase(count: int) -> str:
    return f"{count} parcel" if count == 1 else f"{count} parcels"


def listing(titles: Iterable[str], limit: int = LISTED) -> list[str]:
    """The first `limit` parcel titles, sanitised, and "… and N more" for the rest."""
    titles = list(titles)
    lines = [clean_line(title, limit=60) for title in titles[:limit]]
    if len(titles) > limit:
        lines.append(f"… and {len(titles) - limit} more")
    return lines
