"""How a parcel's status reads everywhere: its glyph, word, meaning, tone and sort rank, the
words for the error kinds a parcel records, and the marks and bars drawn beside them."""

from __future__ import annotations

from emstui.core.model import ErrorKind, Status

STAGE_BAR_FULL = "▰"
STAGE_BAR_EMPTY = "▱"
NO_VALUE = "—"
UNSEEN_MARK = "●"  # new events since the user last looked at the parcel
QUIET_MARKS: dict[str, str] = {"warn": "!", "alert": "!!"}  # after the last scan's age
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
STATUS_RANK: dict[Status, int] = {
    status: rank
    for rank, status in enumerate((
        Status.EXCEPTION, Status.DELIVERY_FAILED, Status.AVAILABLE_FOR_PICKUP, Status.RETURNED,
        Status.IN_CUSTOMS, Status.OUT_FOR_DELIVERY, Status.IN_TRANSIT, Status.INFO_RECEIVED,
        Status.NOT_FOUND, Status.UNKNOWN, Status.EXPIRED, Status.DELIVERED,
    ))
}


def status_order() -> list[Status]:
    """Every status in the order sorting by status shows them: what needs the user first."""
    return sorted(Status, key=STATUS_RANK.__getitem__)


ERROR_WORDS: dict[str, str] = {  # the kinds a parcel records (see the engine)
    ErrorKind.QUOTA: "quota used up",
    ErrorKind.TEMPORARY: "source unreachable",
    ErrorKind.BAD_RESPONSE: "bad answer",
    ErrorKind.UNSUPPORTED: "no source",
    ErrorKind.NO_SOURCE: "no 17TRACK key",
    ErrorKind.NOT_FOUND: "not found",
    ErrorKind.INVALID: "invalid number",
    ErrorKind.NOT_REGISTERED: "not registered",
}


def stage_bar(index: int, total: int, width: int | None = None) -> str:
    """A progress bar like "▰▰▰▱▱▱▱▱" with `index` of `total` cells filled (width cells)."""
    width = total if width is None else width
    if total <= 0 or width <= 0:
        return ""
    filled = max(0, min(width, round(index * width / total)))
    return STAGE_BAR_FULL * filled + STAGE_BAR_EMPTY * (width - filled)
