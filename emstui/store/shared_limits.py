"""Promises kept together by every emstui process on one history store: pauses, rates, claims.

The monitor and any number of `emstui --once` (cron, or the user typing it) share one SQLite
store, so that is where they agree:

- a provider's pause (Retry-After, backoff after failures, rejected key, used-up quota) is stored
  with its end time; every process honours it and says when the next attempt is;
- every request to a provider takes a slot in a shared request log first: at most `limit` starts
  in any window, starts `min_interval` apart, `concurrency` running at once, counted over all
  processes (the EMS tracker: one at a time, 1 s apart, between all of them);
- a process claims a parcel before refreshing it, so two processes never refresh the same one.

Why the store and not an `fcntl` lock file in the data directory: a lock gives mutual exclusion
but no memory, and every one of these promises needs memory (when did the last request start,
how long is the pause, who checked this parcel after my pass began). The store already has the
cross-process machinery (WAL, busy timeout, short IMMEDIATE transactions) and one process per
transaction decides atomically. A process that dies mid-request cannot wedge the others: slots
and claims carry a lease that runs out (the request timeout plus a margin).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import datetime, timedelta

from emstui.core.model import PauseKind
from emstui.store import Claims, ProviderPause, Store

# Kinds of pause that wait for the configuration to change. Stored with the settings they apply
# to (a fingerprint, never the key) and, in case the cause was passing, for at most a day.
PERSISTENT_KINDS = (PauseKind.AUTH, PauseKind.QUOTA, PauseKind.GONE)
PERSISTENT_PAUSE = timedelta(hours=24)
# Another process's request start is read from its clock before the request leaves: count it
# this much longer, so scheduling jitter never puts two starts closer than the provider allows.
CROSS_PROCESS_MARGIN = 0.05
# Runs started together (overlapping cron jobs) begin their passes within a few seconds of each
# other; a run started later than this after another finished a parcel is a new request.
OTHERS_FRESH = timedelta(seconds=10)
LEASE_MARGIN = 30.0  # seconds a slot or claim outlives its request timeout (crashed process)


def process_owner() -> str:
    """Who this process is in the shared tables: pid plus randomness (pids are reused)."""
    return f"{os.getpid()}-{secrets.token_hex(4)}"


def settings_token(provider: str, *parts: str | None) -> str:
    """A fingerprint of a provider's settings (base URL, key): a pause for a rejected key
    applies until these change. Truncated SHA-256; the key cannot be read back from it."""
    digest = hashlib.sha256(provider.encode())
    for part in parts:
        digest.update(b"\x00" + (part or "").encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:16]


class StoreSlots:
    """One provider's share of the request log (`RateLimiter.shared`)."""

    def __init__(self, store: Store, provider: str, *, owner: str, timeout: float) -> None:
        self.store = store
        self.provider = provider
        self.owner = owner
        self.lease = timeout + LEASE_MARGIN

    def take(self, *, limit: int, window: float, min_interval: float,
             concurrency: int) -> tuple[float, int | None]:
        return self.store.take_request_slot(
            self.provider, owner=self.owner, limit=limit, window=window,
            min_interval=min_interval, concurrency=concurrency, lease=self.lease,
            margin=CROSS_PROCESS_MARGIN)

    def release(self, slot: int) -> None:
        self.store.end_request_slot(slot)


class SharedLimits:
    """What the refresh engine needs from the store to keep limits with other processes."""

    def __init__(self, store: Store, *, owner: str, tokens: dict[str, str],
                 timeout: float) -> None:
        self.store = store
        self.owner = owner
        self.tokens = tokens  # provider id -> settings_token
        self.lease = timeout + LEASE_MARGIN

    # -- pauses ---------------------------------------------------------------------------

    def pauses(self, now: datetime) -> dict[str, ProviderPause]:
        """Pauses in force now that apply to this configuration."""
        active = {}
        for pid, pause in self.store.provider_pauses().items():
            if pause.until <= now:
                continue
            if pause.kind in PERSISTENT_KINDS and pause.config_token != self.tokens.get(pid):
                continue  # the key or URL changed since: that pause was for other settings
            active[pid] = pause
        return active

    def pause(self, provider: str, *, kind: str, message: str, until: datetime | None,
              failures: int, now: datetime) -> None:
        end = until if until is not None else now + PERSISTENT_PAUSE
        token = self.tokens.get(provider) if kind in PERSISTENT_KINDS else None
        self.store.set_provider_pause(ProviderPause(provider, kind, message, end, failures,
                                                    now, token))

    def resume(self, provider: str, *, request_started: datetime) -> None:
        """A request that started after a pause was set succeeded: the pause is over."""
        self.store.clear_provider_pause(provider, set_before=request_started)

    def config_changed(self, providers: list[str]) -> None:
        """The user changed the configuration: paused providers get another chance."""
        for pid in providers:
            self.store.clear_provider_pause(pid, kinds=PERSISTENT_KINDS)

    # -- parcels --------------------------------------------------------------------------

    def claim(self, numbers: list[str], *, fresh_since: datetime) -> Claims:
        """Parcels this pass (started at `fresh_since`) may refresh. One another process
        refreshed up to `OTHERS_FRESH` before that counts as done: two runs started together
        (one a little slower to start) must not both ask for it."""
        return self.store.claim_parcels(numbers, owner=self.owner, lease=self.lease,
                                        fresh_since=fresh_since,
                                        others_since=fresh_since - OTHERS_FRESH)

    def release(self, numbers: list[str]) -> None:
        self.store.release_parcels(numbers, owner=self.owner)

    def busy_elsewhere(self, numbers: list[str]) -> set[str]:
        return self.store.claimed_elsewhere(numbers, owner=self.owner)
