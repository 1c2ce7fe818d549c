"""What the processes sharing one store coordinate through: provider pauses, the shared request
log (slots), and parcel claims. The policy on top is `emstui.store.shared_limits`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from emstui.core.model import PauseKind
from emstui.store.columns import MAX_ERROR, MAX_SHORT, _cap, _parse_utc, _utc_text
from emstui.store.connection import StoreConnection

SLOT_LOG_KEEP = 600.0  # seconds a finished request stays in the shared request log
CLAIM_KEEP = 3600.0  # seconds a finished claim is remembered
# Records stamped later than now plus this come from before the system clock was set back
# (or from a process with another clock): they cannot be honoured, so they are void. Without
# this, one request logged "in 2027" would hold every later request until 2027.
CLOCK_SKEW = 5.0
SLOT_POLL = 0.05  # seconds between asks while another process holds a provider's only slot


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
class Claims:
    """The answer to `claim_parcels`: who refreshes what."""

    claimed: tuple[str, ...]  # this process refreshes these now
    fresh: tuple[str, ...]  # another process checked them after `fresh_since`
    busy: tuple[str, ...]  # another live process is refreshing them right now


class Coordination(StoreConnection):
    """The provider_pauses, request_slots and parcel_claims tables."""

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
