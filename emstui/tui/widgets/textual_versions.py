"""Which Textual releases emstui's uses of Textual internals were checked against.

Two widgets reach past Textual's public API for speed, each with the public path beside it:
`datatable_fastpath` (DataTable's row caches) and `footer` (the stock Footer's key widget,
shown and hidden instead of recomposed). Both ask `supported()` first.
"""

from __future__ import annotations

import textual

# [from, to): the Textual releases whose internals the fast paths were checked against.
SUPPORTED = ((8, 2), (8, 3))


def version_tuple(version: str) -> tuple[int, ...]:
    parts: list[int] = []
    for part in version.split("."):
        digits = "".join(c for c in part if c.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def supported(version: str | None = None) -> bool:
    """Whether this Textual release (the one running, unless given) is in `SUPPORTED`."""
    return SUPPORTED[0] <= version_tuple(version or textual.__version__) < SUPPORTED[1]
