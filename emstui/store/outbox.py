"""The notification outbox in the history store: what to send, who is sending it, what was sent.

A change is recorded once per target (`INSERT OR IGNORE` on (key, target)), by whichever
process saw it. A sender claims due rows in one IMMEDIATE transaction (setting a lease), so two
processes never run the same notification; a sender that dies mid-send loses its lease and the
row is sent again by the next process (at least once then, never silently dropped).

The table's schema is `_schema_notification_outbox` (emstui/store/schema.py); the queries are
here. What goes in a row and when to send it is `emstui.notify`'s business.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from emstui.store.connection import StoreConnection

MAX_ERROR = 500


@dataclass(frozen=True, slots=True)
class OutboxItem:
    key: str
    target: str
    number: str
    payload: dict[str, Any]
    attempts: int


def _text(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def record(store: StoreConnection, key: str, targets: tuple[str, ...], number: str,
           payload: dict[str, Any], *, now: datetime) -> list[str]:
    """Queue `payload` for each target unless that change was queued before; returns the
    targets newly queued."""
    body = json.dumps(payload, ensure_ascii=False)
    queued = []
    with store._write() as conn:
        for target in targets:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO notifications (key, target, number, payload, created, "
                "next_attempt) VALUES (?, ?, ?, ?, ?, ?)",
                (key, target, number, body, _text(now), _text(now)))
            if cursor.rowcount:
                queued.append(target)
    return queued


def claim_due(store: StoreConnection, targets: tuple[str, ...], *, now: datetime, lease: timedelta,
              limit: int = 50) -> list[OutboxItem]:
    """Take the due, unclaimed rows for `targets` (oldest first) and lease them to the caller."""
    if not targets:
        return []
    marks = ", ".join("?" for _ in targets)
    with store._write() as conn:
        rows = conn.execute(
            f"SELECT key, target, number, payload, attempts FROM notifications "
            f"WHERE sent_at IS NULL AND failed_at IS NULL AND target IN ({marks}) "
            "AND next_attempt <= ? AND (claimed_until IS NULL OR claimed_until < ?) "
            "ORDER BY created, rowid LIMIT ?",
            (*targets, _text(now), _text(now), limit)).fetchall()
        conn.executemany(
            "UPDATE notifications SET claimed_until = ? WHERE key = ? AND target = ?",
            [(_text(now + lease), key, target) for key, target, *_ in rows])
    return [OutboxItem(key, target, number, json.loads(payload), attempts)
            for key, target, number, payload, attempts in rows]


def mark_sent(store: StoreConnection, item: OutboxItem, *, now: datetime) -> None:
    with store._write() as conn:
        conn.execute(
            "UPDATE notifications SET sent_at = ?, attempts = attempts + 1, claimed_until = NULL, "
            "last_error = NULL WHERE key = ? AND target = ?", (_text(now), item.key, item.target))


def mark_failed(store: StoreConnection, item: OutboxItem, error: str, *, now: datetime,
                retry_at: datetime | None) -> None:
    """Count a failed attempt; with `retry_at` None the notification is given up."""
    with store._write() as conn:
        conn.execute(
            "UPDATE notifications SET attempts = attempts + 1, claimed_until = NULL, "
            "last_error = ?, next_attempt = coalesce(?, next_attempt), failed_at = ? "
            "WHERE key = ? AND target = ?",
            (error[:MAX_ERROR], None if retry_at is None else _text(retry_at),
             _text(now) if retry_at is None else None, item.key, item.target))


def next_due(store: StoreConnection, targets: tuple[str, ...]) -> datetime | None:
    """When the earliest pending row for `targets` is due (None when nothing is pending)."""
    if not targets:
        return None
    marks = ", ".join("?" for _ in targets)
    with store._read() as conn:
        row = conn.execute(
            f"SELECT min(next_attempt) FROM notifications WHERE sent_at IS NULL "
            f"AND failed_at IS NULL AND target IN ({marks})", targets).fetchone()
    return datetime.fromisoformat(row[0]) if row and row[0] else None


def history(store: StoreConnection, number: str | None = None) -> list[dict[str, Any]]:
    """Every row (for tests and `notify test` output): key, target, attempts, sent, failed."""
    with store._read() as conn:
        rows = conn.execute(
            "SELECT key, target, number, attempts, sent_at, failed_at, last_error "
            "FROM notifications WHERE ? IS NULL OR number = ? ORDER BY created, rowid",
            (number, number)).fetchall()
    names = ("key", "target", "number", "attempts", "sent_at", "failed_at", "last_error")
    return [dict(zip(names, row, strict=True)) for row in rows]


def finished_before(store: StoreConnection, cutoff: datetime) -> list[tuple[str, str, str]]:
    """(key, target, number) of every row sent or given up before `cutoff`."""
    with store._read() as conn:
        rows = conn.execute(
            "SELECT key, target, number FROM notifications "
            "WHERE coalesce(sent_at, failed_at) < ?", (_text(cutoff),)).fetchall()
    return [(str(key), str(target), str(number)) for key, target, number in rows]


def forget(store: StoreConnection, rows: list[tuple[str, str]]) -> int:
    """Delete these finished rows ((key, target) pairs); returns how many went."""
    with store._write() as conn:
        before = conn.total_changes
        conn.executemany("DELETE FROM notifications WHERE key = ? AND target = ? AND "
                         "(sent_at IS NOT NULL OR failed_at IS NOT NULL)", rows)
        return conn.total_changes - before
