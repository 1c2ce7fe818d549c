"""The SQLite history store: per-parcel state, the de-duplicated event log and "seen" markers."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

from emstui.core.clock import Clock, SystemClock
from emstui.core.logs import logger
from emstui.core.model import (
    ErrorKind,
    Event,
    ParcelState,
    PauseKind,
    ShipmentFacts,
    Stage,
    Status,
    Tracking,
)
from emstui.core.timeline import event_identity

log = logger("emstui.store")  # the name log files have always shown

_SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT = 15.0  # seconds a writer waits for the other process (TUI vs cron) to commit
SLOT_LOG_KEEP = 600.0  # seconds a finished request stays in the shared request log
RECOVERY_NOTICE_KEY = "recovery.notice"
RECOVERY_TOLD_KEY = "recovery.told"
CLAIM_KEEP = 3600.0  # seconds a finished claim is remembered
# Records stamped later than now plus this come from before the system clock was set back
# (or from a process with another clock): they cannot be honoured, so they are void. Without
# this, one request logged "in 2027" would hold every later request until 2027.
CLOCK_SKEW = 5.0
# `PRAGMA quick_check` reads every page (about 1 s cold at 5000 parcels x 30 events): run on
# open at most this often, the time of the last one kept in the meta table. Every open still
# checks the file header and reads the schema; `doctor` runs the full check on demand.
INTEGRITY_CHECK_KEY = "integrity.quick_check_at"
INTEGRITY_CHECK_EVERY = timedelta(days=1)
SLOT_POLL = 0.05  # seconds between asks while another process holds a provider's only slot

# Stored text is bounded: remote text is sanitised upstream, but a hostile page could still be big.
MAX_DESCRIPTION = 2000
MAX_LOCATION = 300
MAX_TIME_RAW = 100
MAX_SHORT = 64  # provider ids, UPU codes, error kinds
MAX_RAW_STATUS = 300
MAX_ERROR = 2000
MAX_FINGERPRINT = 256
MAX_CARRIERS = 500
MAX_SOURCES = 8  # sources named per event
MAX_SOURCES_TEXT = 600
MAX_FACT = 200  # each shipment fact (ETA source, last-mile number and carrier, sync status...)

_EVENT_COLS = ("time_raw, description, location, provider, time_local, time_utc, code, status, "
               "stage, first_seen, sources")
_PARCEL_COLS = ("p.number, p.status, p.stage, p.provider, p.raw_status, p.raw_sub_status, "
                "p.carriers, p.fingerprint, p.last_checked, p.last_changed, p.last_error, "
                "p.error_kind, p.next_due, p.backoff_level, p.first_seen, p.event_count, "
                "p.facts_at, p.eta_from, p.eta_to, p.eta_source, p.origin_country, "
                "p.destination_country, p.local_number, p.local_provider, p.sub_status_text, "
                "p.sync_status, p.sync_time, p.sync_carrier")
_FACT_COLS = ("eta_from", "eta_to", "eta_source", "origin_country", "destination_country",
              "local_number", "local_provider", "sub_status_text", "sync_status", "sync_time",
              "sync_carrier")


def _schema_v1(conn: sqlite3.Connection) -> None:
    statements = (
        # status/stage stay NULL until a tracking result was applied ("no state before").
        """CREATE TABLE parcels (
            number TEXT PRIMARY KEY NOT NULL,
            status TEXT, stage TEXT, provider TEXT, raw_status TEXT, raw_sub_status TEXT,
            carriers TEXT, fingerprint TEXT,
            last_checked TEXT, last_changed TEXT, last_error TEXT, error_kind TEXT,
            next_due TEXT, backoff_level INTEGER NOT NULL DEFAULT 0,
            first_seen TEXT NOT NULL, seen_at TEXT,
            event_count INTEGER NOT NULL DEFAULT 0)""",
        "CREATE INDEX parcels_by_last_changed ON parcels (last_changed)",
        # seq: source order within the parcel (higher = newer); pos: display order (0 = newest).
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            number TEXT NOT NULL, ident BLOB NOT NULL,
            seq INTEGER NOT NULL, pos INTEGER NOT NULL,
            time_raw TEXT NOT NULL, time_local TEXT, time_utc TEXT,
            location TEXT NOT NULL, description TEXT NOT NULL, provider TEXT NOT NULL,
            code TEXT, status TEXT, stage TEXT, first_seen TEXT NOT NULL,
            UNIQUE (number, ident))""",
        "CREATE INDEX events_by_pos ON events (number, pos)",
        "CREATE INDEX events_by_first_seen ON events (number, first_seen)",
        """CREATE TABLE registrations (
            number TEXT NOT NULL, provider TEXT NOT NULL, registered_at TEXT NOT NULL,
            PRIMARY KEY (number, provider)) WITHOUT ROWID""",
        "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID",
    )
    for statement in statements:
        conn.execute(statement)


def _schema_one_timeline(conn: sqlite3.Connection) -> None:
    """v2: events remember every source that reported them, and one scan reported by two
    sources (17TRACK's UPU name and the EMS tracker's label, say) is one event.

    Re-keys every stored event with `timeline.event_identity`, merges the rows that now share
    a key (the earliest first-seen copy stays, attributed to every source), and renumbers the
    order of each parcel's events, keeping it.
    """
    conn.execute("ALTER TABLE events ADD COLUMN sources TEXT")
    rows = conn.execute(
        "SELECT id, number, seq, pos, first_seen, time_raw, description, location, provider, "
        "time_local, code FROM events ORDER BY number, first_seen, id").fetchall()
    keep: dict[tuple[str, bytes], tuple[int, list[str]]] = {}
    drop: list[int] = []
    for (row_id, number, _seq, _pos, _first, time_raw, description, location, provider,
         time_local, code) in rows:
        event = Event(time_raw=time_raw or "", description=description or "",
                      location=location or "", provider=provider or "",
                      time_local=_parse_local(time_local), code=code)
        key = (number, _identity(event))
        if key in keep:
            drop.append(row_id)
            if provider and provider not in keep[key][1]:
                keep[key][1].append(provider)
        else:
            keep[key] = (row_id, [provider] if provider else [])
    conn.executemany("DELETE FROM events WHERE id = ?", [(row_id,) for row_id in drop])
    # Two steps, so a new key can never meet a not-yet-updated old one in the unique index.
    conn.execute("UPDATE events SET ident = ident || x'ff'")
    conn.executemany("UPDATE events SET ident = ?, sources = ? WHERE id = ?",
                     [(ident, json.dumps(sources), row_id)
                      for (_, ident), (row_id, sources) in keep.items()])
    for column in ("seq", "pos"):  # close the gaps the merged rows left, order kept
        conn.execute(
            f"UPDATE events SET {column} = (SELECT n FROM (SELECT id, "
            f"row_number() OVER (PARTITION BY number ORDER BY {column}) - 1 AS n FROM events) r "
            "WHERE r.id = events.id)")
    conn.execute("UPDATE events SET seq = seq + 1")  # seq counts from 1, pos from 0
    conn.execute("UPDATE parcels SET event_count = "
                 "(SELECT count(*) FROM events e WHERE e.number = parcels.number)")


def _schema_parcel_facts(conn: sqlite3.Connection) -> None:
    """What a source says about the shipment beyond its events (model.ShipmentFacts).

    `facts_at` is when a source last reported facts; NULL means none ever did. Columns only:
    existing rows keep NULLs until a source that reports facts answers again.
    """
    for column in ("facts_at", *_FACT_COLS):
        conn.execute(f"ALTER TABLE parcels ADD COLUMN {column} TEXT")


def _schema_provider_pauses(conn: sqlite3.Connection) -> None:
    """A provider's pause (Retry-After, backoff, auth, quota), kept for every process."""
    conn.execute(
        """CREATE TABLE provider_pauses (
            provider TEXT PRIMARY KEY NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL,
            until TEXT NOT NULL, failures INTEGER NOT NULL DEFAULT 0, set_at TEXT NOT NULL,
            config_token TEXT) WITHOUT ROWID""")


def _schema_request_slots(conn: sqlite3.Connection) -> None:
    """Shared request log per provider, and which process is refreshing which parcel."""
    # ended stays NULL while the request runs; lease_until frees the slot of a crashed process.
    conn.execute(
        """CREATE TABLE request_slots (
            id INTEGER PRIMARY KEY, provider TEXT NOT NULL, owner TEXT NOT NULL,
            started TEXT NOT NULL, lease_until TEXT NOT NULL, ended TEXT)""")
    conn.execute("CREATE INDEX request_slots_by_start ON request_slots (provider, started)")
    # done_at: when the owner finished (its result is stored); NULL while it refreshes.
    conn.execute(
        """CREATE TABLE parcel_claims (
            number TEXT PRIMARY KEY NOT NULL, owner TEXT NOT NULL,
            lease_until TEXT NOT NULL, done_at TEXT) WITHOUT ROWID""")


def _schema_notification_outbox(conn: sqlite3.Connection) -> None:
    """Notifications to send, one row per change and target, so that every process sharing
    the store (the monitor, any number of `--once` runs) sends each change exactly once and
    retries a failed one a bounded number of times (`emstui.notify.outbox`)."""
    conn.execute(
        """CREATE TABLE notifications (
            key TEXT NOT NULL, target TEXT NOT NULL, number TEXT NOT NULL,
            payload TEXT NOT NULL, created TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, next_attempt TEXT NOT NULL,
            claimed_until TEXT, sent_at TEXT, failed_at TEXT, last_error TEXT,
            PRIMARY KEY (key, target))""")  # rowid: the order changes were queued in
    conn.execute("CREATE INDEX notifications_pending ON notifications (target, next_attempt) "
                 "WHERE sent_at IS NULL AND failed_at IS NULL")


# MIGRATIONS[i] takes a file from schema version i to i + 1; the latest version is its length.
# Append only; never edit a released step.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _schema_v1, _schema_one_timeline, _schema_parcel_facts, _schema_provider_pauses,
    _schema_request_slots, _schema_notification_outbox]
SCHEMA_VERSION = len(MIGRATIONS)


class StageTime(NamedTuple):
    """One row of `Store.stage_times`: a parcel and when it first reached some stages."""

    number: str
    status: str
    stage: str | None
    destination: str | None
    first_seen: str | None
    first_event: float | None  # Julian days, as all the times below
    posted: float | None  # first event with a journey stage
    departed: float | None
    arrived: float | None
    customs: float | None
    delivery_office: float | None
    out_for_delivery: float | None
    delivered: float | None  # first event that is a delivery


_EVENT_JULIAN_DAY = ("min(coalesce(julianday(e.time_utc), julianday(e.time_local), "
                     "julianday(e.first_seen)), julianday(e.first_seen))")
_STAGE_TIMES_SQL = (
    "SELECT p.number, p.status, p.stage, p.destination_country, p.first_seen, "
    f"min({_EVENT_JULIAN_DAY}), "
    f"min(CASE WHEN e.stage IS NOT NULL AND e.stage != 'none' THEN {_EVENT_JULIAN_DAY} END), "
    + "".join(f"min(CASE WHEN e.stage = '{stage}' THEN {_EVENT_JULIAN_DAY} END), "
              for stage in ("departed", "arrived", "customs", "delivery_office",
                            "out_for_delivery"))
    + f"min(CASE WHEN e.stage = 'delivered' OR e.status = 'delivered' "
    f"THEN {_EVENT_JULIAN_DAY} END) "
    "FROM parcels p LEFT JOIN events e ON e.number = p.number "
    "WHERE p.status IS NOT NULL GROUP BY p.number")


class StoreError(Exception):
    """The history database could not be opened, read or written."""


class StoreFullError(StoreError):
    """The disk (or the file system quota) under the history database is full.

    The failed transaction was rolled back: everything stored before it is intact.
    """


FULL_DISK_BYTES = 1024 * 1024  # an I/O error with less free space than this is a full disk


def _store_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """The StoreError for a failed SQLite call; a full disk gets its own type and words."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    full = name == "SQLITE_FULL" or "disk is full" in str(exc)
    free: int | None = None
    with contextlib.suppress(OSError):
        free = shutil.disk_usage(path.parent).free
    if not full and name.startswith("SQLITE_IOERR") and free is not None:
        full = free < FULL_DISK_BYTES
    if full:
        space = f" ({free // 1024} KiB free)" if free is not None else ""
        return StoreFullError(f"the disk holding the history database {path} is full{space}; "
                              "nothing already stored was lost. Free some space and run again")
    return StoreError(f"history database {path}: {exc}")


@dataclass(frozen=True, slots=True)
class ProviderPause:
    """A provider's pause as stored: every process honours it until `until`."""

    provider: str
    kind: PauseKind
    message: str
    until: datetime
    failures: int = 0
    set_at: datetime | None = None
    config_token: str | None = None  # auth/quota/gone: the provider settings it applies to


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """What the refresh engine needs to know when a parcel is due (`Store.schedule`)."""

    number: str
    last_checked: datetime | None
    next_due: datetime | None
    error_kind: str | None


@dataclass(frozen=True, slots=True)
class Claims:
    """The answer to `claim_parcels`: who refreshes what."""

    claimed: tuple[str, ...]  # this process refreshes these now
    fresh: tuple[str, ...]  # another process checked them after `fresh_since`
    busy: tuple[str, ...]  # another live process is refreshing them right now


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What one `apply_tracking` changed."""

    number: str
    new_events: tuple[Event, ...]  # newly stored, newest first
    old_status: Status | None  # None when the parcel had no tracking result before
    new_status: Status
    status_changed: bool
    stage_changed: bool

    @property
    def changed(self) -> bool:
        return self.status_changed or bool(self.new_events)


class _Corrupt(Exception):
    def __init__(self, reason: str, inode: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.inode = inode


@dataclass(slots=True)
class _StoredEvent:
    id: int
    ident: bytes
    seq: int
    pos: int
    time_utc: str | None
    sources: str | None


class Store:
    """The history database. One connection, guarded by a lock; safe to share between threads.

    Several processes (the TUI and a cron `--once`) may use the same file at once: WAL journal,
    a busy timeout, and every write is one short `BEGIN IMMEDIATE` transaction.
    """

    def __init__(self, path: Path, *, clock: Clock | None = None) -> None:
        self.path = Path(path)
        self._clock: Clock = clock or SystemClock()
        self._lock = threading.RLock()
        self.recovered_from: Path | None = None
        self.recovery_message: str | None = None
        self._memory = str(path) == ":memory:"
        if not self._memory:
            self._make_directory()
        try:
            self._conn = self._connect()
        except _Corrupt as corrupt:
            self._move_aside(corrupt)
            try:
                self._conn = self._connect()
            except _Corrupt as again:
                raise StoreError(f"cannot create a new history database at {self.path}: "
                                 f"{again.reason}") from again
            if self.recovery_message:  # remembered, so later commands can tell the user too
                self.set_meta(RECOVERY_NOTICE_KEY, self.recovery_message)
                self.set_meta(RECOVERY_TOLD_KEY, "")

    @property
    def in_memory(self) -> bool:
        return self._memory

    def _make_directory(self) -> None:
        directory = self.path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise StoreError(f"cannot use {directory} as the data directory: a file is in the "
                             "way. Move that file, or set EMSTUI_DATA_DIR to a directory"
                             ) from None
        except OSError as exc:
            raise StoreError(f"cannot create the data directory {directory}: "
                             f"{exc.strerror or exc}. Make its parent writable, or set "
                             "EMSTUI_DATA_DIR to a writable directory") from None

    @classmethod
    def open_memory(cls, *, clock: Clock | None = None) -> Store:
        """A store that lives in memory only (demo mode, tests)."""
        return cls(Path(":memory:"), clock=clock)

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA optimize")
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _connect(self) -> sqlite3.Connection:
        inode = None
        if not self._memory:
            with contextlib.suppress(OSError):
                inode = self.path.stat().st_ino
                # Refuse garbage before SQLite sees it: closing a connection on a file with a
                # leftover -wal would replay or delete that WAL, and it belongs to the evidence.
                with self.path.open("rb") as f:
                    head = f.read(len(_SQLITE_HEADER))
                if head and head != _SQLITE_HEADER:
                    raise _Corrupt("file is not a database: it does not start with the SQLite "
                                   "header", inode)
        try:
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the history database {self.path}: {exc}") from exc
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise StoreError(
                    f"the history database {self.path} was written by a newer emstui (schema "
                    f"v{version}; this version knows up to v{len(MIGRATIONS)}). It was left "
                    "untouched: upgrade emstui, or use another data directory.")
            checked = self._integrity_check_due(conn)
            if checked:
                problems = [row[0] for row in conn.execute("PRAGMA quick_check")]
                if problems != ["ok"]:
                    raise _Corrupt("integrity check failed: " + "; ".join(problems[:3]),
                                   inode)
            if not self._memory:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    log.warning("history database %s: WAL unavailable, journal mode is %s",
                                self.path, mode)
                conn.execute("PRAGMA synchronous = NORMAL")  # durable across app crashes in WAL
            self._migrate(conn)
            if checked and not self._memory:
                with contextlib.suppress(sqlite3.OperationalError):  # read-only: next time
                    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                                 (INTEGRITY_CHECK_KEY, _utc_text(self._clock.now())))
        except BaseException as exc:
            conn.close()
            if isinstance(exc, sqlite3.DatabaseError) and _is_corruption(exc):
                raise _Corrupt(str(exc), inode) from exc
            if isinstance(exc, sqlite3.Error):
                error = _store_error(self.path, exc)
                if isinstance(error, StoreFullError):
                    raise error from exc
                raise StoreError(f"cannot open the history database {self.path}: {exc}") from exc
            raise
        return conn

    def _integrity_check_due(self, conn: sqlite3.Connection) -> bool:
        """Whether to run `quick_check` on this open: never recorded, over a day ago, or
        recorded "in the future" (the clock was set back)."""
        if self._memory:
            return False  # a new, empty database
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = ?",
                               (INTEGRITY_CHECK_KEY,)).fetchone()
        except sqlite3.OperationalError:  # no meta table yet (new or very old file)
            return True
        last = _parse_utc(row[0]) if row else None
        now = self._clock.now()
        return last is None or last > now or now - last >= INTEGRITY_CHECK_EVERY

    def integrity_problems(self) -> list[str]:
        """The full `PRAGMA integrity_check` (every page, every index): [] when sound."""
        with self._read() as conn:
            problems = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
        return [] if problems == ["ok"] else problems

    def _migrate(self, conn: sqlite3.Connection) -> None:
        latest = len(MIGRATIONS)
        if conn.execute("PRAGMA user_version").fetchone()[0] == latest:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]  # another process won?
            if version == 0 and conn.execute(
                    "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            ).fetchone()[0]:
                raise StoreError(f"{self.path} is an SQLite database but not an emstui history "
                                 "file; it was left untouched. Use another data directory.")
            for step in MIGRATIONS[version:]:
                step(conn)
            conn.execute(f"PRAGMA user_version = {latest:d}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _move_aside(self, corrupt: _Corrupt) -> None:
        if self._memory:
            raise StoreError(f"in-memory history database failed: {corrupt.reason}")
        try:
            inode_now = self.path.stat().st_ino
        except OSError:
            inode_now = None
        if corrupt.inode is None or inode_now != corrupt.inode:
            return  # another process already replaced the file: just open the new one
        stamp = self._clock.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
            n += 1
        try:
            os.rename(self.path, target)
            # The WAL and index belong to the damaged file: keep them beside it, never replay
            # them into the new database.
            for suffix in ("-wal", "-shm", "-journal"):
                side = Path(f"{self.path}{suffix}")
                if side.exists():
                    os.rename(side, Path(f"{target}{suffix}"))
        except OSError as exc:
            raise StoreError(f"the history database {self.path} is damaged ({corrupt.reason}) "
                             f"and could not be moved aside: {exc}") from exc
        self.recovered_from = target
        self.recovery_message = (
            f"the history database {self.path} could not be read ({corrupt.reason}); "
            f"it was moved to {target} and a new, empty history was started (parcels will "
            "be fetched again)")
        log.warning("%s", self.recovery_message)

    # -- transactions ----------------------------------------------------------------------

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise _store_error(self.path, exc) from exc

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short IMMEDIATE transaction: taken before reading, so no lost updates."""
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _store_error(self.path, exc) from exc
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise _store_error(self.path, exc) from exc
                raise

    def _ensure_parcel(self, conn: sqlite3.Connection, number: str) -> None:
        conn.execute("INSERT OR IGNORE INTO parcels (number, first_seen) VALUES (?, ?)",
                     (number, _utc_text(self._clock.now())))

    # -- reading ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection, under the store's lock, for the read helpers in the other store
        modules (`emstui.store.summaries`); errors become StoreError as everywhere here."""
        with self._read() as conn:
            yield conn

    def state(self, number: str) -> ParcelState | None:
        return self.states([number]).get(number)

    def states(self, numbers: Iterable[str] | None = None) -> dict[str, ParcelState]:
        """Stored state of the given parcels (all when None), with last event and counts.

        One query: the last event comes from the (number, pos) index, the unseen count from a
        range scan of the (number, first_seen) index.
        """
        ev = ", ".join(f"e.{col.strip()}" for col in _EVENT_COLS.split(","))
        sql = (f"SELECT {_PARCEL_COLS}, "
               "(SELECT count(*) FROM events u WHERE u.number = p.number "
               "   AND u.first_seen > coalesce(p.seen_at, '')), "
               f"e.id, {ev} FROM parcels p "
               "LEFT JOIN events e ON e.number = p.number AND e.pos = 0")
        where = _numbers_filter(numbers)
        if where is None:
            return {}
        sql += where[0]
        params = where[1]
        with self._read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return {row[0]: _row_to_state(row) for row in rows}

    def summaries(self, numbers: Iterable[str] | None = None) -> dict[str, ParcelState]:
        """What a one-line summary shows, for many parcels in one query: status, stage,
        provider, error, due and change times, event count and the last event (its time,
        text and place). The other fields keep their defaults (no facts, no unseen count, no
        event sources): `states` reads those, for ten times the cost at 20,000 parcels."""
        sql = ("SELECT p.number, p.status, p.stage, p.provider, p.last_error, p.error_kind, "
               "p.next_due, p.last_changed, p.last_checked, p.event_count, e.id, e.time_raw, "
               "e.description, e.location, e.time_local, e.time_utc, e.provider "
               "FROM parcels p LEFT JOIN events e ON e.number = p.number AND e.pos = 0")
        where = _numbers_filter(numbers)
        if where is None:
            return {}
        sql += where[0]
        params = where[1]
        with self._read() as conn:
            rows = conn.execute(sql, params).fetchall()
        summaries = {}
        for (number, status, stage, provider, last_error, error_kind, next_due, last_changed,
             last_checked, event_count, event_id, time_raw, description, location, time_local,
             time_utc, event_provider) in rows:
            last = None if event_id is None else Event(
                time_raw=time_raw or "", description=description or "",
                location=location or "", provider=event_provider or "",
                time_local=_parse_local(time_local), time_utc=_parse_utc(time_utc))
            summaries[number] = ParcelState(
                number=number, status=Status.UNKNOWN if status is None else _status(status),
                stage=Stage.NONE if stage is None else _stage(stage), provider=provider,
                last_event=last, event_count=int(event_count or 0),
                last_checked=_parse_utc(last_checked), last_changed=_parse_utc(last_changed),
                last_error=last_error, error_kind=error_kind, next_due=_parse_utc(next_due))
        return summaries

    def schedule(self, numbers: Iterable[str] | None = None) -> dict[str, ScheduleRow]:
        """When each parcel was checked and is due: four columns of the parcels table, no
        events (the engine plans every wake with it; `states` costs ten times as much)."""
        sql = "SELECT number, last_checked, next_due, error_kind FROM parcels"
        params: tuple[Any, ...] = ()
        if numbers is not None:
            wanted = list(dict.fromkeys(numbers))
            if not wanted:
                return {}
            sql += " WHERE number IN (SELECT value FROM json_each(?))"
            params = (json.dumps(wanted),)
        with self._read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return {row[0]: ScheduleRow(row[0], _parse_utc(row[1]), _parse_utc(row[2]), row[3])
                for row in rows}

    def events(self, number: str, *, limit: int | None = None) -> list[Event]:
        """The parcel's events, newest first."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_EVENT_COLS} FROM events WHERE number = ? ORDER BY pos LIMIT ?",
                (number, -1 if limit is None else max(0, limit))).fetchall()
        return [_row_to_event(row) for row in rows]

    def changed_since(self, since: datetime | None) -> set[str]:
        """Numbers whose status or events changed after `since` (all that ever changed if None)."""
        with self._read() as conn:
            if since is None:
                rows = conn.execute(
                    "SELECT number FROM parcels WHERE last_changed IS NOT NULL").fetchall()
            else:
                rows = conn.execute("SELECT number FROM parcels WHERE last_changed > ?",
                                    (_utc_text(since),)).fetchall()
        return {row[0] for row in rows}

    def stage_times(self) -> list[StageTime]:
        """When each stored parcel first reached the stages arrival estimates count from.

        One query, one row per parcel. An event's instant is its UTC time, else its wall time
        read as UTC (at most about half a day off), never later than when it was first seen;
        in Julian days, as SQLite counts them. NULL where the parcel has no such event.
        """
        with self._read() as conn:
            rows = conn.execute(_STAGE_TIMES_SQL).fetchall()
        return [StageTime(*row) for row in rows]

    def is_registered(self, number: str, provider: str) -> bool:
        with self._read() as conn:
            row = conn.execute("SELECT 1 FROM registrations WHERE number = ? AND provider = ?",
                               (number, provider)).fetchone()
        return row is not None

    def get_meta(self, key: str) -> str | None:
        with self._read() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    # -- writing ---------------------------------------------------------------------------

    def apply_tracking(self, tracking: Tracking, *, checked_at: datetime,
                       next_due: datetime | None) -> ApplyResult:
        """Merge a provider's answer: new events, status, stage; clears the error and backoff."""
        number = tracking.number
        checked = _utc_text(checked_at)
        due = None if next_due is None else _utc_text(next_due)
        with self._write() as conn:
            self._ensure_parcel(conn, number)
            old_status_text, old_stage_text, old_count = conn.execute(
                "SELECT status, stage, event_count FROM parcels WHERE number = ?",
                (number,)).fetchone()
            stored = [_StoredEvent(*row) for row in conn.execute(
                "SELECT id, ident, seq, pos, time_utc, sources FROM events WHERE number = ?",
                (number,))]
            new_rows = self._merge_events(conn, number, tracking, stored, checked)
            old_status = None if old_status_text is None else _status(old_status_text)
            old_stage = None if old_stage_text is None else _stage(old_stage_text)
            status_changed = old_status != tracking.status
            stage_changed = old_stage != tracking.stage
            changed = status_changed or bool(new_rows)
            conn.execute(
                "UPDATE parcels SET status = ?, stage = ?, provider = ?, raw_status = ?, "
                "raw_sub_status = ?, carriers = ?, fingerprint = ?, last_checked = ?, "
                "last_changed = CASE WHEN ? THEN ? ELSE last_changed END, "
                "last_error = NULL, error_kind = NULL, next_due = ?, backoff_level = 0, "
                "event_count = ? WHERE number = ?",
                (tracking.status.value, tracking.stage.value, _cap(tracking.provider, MAX_SHORT),
                 _cap_opt(tracking.raw_status, MAX_RAW_STATUS),
                 _cap_opt(tracking.raw_sub_status, MAX_RAW_STATUS),
                 _cap(",".join(tracking.carriers), MAX_CARRIERS) or None,
                 _cap_opt(tracking.fingerprint, MAX_FINGERPRINT), checked, changed, checked,
                 due, old_count + len(new_rows), number))
            if tracking.facts is not None:
                # A source without facts (the EMS tracker) keeps what another one reported.
                conn.execute(
                    f"UPDATE parcels SET facts_at = ?, {' = ?, '.join(_FACT_COLS)} = ? "
                    "WHERE number = ?", (checked, *_fact_values(tracking.facts), number))
        new_rows.sort(key=lambda item: item[0])
        return ApplyResult(number=number, new_events=tuple(event for _, event in new_rows),
                           old_status=old_status, new_status=tracking.status,
                           status_changed=status_changed, stage_changed=stage_changed)

    def _merge_events(self, conn: sqlite3.Connection, number: str, tracking: Tracking,
                      stored: list[_StoredEvent], checked: str) -> list[tuple[int, Event]]:
        """Insert the events not stored yet and re-derive source and display order.

        Returns (display position, stored event) for each new event.
        """
        known = {item.ident: item for item in stored}
        incoming: list[tuple[bytes, Event | None]] = []  # newest first; None marks a known event
        fresh: dict[bytes, Event] = {}
        more_sources: dict[int, list[str]] = {}  # stored event id -> its sources, now longer
        for event in tracking.events:
            ident = _identity(event)
            if ident in known:
                incoming.append((ident, None))
                item = known[ident]
                sources = more_sources.get(item.id) or list(_sources(item.sources))
                added = [s for s in _reporters(event, tracking.provider) if s not in sources]
                if added:
                    more_sources[item.id] = sources + added
            elif ident not in fresh:
                fresh[ident] = event
                incoming.append((ident, event))
        conn.executemany("UPDATE events SET sources = ? WHERE id = ?",
                         [(_sources_text(sources), row_id)
                          for row_id, sources in more_sources.items()])
        if not fresh:
            return []
        source = _merge_source_order([item.ident for item in
                                      sorted(stored, key=lambda s: s.seq, reverse=True)],
                                     incoming)
        values = {ident: _event_values(event, tracking.provider, checked)
                  for ident, event in fresh.items()}
        utc_of = {ident: item.time_utc for ident, item in known.items()}
        utc_of.update((ident, vals[5]) for ident, vals in values.items())
        display = _display_order(source, utc_of)
        seq_of = {ident: len(source) - i for i, ident in enumerate(source)}
        pos_of = {ident: i for i, ident in enumerate(display)}
        conn.executemany(
            "UPDATE events SET seq = ?, pos = ? WHERE id = ?",
            [(seq_of[item.ident], pos_of[item.ident], item.id) for item in stored
             if (item.seq, item.pos) != (seq_of[item.ident], pos_of[item.ident])])
        conn.executemany(
            f"INSERT INTO events (number, ident, seq, pos, {_EVENT_COLS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(number, ident, seq_of[ident], pos_of[ident], *vals)
             for ident, vals in values.items()])
        return [(pos_of[ident], _row_to_event(vals)) for ident, vals in values.items()]

    def record_error(self, number: str, *, kind: str, message: str, checked_at: datetime,
                     next_due: datetime | None, backoff_level: int) -> None:
        """Remember a failed check; the stored events and status stay as they were."""
        with self._write() as conn:
            self._ensure_parcel(conn, number)
            conn.execute(
                "UPDATE parcels SET last_error = ?, error_kind = ?, last_checked = ?, "
                "next_due = ?, backoff_level = ? WHERE number = ?",
                (_cap(message, MAX_ERROR), _cap(kind, MAX_SHORT), _utc_text(checked_at),
                 None if next_due is None else _utc_text(next_due), max(0, int(backoff_level)),
                 number))

    def set_next_due(self, number: str, when: datetime | None) -> None:
        with self._write() as conn:
            self._ensure_parcel(conn, number)
            conn.execute("UPDATE parcels SET next_due = ? WHERE number = ?",
                         (None if when is None else _utc_text(when), number))

    def mark_seen(self, number: str, *, at: datetime | None = None) -> None:
        """The user looked at the parcel: events first seen up to `at` (default now) are old."""
        seen = _utc_text(at if at is not None else self._clock.now())
        with self._write() as conn:
            self._ensure_parcel(conn, number)
            conn.execute("UPDATE parcels SET seen_at = ? WHERE number = ?", (seen, number))

    def mark_registered(self, number: str, provider: str, *, at: datetime) -> None:
        """Remember a provider registration; the first registration time is kept."""
        with self._write() as conn:
            conn.execute("INSERT OR IGNORE INTO registrations (number, provider, registered_at) "
                         "VALUES (?, ?, ?)", (number, provider, _utc_text(at)))

    def purge(self, number: str) -> None:
        """Delete the parcel's state and event history (only when the user asks).

        Provider registrations are kept: they describe the provider account, not local history,
        and re-registering a number costs quota again.
        """
        with self._write() as conn:
            conn.execute("DELETE FROM events WHERE number = ?", (number,))
            conn.execute("DELETE FROM parcels WHERE number = ?", (number,))

    # -- limits shared between processes --------------------------------------------------

    def provider_pauses(self) -> dict[str, ProviderPause]:
        with self._read() as conn:
            rows = conn.execute("SELECT provider, kind, message, until, failures, set_at, "
                                "config_token FROM provider_pauses").fetchall()
        pauses = {}
        future = self._clock.now() + timedelta(seconds=CLOCK_SKEW)
        for provider, kind, message, until, failures, set_at, token in rows:
            end = _parse_utc(until)
            set_when = _parse_utc(set_at)
            if end is not None and (set_when is None or set_when <= future):
                pauses[provider] = ProviderPause(provider, PauseKind.parse(kind), message,
                                                 end, int(failures), _parse_utc(set_at), token)
        return pauses

    def set_provider_pause(self, pause: ProviderPause) -> None:
        """Store a pause; a longer one already stored (another process's) is kept."""
        set_at = pause.set_at or self._clock.now()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO provider_pauses (provider, kind, message, until, failures, set_at, "
                "config_token) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (provider) DO UPDATE SET "
                "kind = excluded.kind, message = excluded.message, until = excluded.until, "
                "failures = max(failures, excluded.failures), set_at = excluded.set_at, "
                "config_token = excluded.config_token WHERE excluded.until > until",
                (_cap(pause.provider, MAX_SHORT), _cap(pause.kind, MAX_SHORT),
                 _cap(pause.message, MAX_ERROR), _utc_text(pause.until), max(0, pause.failures),
                 _utc_text(set_at), pause.config_token))

    def clear_provider_pause(self, provider: str, *, set_before: datetime | None = None,
                             kinds: Sequence[str] | None = None) -> None:
        """Lift a provider's pause: one set before `set_before` (a request that started after
        it succeeded), of one of `kinds`; every one when both are None."""
        sql = "DELETE FROM provider_pauses WHERE provider = ?"
        params: list[Any] = [provider]
        if set_before is not None:
            sql += " AND set_at < ?"
            params.append(_utc_text(set_before))
        if kinds is not None:
            sql += " AND kind IN (SELECT value FROM json_each(?))"
            params.append(json.dumps(list(kinds)))
        with self._write() as conn:
            conn.execute(sql, params)

    def take_request_slot(self, provider: str, *, owner: str, limit: int, window: float,
                          min_interval: float, concurrency: int, lease: float,
                          margin: float) -> tuple[float, int | None]:
        """Start a request to `provider` if its limits allow it across every process.

        Returns (0, slot id) when the request may start now (end it with `end_request_slot`),
        else (seconds to wait before asking again, None). Each request counts from its start
        until its end (the server sees it arrive somewhere in between): a start is allowed when
        the `limit`-th most recent request ended at least `window` seconds ago, at most
        `concurrency` run at once, and `min_interval` seconds separate the end of the previous
        request (its start while it runs) from the next start. The server then sees at most
        `limit` arrivals in any window, and arrivals at least `min_interval` apart, whatever
        the network delay. Requests by other processes count `margin` seconds longer
        (scheduling jitter).
        """
        now = self._clock.now()
        now_text = _utc_text(now)
        # Kept a while after they matter, so the log shows how requests were spaced.
        horizon = now - timedelta(seconds=max(window, min_interval, SLOT_LOG_KEEP))
        future = _utc_text(now + timedelta(seconds=CLOCK_SKEW))
        with self._write() as conn:
            conn.execute("DELETE FROM request_slots WHERE provider = ? AND ((started < ? AND "
                         "(ended IS NOT NULL OR lease_until < ?)) OR started > ?)",
                         (provider, _utc_text(horizon), now_text, future))
            running = conn.execute(
                "SELECT count(*) FROM request_slots WHERE provider = ? AND ended IS NULL AND "
                "lease_until > ?", (provider, now_text)).fetchone()[0]
            if running >= concurrency:
                return SLOT_POLL, None
            recent = conn.execute(
                "SELECT started, owner, ended, lease_until FROM request_slots WHERE provider = ? "
                "ORDER BY started DESC LIMIT ?", (provider, max(1, limit))).fetchall()
            delay = 0.0

            def since(row: Sequence[Any], *, from_end: bool) -> float:
                at = _parse_utc(row[2] if from_end and row[2] else row[0]) or now
                extra = margin if row[1] != owner else 0.0
                return (now - at).total_seconds() - extra

            if len(recent) >= limit:
                if recent[-1][2] is None and recent[-1][3] > now_text:
                    return SLOT_POLL, None  # still running: its window starts at its answer
                delay = window - since(recent[-1], from_end=True)
            if recent and min_interval:
                delay = max(delay, min_interval - since(recent[0], from_end=True))
            if delay > 0:  # never more than the limits themselves can ask for
                return min(delay, max(window, min_interval) + margin), None
            cursor = conn.execute(
                "INSERT INTO request_slots (provider, owner, started, lease_until) "
                "VALUES (?, ?, ?, ?)",
                (provider, owner, now_text, _utc_text(now + timedelta(seconds=lease))))
            return 0.0, int(cursor.lastrowid or 0)

    def request_starts(self, provider: str) -> list[tuple[datetime, str]]:
        """The request log of one provider: (start, owner), oldest first (recent ones only)."""
        with self._read() as conn:
            rows = conn.execute("SELECT started, owner FROM request_slots WHERE provider = ? "
                                "ORDER BY started", (provider,)).fetchall()
        return [(when, owner) for text, owner in rows if (when := _parse_utc(text))]

    def end_request_slot(self, slot: int) -> None:
        with self._write() as conn:
            conn.execute("UPDATE request_slots SET ended = ? WHERE id = ?",
                         (_utc_text(self._clock.now()), slot))

    def claim_parcels(self, numbers: Sequence[str], *, owner: str, lease: float,
                      fresh_since: datetime, others_since: datetime) -> Claims:
        """Claim parcels for one refresh, so two processes never refresh the same one.

        Fresh (nobody needs to ask again): checked by anyone after `fresh_since` (this pass's
        start), or refreshed by another owner after `others_since` (a run started moments
        after another must not repeat its work). Busy: another owner is refreshing it (its
        lease has not run out). The rest are claimed for `owner`.
        """
        now = self._clock.now()
        now_text = _utc_text(now)
        until = _utc_text(now + timedelta(seconds=lease))
        since = _utc_text(fresh_since)
        others = _utc_text(others_since)
        future = _utc_text(now + timedelta(seconds=CLOCK_SKEW))
        claimed, fresh, busy = [], [], []
        with self._write() as conn:
            conn.execute("DELETE FROM parcel_claims WHERE (lease_until < ? AND done_at IS NOT "
                         "NULL AND done_at < ?) OR lease_until > ? OR done_at > ?",
                         (now_text, _utc_text(now - timedelta(seconds=CLAIM_KEEP)),
                          _utc_text(now + timedelta(seconds=lease + CLOCK_SKEW)),
                          _utc_text(now + timedelta(seconds=CLOCK_SKEW))))
            for number in dict.fromkeys(numbers):
                holder = conn.execute("SELECT owner, lease_until, done_at FROM parcel_claims "
                                      "WHERE number = ?", (number,)).fetchone()
                mine = holder is not None and holder[0] == owner
                if holder is not None and not mine:
                    if holder[2] is None and holder[1] > now_text:
                        busy.append(number)
                        continue
                    if holder[2] is not None and holder[2] > others:
                        fresh.append(number)
                        continue
                checked = conn.execute("SELECT last_checked FROM parcels WHERE number = ?",
                                       (number,)).fetchone()
                if not mine and checked is not None and checked[0] and \
                        since < checked[0] <= future:  # a check "from the future" is void
                    fresh.append(number)
                    continue
                conn.execute("INSERT INTO parcel_claims (number, owner, lease_until) "
                             "VALUES (?, ?, ?) ON CONFLICT (number) DO UPDATE SET "
                             "owner = excluded.owner, lease_until = excluded.lease_until, "
                             "done_at = NULL", (number, owner, until))
                claimed.append(number)
        return Claims(tuple(claimed), tuple(fresh), tuple(busy))

    def release_parcels(self, numbers: Iterable[str], *, owner: str) -> None:
        """The owner is done with these parcels (their results are stored)."""
        now = _utc_text(self._clock.now())
        with self._write() as conn:
            conn.executemany("UPDATE parcel_claims SET done_at = ?, lease_until = ? "
                             "WHERE number = ? AND owner = ?",
                             [(now, now, number, owner) for number in numbers])

    def claimed_elsewhere(self, numbers: Iterable[str], *, owner: str) -> set[str]:
        """Which of `numbers` another live process is refreshing right now."""
        wanted = list(dict.fromkeys(numbers))
        if not wanted:
            return set()
        with self._read() as conn:
            rows = conn.execute(
                "SELECT number FROM parcel_claims WHERE number IN (SELECT value FROM "
                "json_each(?)) AND owner != ? AND done_at IS NULL AND lease_until > ?",
                (json.dumps(wanted), owner, _utc_text(self._clock.now()))).fetchall()
        return {row[0] for row in rows}

    def take_recovery_notice(self, audience: str) -> str | None:
        """The note that a damaged history was moved aside, once per `audience` ("once",
        "monitor", "cli"): whichever command opened the damaged file tells the user, and the
        next `--once` and the next monitor mention it once more."""
        with self._write() as conn:
            notice = conn.execute("SELECT value FROM meta WHERE key = ?",
                                  (RECOVERY_NOTICE_KEY,)).fetchone()
            if notice is None:
                return None
            told_row = conn.execute("SELECT value FROM meta WHERE key = ?",
                                    (RECOVERY_TOLD_KEY,)).fetchone()
            told = set(filter(None, (told_row[0] if told_row else "").split(",")))
            if audience in told:
                return None
            told.add(audience)
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO "
                         "UPDATE SET value = excluded.value",
                         (RECOVERY_TOLD_KEY, ",".join(sorted(told))))
        return str(notice[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as conn:
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    def replace_meta(self, key: str, expected: str | None, value: str) -> bool:
        """Set `key` to `value` only if it still holds `expected` (None: absent).

        Compare and set in one transaction, so of several processes racing to claim the same
        job (e.g. the hourly 17TRACK quota call) exactly one wins.
        """
        with self._write() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            current = None if row is None else str(row[0])
            if current != expected:
                return False
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))
        return True


# -- ordering ------------------------------------------------------------------------------


def _merge_source_order(stored: list[bytes], incoming: Sequence[tuple[bytes, Event | None]]
                        ) -> list[bytes]:
    """Source order (newest first) after adding the new events of `incoming` to `stored`.

    Stored events keep their order. A run of new events goes just above the next older known
    event in the provider's list; a trailing run goes just below the last known one; with no
    known event in the list at all, new events are newer than everything stored.
    """
    result = list(stored)
    run: list[bytes] = []
    last_known: bytes | None = None
    for ident, event in incoming:
        if event is None:
            at = result.index(ident)
            result[at:at] = run
            run = []
            last_known = ident
        else:
            run.append(ident)
    if run:
        at = 0 if last_known is None else result.index(last_known) + 1
        result[at:at] = run
    return result


def _display_order(source: list[bytes], utc_of: dict[bytes, str | None]) -> list[bytes]:
    """Newest first: events with a known UTC time are sorted by it among their own slots in
    source order; events without one keep their source position (local times of different
    zones are not comparable, the provider's order is the best evidence)."""
    order = list(source)
    slots = [i for i, ident in enumerate(order) if utc_of.get(ident)]
    rank = {ident: i for i, ident in enumerate(source)}
    timed = sorted((order[i] for i in slots),
                   key=lambda ident: (utc_of[ident], -rank[ident]), reverse=True)
    for slot, ident in zip(slots, timed, strict=True):
        order[slot] = ident
    return order


# -- conversions ---------------------------------------------------------------------------


def _identity(event: Event) -> bytes:
    # 128 bits of SHA-256: collisions are out of reach, and the unique index stays small.
    return hashlib.sha256(json.dumps(event_identity(event)).encode()).digest()[:16]


def _reporters(event: Event, provider: str) -> list[str]:
    return [_cap(s, MAX_SHORT) for s in event.reported_by] or [_cap(provider, MAX_SHORT)]


@functools.lru_cache(maxsize=256)
def _sources(text: str | None) -> tuple[str, ...]:
    """The stored sources (a JSON list); anything unreadable counts as none. Cached: a store
    holds a handful of distinct lists ('["ems"]', '["17track", "ems"]'), read once per row."""
    if not text:
        return ()
    try:
        value = json.loads(text)
    except ValueError:
        return ()
    return tuple(s for s in value if isinstance(s, str)) if isinstance(value, list) else ()


def _sources_text(sources: Sequence[str]) -> str:
    return _cap(json.dumps(list(sources)[:MAX_SOURCES]), MAX_SOURCES_TEXT)


def _event_values(event: Event, provider: str, first_seen: str) -> tuple[Any, ...]:
    """Column values in _EVENT_COLS order."""
    time_utc = event.time_utc
    if time_utc is not None and time_utc.tzinfo is None:
        time_utc = time_utc.replace(tzinfo=UTC)  # a provider's UTC without tzinfo is still UTC
    return (_cap(event.time_raw, MAX_TIME_RAW), _cap(event.description, MAX_DESCRIPTION),
            _cap(event.location, MAX_LOCATION), _cap(event.provider or provider, MAX_SHORT),
            None if event.time_local is None else event.time_local.isoformat(),
            None if time_utc is None else _utc_text(time_utc),
            _cap_opt(event.code, MAX_SHORT),
            None if event.status is None else event.status.value,
            None if event.stage is None else event.stage.value, first_seen,
            _sources_text(_reporters(event, provider)))


EVENT_COLUMNS = _EVENT_COLS  # for the read helpers in the other store modules


def event_from_row(row: Sequence[Any]) -> Event:
    """An event from its columns in EVENT_COLUMNS order."""
    return _row_to_event(row)


def _row_to_event(row: Sequence[Any]) -> Event:
    (time_raw, description, location, provider, time_local, time_utc, code, status, stage,
     first_seen, sources) = row
    return Event(time_raw=time_raw or "", description=description or "",
                 location=location or "", provider=provider or "",
                 time_local=_parse_local(time_local), time_utc=_parse_utc(time_utc),
                 code=code, status=None if status is None else _status(status),
                 stage=None if stage is None else _stage(stage),
                 first_seen=_parse_utc(first_seen), sources=_sources(sources))


def _fact_values(facts: ShipmentFacts) -> tuple[str | None, ...]:
    """Column values in _FACT_COLS order."""
    def local(when: datetime | None) -> str | None:
        return None if when is None else when.isoformat()

    return (local(facts.eta_from), local(facts.eta_to),
            _cap_opt(facts.eta_source, MAX_FACT), _cap_opt(facts.origin_country, MAX_SHORT),
            _cap_opt(facts.destination_country, MAX_SHORT),
            _cap_opt(facts.local_number, MAX_FACT), _cap_opt(facts.local_provider, MAX_FACT),
            _cap_opt(facts.sub_status_text, MAX_FACT), _cap_opt(facts.sync_status, MAX_FACT),
            None if facts.sync_time is None else _utc_text(
                facts.sync_time if facts.sync_time.tzinfo else facts.sync_time.replace(
                    tzinfo=UTC)),
            _cap_opt(facts.sync_carrier, MAX_FACT))


def _row_to_facts(facts_at: str | None, values: Sequence[Any]) -> ShipmentFacts | None:
    if facts_at is None:
        return None
    (eta_from, eta_to, eta_source, origin, destination, local_number, local_provider,
     sub_status_text, sync_status, sync_time, sync_carrier) = values
    return ShipmentFacts(
        eta_from=_parse_local(eta_from), eta_to=_parse_local(eta_to), eta_source=eta_source,
        origin_country=origin, destination_country=destination, local_number=local_number,
        local_provider=local_provider, sub_status_text=sub_status_text,
        sync_status=sync_status, sync_time=_parse_utc(sync_time), sync_carrier=sync_carrier)


_FACTS_AT = 16  # index of p.facts_at in a parcel row
_LAST_EVENT_ID = _FACTS_AT + 1 + len(_FACT_COLS) + 1  # after the facts and the unseen count


def _numbers_filter(numbers: Iterable[str] | None) -> tuple[str, tuple[Any, ...]] | None:
    """The WHERE clause (and its parameter) for "these parcels only" on `parcels p`: empty for
    all parcels; None when the caller asked for no parcel at all."""
    if numbers is None:
        return "", ()
    wanted = list(dict.fromkeys(numbers))
    if not wanted:
        return None
    return " WHERE p.number IN (SELECT value FROM json_each(?))", (json.dumps(wanted),)


def _row_to_state(row: Sequence[Any]) -> ParcelState:
    (number, status, stage, provider, raw_status, raw_sub_status, carriers, fingerprint,
     last_checked, last_changed, last_error, error_kind, next_due, backoff_level, first_seen,
     event_count) = row[:_FACTS_AT]
    facts = _row_to_facts(row[_FACTS_AT], row[_FACTS_AT + 1:_FACTS_AT + 1 + len(_FACT_COLS)])
    unseen, last_id = row[_LAST_EVENT_ID - 1], row[_LAST_EVENT_ID]
    extra: dict[str, str] = {}
    if fingerprint:
        extra["fingerprint"] = fingerprint
    if carriers:
        extra["carriers"] = carriers
    return ParcelState(
        number=number, status=Status.UNKNOWN if status is None else _status(status),
        stage=Stage.NONE if stage is None else _stage(stage), provider=provider,
        raw_status=raw_status, raw_sub_status=raw_sub_status,
        last_event=None if last_id is None else _row_to_event(row[_LAST_EVENT_ID + 1:]),
        event_count=int(event_count or 0), unseen_count=int(unseen or 0),
        last_checked=_parse_utc(last_checked), last_changed=_parse_utc(last_changed),
        last_error=last_error, error_kind=ErrorKind.parse(error_kind),
        next_due=_parse_utc(next_due),
        backoff_level=int(backoff_level or 0), first_seen=_parse_utc(first_seen), facts=facts,
        extra=extra)


_STATUSES = {status.value: status for status in Status}
_STAGES = {stage.value: stage for stage in Stage}


def _status(value: str) -> Status:
    return _STATUSES.get(value, Status.UNKNOWN)  # unknown: written by a newer emstui


def _stage(value: str) -> Stage:
    return _STAGES.get(value, Stage.NONE)


def _utc_text(when: datetime) -> str:
    """Fixed-width ISO-8601 UTC, so text order is time order."""
    if when.tzinfo is None:
        raise ValueError(f"naive datetime {when!r}: the store needs timezone-aware times")
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def _parse_utc(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _parse_local(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)  # naive stays naive, an offset is restored
    except (TypeError, ValueError):
        return None


def _cap(text: str, limit: int) -> str:
    return text[:limit]


def _cap_opt(text: str | None, limit: int) -> str | None:
    return None if text is None else text[:limit]


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
        return True
    text = str(exc).lower()
    return "file is not a database" in text or "malformed" in text


__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "ApplyResult", "Claims", "ProviderPause", "StageTime",
           "Store", "StoreError", "StoreFullError"]
