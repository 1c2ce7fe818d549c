"""Turns the engine's parcel changes into notifications and sends them, without ever holding
up a refresh.

The engine calls `observe` for every change (`RefreshEngine.subscribe`); a change that matches
`[notify] on` is queued in the store's outbox for every configured target, and a background
task sends what is due. `--once` awaits `drain()` before it exits; the monitor keeps sending as
changes come and retries failures later. Every process sends only the targets it can reach
(the terminal target only in the monitor).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from emstui.config.notify import NotifySettings
from emstui.core.clock import Clock
from emstui.core.logs import logger
from emstui.core.model import Event, ParcelState
from emstui.core.sanitize import clean_line
from emstui.core.timeline import event_identity
from emstui.engine.events import Change, CycleFinished, ParcelUpdated
from emstui.notify import stall
from emstui.notify.targets import (
    AppriseTarget,
    CommandTarget,
    DeliveryError,
    Target,
    TargetUnavailable,
    TerminalTarget,
)
from emstui.store import Store, StoreError, outbox

log = logger("emstui.notify")

# Waits before the 2nd, 3rd and 4th attempt; after the 4th failure the notification is given
# up and reported once. A target down for hours thus costs four attempts, not one per change.
RETRY_DELAYS = (60, 600, 3600)
# Sent and given-up outbox records are kept this long, then forgotten where their change cannot
# come again (`could_recur`): the table stays bounded by recent traffic plus a few records per
# parcel. Checked after a refresh pass, at most daily.
OUTBOX_KEEP = timedelta(days=90)
OUTBOX_PRUNE_EVERY = timedelta(days=1)
OUTBOX_PRUNED_KEY = "notify.outbox_pruned_at"
DRAIN_ROUNDS = 3  # --once: sweeps at exit (new changes may be queued while sending)


def event_key(event: Event | None) -> str:
    if event is None:
        return "none"
    return hashlib.sha256(repr(event_identity(event)).encode()).hexdigest()[:20]


def could_recur(key: str, state: ParcelState | None) -> bool:
    """Whether the change an outbox record `key` ("NUMBER:TRIGGER:SCAN") stands for could be
    detected again, so the record must stay to keep it from being sent twice.

    A "new_event" key names a scan that was new: a stored scan is never new again (only
    `purge` forgets it, and purge drops the records with it). A status or stall key names the
    parcel's newest scan at the time: it can come again (a status flipping back, the same stall)
    only while that scan is still the newest; once a newer one is stored it never is again.
    """
    parts = key.split(":")
    if len(parts) != 3:
        return True  # not a key this version writes: keep it
    _number, trigger, scan = parts
    if trigger == "new_event" or state is None:
        return False
    return event_key(state.last_event) == scan


def prune_outbox(store: Store, now: datetime) -> int:
    """Forget sent and given-up records older than `OUTBOX_KEEP` whose change cannot recur, at
    most once per `OUTBOX_PRUNE_EVERY` across every process sharing the store (the first to
    claim the turn does it). Returns how many records went."""
    last = store.get_meta(OUTBOX_PRUNED_KEY)
    try:
        last_at = datetime.fromisoformat(last) if last else None
    except ValueError:
        last_at = None
    if last_at is not None and last_at <= now < last_at + OUTBOX_PRUNE_EVERY:
        return 0
    if not store.replace_meta(OUTBOX_PRUNED_KEY, last, now.isoformat()):
        return 0  # another process took this turn
    rows = outbox.finished_before(store, now - OUTBOX_KEEP)
    if not rows:
        return 0
    states = store.states({number for _, _, number in rows})
    return outbox.forget(store, [(key, target) for key, target, number in rows
                                 if not could_recur(key, states.get(number))])


def trigger_of(change: ParcelUpdated, on: frozenset[str]) -> str | None:
    """Which `on` entry this change matches, if any. The first check of a parcel is not a
    change (adding 500 parcels must not send 500 notifications)."""
    if change.old_status is None:
        return None
    status = change.state.status.value
    if change.status_changed and status in on:
        return status
    if "any_event" in on and change.new_events:
        return "new_event"
    return None


def build_payload(change: ParcelUpdated, trigger: str, *, label: str,
                  now: datetime) -> dict[str, Any]:
    """What every target receives, sanitised and bounded once, here."""
    state = change.state
    newest = change.new_events[0] if trigger == "new_event" and change.new_events \
        else state.last_event
    name = clean_line(label, limit=120) or change.number
    who = f" ({change.number})" if name != change.number else ""
    event = None
    if newest is not None:
        event = {"time": clean_line(newest.time_raw, limit=60),
                 "time_utc": newest.time_utc.isoformat() if newest.time_utc else None,
                 "location": clean_line(newest.location, limit=120),
                 "description": clean_line(newest.description, limit=300)}
    headline = state.status.label if trigger != "new_event" else "new scan"
    detail = ""
    if event:
        detail = " — " + ", ".join(part for part in (event["description"], event["location"])
                                   if part)
    return {
        "number": change.number,
        "label": clean_line(label, limit=120),
        "change": trigger,
        "status": state.status.value,
        "old_status": change.old_status.value if change.old_status else None,
        "stage": state.stage.value,
        "event": event,
        "title": f"emstui: {name}",
        "message": clean_line(f"{name}{who}: {headline}{detail}", limit=400),
        "detected_at": now.isoformat(),
    }


def sample_payload(now: datetime) -> dict[str, Any]:
    """The sample `emstui notify test` sends."""
    return {
        "number": "EE123456785CN", "label": "emstui test", "change": "test",
        "status": "delivered", "old_status": "out_for_delivery", "stage": "delivered",
        "event": {"time": now.strftime("%Y-%m-%d %H:%M"), "time_utc": now.isoformat(),
                  "location": "TEST", "description": "Test notification from emstui"},
        "title": "emstui: test",
        "message": "emstui test (EE123456785CN): delivered — this is a test notification",
        "detected_at": now.isoformat(),
    }


class Notifier:
    def __init__(self, settings: NotifySettings, store: Store, clock: Clock, *,
                 label_of: Callable[[str], str] = lambda number: "",
                 hidden_env: tuple[str, ...] = ()) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.label_of = label_of
        self.notes: list[str] = []  # configuration problems, shown once at start
        self.problems: list[str] = []  # delivery problems, when nobody set `report`
        self.report: Callable[[str], None] = self.problems.append
        self.retry_in_background = False  # the monitor: retry later by itself
        self.targets: dict[str, Target] = {}
        timeout = float(settings.timeout)
        if settings.command is not None:
            self.targets["command"] = CommandTarget(settings.command, timeout=timeout,
                                                    hidden_env=hidden_env)
        queued = list(settings.targets)
        if settings.urls:
            try:
                self.targets["urls"] = AppriseTarget(settings.urls, timeout=timeout)
            except TargetUnavailable as exc:
                self.notes.append(str(exc))
                queued.remove("urls")
        self.queued_targets = tuple(queued)  # recorded for every change, sent by whoever can
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.TimerHandle | None = None
        self._again = False

    def attach_terminal(self, write: Callable[[str], None]) -> None:
        """The monitor is open: it can send the terminal target."""
        if self.settings.terminal is not None:
            self.targets["terminal"] = TerminalTarget(write, style=self.settings.terminal)

    # ---- from the engine -------------------------------------------------------------------

    def observe(self, change: Change) -> None:
        """Queue a matching change. Runs inside the engine: short, and never raises."""
        try:
            if isinstance(change, ParcelUpdated):
                self._queue(change)
            elif isinstance(change, CycleFinished):
                prune_outbox(self.store, self.clock.now())
                self._kick()  # retries that have come due, rows other processes left
        except StoreError as exc:
            log.warning("notification not queued: %s", exc)

    def _queue(self, change: ParcelUpdated) -> None:
        if not self.queued_targets:
            return
        if stall.TRIGGER in self.settings.on:
            self._queue_stall(change)
        trigger = trigger_of(change, self.settings.on)
        if trigger is None:
            return
        now = self.clock.now()
        newest = change.new_events[0] if trigger == "new_event" else change.state.last_event
        key = f"{change.number}:{trigger}:{event_key(newest)}"
        payload = build_payload(change, trigger, label=self.label_of(change.number), now=now)
        if outbox.record(self.store, key, self.queued_targets, change.number, payload, now=now):
            self._kick()

    def _queue_stall(self, change: ParcelUpdated) -> None:
        """Queue the parcel's stall once (keyed by its newest scan). A newly added parcel's
        first answer is not news, stalled or not, as for status changes."""
        if change.old_status is None and change.error is None:
            return
        now = self.clock.now()
        found = stall.stall_of(change.state, now)
        if found is None:
            return
        key = f"{change.number}:{stall.TRIGGER}:{event_key(change.state.last_event)}"
        payload = build_payload(change, stall.TRIGGER, label=self.label_of(change.number),
                                now=now)
        name = clean_line(self.label_of(change.number), limit=120) or change.number
        who = f" ({change.number})" if name != change.number else ""
        payload["message"] = clean_line(f"{name}{who}: {found.headline}", limit=400)
        payload["advice"] = found.advice
        if outbox.record(self.store, key, self.queued_targets, change.number, payload, now=now):
            self._kick()

    # ---- sending ---------------------------------------------------------------------------

    def _kick(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop: the next drain() sends it
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = loop.create_task(self._sweep_until_quiet())

    async def _sweep_until_quiet(self) -> None:
        self._again = True
        while self._again:
            self._again = False
            await self.deliver_due()
        if self.retry_in_background:
            self._wake_for_next_due()

    def start(self) -> None:
        """Long-running mode (the monitor): send what is pending now, including what other
        processes left, and wake up by itself when a retry comes due."""
        self.retry_in_background = True
        self._kick()

    def _wake_for_next_due(self) -> None:
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None
        try:
            due = outbox.next_due(self.store, tuple(self.targets))
            loop = asyncio.get_running_loop()
        except (StoreError, RuntimeError):
            return
        if due is not None:
            delay = max(1.0, (due - self.clock.now()).total_seconds())
            self._wake = loop.call_later(delay, self._kick)

    async def deliver_due(self) -> int:
        """Send every due notification this process can send; returns how many got through."""
        lease = timedelta(seconds=self.settings.timeout + 60)
        try:
            items = outbox.claim_due(self.store, tuple(self.targets), now=self.clock.now(),
                                     lease=lease)
        except StoreError as exc:
            log.warning("notifications not sent: %s", exc)
            return 0
        sent = 0
        failures: dict[tuple[str, bool], list[tuple[str, str]]] = {}
        for item in items:
            target = self.targets[item.target]
            try:
                await target.send(item.payload)
            except DeliveryError as exc:
                error = str(exc)
            except Exception as exc:  # a target's bug must not stop the others
                log.exception("notification target %s failed", item.target)
                error = f"internal error: {clean_line(exc, limit=200)}"
            else:
                with contextlib.suppress(StoreError):
                    outbox.mark_sent(self.store, item, now=self.clock.now())
                sent += 1
                continue
            outcome = self._failed(item, error)
            if outcome is not None:
                name = str(item.payload.get("label") or item.number)
                failures.setdefault((item.target, outcome), []).append((name, error))
        for (target, given_up), failed in failures.items():
            self.report(_failure_summary(target, given_up, failed))
        return sent

    def _failed(self, item: outbox.OutboxItem, error: str) -> bool | None:
        """Count the failure; True when given up, False on a first failure (both reported),
        None for a retry that failed again (quiet: a target down for hours makes two reports
        per notification, not one per attempt)."""
        now = self.clock.now()
        attempt = item.attempts + 1
        delay = RETRY_DELAYS[attempt - 1] if attempt <= len(RETRY_DELAYS) else None
        retry_at = now + timedelta(seconds=delay) if delay is not None else None
        with contextlib.suppress(StoreError):
            outbox.mark_failed(self.store, item, error, now=now, retry_at=retry_at)
        if retry_at is None:
            return True
        return False if attempt == 1 else None

    async def drain(self) -> None:
        """Wait for sends in progress, then send what is due (for `--once`, before exit)."""
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
        for _ in range(DRAIN_ROUNDS):
            if not await self.deliver_due():
                break

    async def send_test(self) -> list[tuple[str, str | None]]:
        """Send a sample to every target now (no outbox); (target, error or None) each."""
        results: list[tuple[str, str | None]] = []
        payload = sample_payload(self.clock.now())
        for name, target in self.targets.items():
            try:
                await target.send(payload)
            except DeliveryError as exc:
                results.append((name, str(exc)))
            else:
                results.append((name, None))
        return results


def _failure_summary(target: str, given_up: bool, failed: list[tuple[str, str]]) -> str:
    """One line for the notifications to one target that failed in one sweep."""
    names = ", ".join(name for name, _ in failed[:3]) + (
        f" and {len(failed) - 3} more" if len(failed) > 3 else "")
    what = (f"notification ({target}) for {names}" if len(failed) == 1
            else f"{len(failed)} notifications ({target}) for {names}")
    error = failed[0][1]
    if given_up:
        return f"{what} given up after {len(RETRY_DELAYS) + 1} attempts: {error}"
    return (f"{what} failed: {error}; retrying {len(RETRY_DELAYS)} more times over "
            f"{_span(sum(RETRY_DELAYS))}")


def _span(seconds: int) -> str:
    return f"{seconds // 3600} h {seconds % 3600 // 60} min" if seconds >= 3600 \
        else f"{seconds // 60} min"
