"""Opening the history file and talking to it: the connection, the integrity check and the
recovery of a damaged file on open, migrations, short transactions, typed store errors, and the
meta key-value table they keep their marks in."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path
from types import TracebackType
from typing import Self

from emstui.core.clock import Clock, SystemClock
from emstui.core.logs import logger
from emstui.store.columns import _parse_utc, _utc_text
from emstui.store.schema import MIGRATIONS

log = logger("emstui.store")  # the name log files have always shown

_SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT = 15.0  # seconds a writer waits for the other process (TUI vs cron) to commit
RECOVERY_NOTICE_KEY = "recovery.notice"
RECOVERY_TOLD_KEY = "recovery.told"
# `PRAGMA quick_check` reads every page (about 1 s cold at 5000 parcels x 30 events): run on
# open at most this often, the time of the last one kept in the meta table. Every open still
# checks the file header and reads the schema; `doctor` runs the full check on demand.
INTEGRITY_CHECK_KEY = "integrity.quick_check_at"
INTEGRITY_CHECK_EVERY = timedelta(days=1)


def parcel_mark_key(name: str, number: str) -> str:
    """The meta key of a mark about one parcel (e.g. "auto_archived.EE123456785CN"): the
    suffix lets `purge` find every mark of the number."""
    return f"{name}.{number}"


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


class _Corrupt(Exception):
    def __init__(self, reason: str, inode: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.inode = inode



class StoreConnection:
    """One connection to the history file, guarded by a lock; safe to share between threads.

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
    def open_memory(cls, *, clock: Clock | None = None) -> Self:
        """A store that lives in memory only (demo mode, tests)."""
        return cls(Path(":memory:"), clock=clock)

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA optimize")
            self._conn.close()

    def __enter__(self) -> Self:
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
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection, under the store's lock, for read helpers outside the store's
        classes (`emstui.store.summaries`); errors become StoreError as everywhere here."""
        with self._read() as conn:
            yield conn

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise _store_error(self.path, exc) from exc

    @contextlib.contextmanager
    def _own_read(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection of its own, for one long read from a worker thread: the
        store's lock stays free (the monitor's event loop writes through it meanwhile; WAL
        lets the two run at once). A store in memory has only its one connection."""
        if self._memory:
            with self._read() as conn:
                yield conn
            return
        try:
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                   timeout=BUSY_TIMEOUT, check_same_thread=False)
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc) from exc
        try:
            yield conn
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc) from exc
        finally:
            conn.close()

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

    def get_meta(self, key: str) -> str | None:
        with self._read() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

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


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
        return True
    text = str(exc).lower()
    return "file is not a database" in text or "malformed" in text
