"""The history file's schema: one migration step per version, applied in order on open."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

from emstui.core.model import Event
from emstui.store.columns import _parse_local
from emstui.store.rows import _FACT_COLS, _identity


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
    retries a failed one a bounded number of times (`emstui.store.outbox`)."""
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
