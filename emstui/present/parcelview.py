"""ParcelView: everything one parcel shows (a table row, the detail header, a `--once` line), as
plain display-ready values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from emstui.core.model import Stage, Status
from emstui.present.statuswords import QUIET_MARKS, STATUS_RANK, UNSEEN_MARK, stage_bar


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

    def matches(self, text: str) -> bool:
        """Whether the monitor's filter `text` is in any of the words the row and the detail
        show (case folded); every view matches an empty filter."""
        if not text:
            return True
        needle = text.casefold()
        haystack = (self.label, self.number, self.status_label, self.origin_code,
                    self.origin_name, self.location, self.latest_event, self.provider)
        return any(needle in words.casefold() for words in haystack)

    @property
    def display_label(self) -> str:
        return self.label or self.number

    @property
    def status_rank(self) -> int:
        return STATUS_RANK[self.status]

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
