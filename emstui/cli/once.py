"""`emstui --once`: one headless refresh for cron and scripts (what it prints: `once_output`).

Never imports Textual (a test proves it). stdout carries data only; progress goes to stderr
and only on a TTY.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, cast

from emstui.cli.exitcodes import ExitCode
from emstui.cli.once_output import (
    collect_rows,
    exit_code,
    progress,
    provider_problems,
    rows_with_events,
    to_csv_rows,
    to_text,
    untrackable_lines,
    use_colour,
    write_json,
)
from emstui.config import (
    Config,
    ConfigError,
    archive_parcels,
    load_config,
    update_config,
)
from emstui.core.clock import Clock
from emstui.core.durations import format_duration
from emstui.core.model import ParcelState
from emstui.engine.engine import CycleReport, RefreshEngine
from emstui.engine.events import Change, ParcelUpdated, ProviderStateChanged
from emstui.present import autoarchive, quota
from emstui.present.output import safe, write_coloured
from emstui.services import Services, build_services
from emstui.store import Store

if TYPE_CHECKING:  # JSON and CSV import the estimates, official operators and CSV writer
    import httpx


ONCE_META_KEY = "once.last_run"
OTHER_PROCESS_POLL = 0.1  # seconds between looks at parcels another process is refreshing


def _parse_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def run_once(config_file: Path, *, as_json: bool = False, as_csv: bool = False,
             changed_only: bool = False,
             include_all: bool = False, out: TextIO | None = None, err: TextIO | None = None,
             clock: Clock | None = None, store_path: Path | None = None,
             transports: Mapping[str, httpx.AsyncBaseTransport] | None = None) -> int:
    """Refresh due parcels (or all) once and print them. Returns the process exit code."""
    if as_json and as_csv:
        raise ValueError("--json and --csv are two output formats: choose one")
    out = cast(TextIO, safe(out or sys.stdout))  # the output layer: see emstui.present.output
    err = cast(TextIO, safe(err or sys.stderr))
    config = load_config(config_file)
    if not config.exists:
        # Most often cron running with another HOME or without EMSTUI_CONFIG: say so, loudly.
        err.write(f"emstui: no config file at {config_file}; `emstui add NUMBER` or "
                  "`emstui config init` creates one\n")
        return ExitCode.USAGE
    for warning in config.warnings:
        err.write(f"emstui: warning: {warning}\n")
    total = sum(1 for p in config.parcels if not p.archived)
    if total == 0:
        archived = len(config.parcels)
        also = f" ({archived} archived)" if archived else ""
        err.write(f"emstui: the watchlist is empty{also}: nothing to refresh. `emstui add "
                  "NUMBER` (or `a` in the monitor) starts watching a parcel\n")
    engine: RefreshEngine | None = None

    def on_change(change: Change) -> None:
        # On a terminal: how far the pass is, at what rate, who makes it wait, time left.
        if engine is not None and isinstance(change, ParcelUpdated | ProviderStateChanged):
            text = engine.progress_text()
            if text:
                progress(text, err)

    services = build_services(config=config, clock=clock, store_path=store_path,
                              transports=transports, listener=on_change, audience="once")
    engine = services.engine
    if services.notifier is not None:
        services.notifier.report = lambda line: err.write(f"emstui: {line}\n")
    interrupted = False
    try:
        # Notes such as "17TRACK is not used: no API key" would make cron mail every run, so
        # they are for a terminal only; a damaged history moved aside is news wherever we run,
        # and so is every parcel that no source can track (below, on every run).
        recovery = services.recovery_note
        on_tty = getattr(err, "isatty", lambda: False)()
        for note in services.notes:
            if on_tty or note == recovery:
                err.write(f"emstui: {note}\n")
        untrackable = services.engine.untrackable()
        store = services.store
        previous = _parse_iso(store.get_meta(ONCE_META_KEY))
        numbers = [p.number for p in config.parcels if not p.archived] if include_all else None
        report = CycleReport(started=services.clock.now())
        try:
            report = asyncio.run(_refresh(services, numbers))
        except KeyboardInterrupt:
            interrupted = True
        progress("", err)
        if interrupted:
            err.write("emstui: interrupted; everything fetched so far is saved\n")
            return ExitCode.INTERRUPTED
        health = services.engine.health()
        # The mark is taken before reading the store, and after this run's own changes: the
        # next run reports what changed after it, so nothing is reported twice (a mark taken
        # when the run started would repeat every change this run stored) or lost.
        mark = services.clock.now()
        active = [p.number for p in config.parcels if not p.archived]
        # Text shows one summary line per parcel; JSON shows everything about each parcel,
        # CSV what JSON shows but the events: both need the facts (destination, ETA).
        detailed = as_json or as_csv
        states = store.states(active) if detailed else store.summaries(active)
        rows = collect_rows(config.parcels, store, report, changed_since=previous,
                            include_all=not changed_only, untrackable=untrackable,
                            states=states)
        if changed_only and previous is None:
            rows = [r for r in rows if r.last_event]  # first run: report what we know
        store.set_meta(ONCE_META_KEY, mark.isoformat())
        now = services.clock.now()
        if detailed:
            from emstui.present import eta

            arrivals = eta.from_store(store, {r.number: r.state.facts if r.state else None
                                              for r in rows})
            if as_json:
                write_json(out, rows_with_events(rows, store), generated_at=now, health=health,
                           estimates=arrivals)
            else:
                notes = {p.number: p.note for p in config.parcels}
                out.write(to_csv_rows(rows, notes, arrivals))
        else:
            write_coloured(out, to_text(rows, now=now, colour=use_colour(out)))
        out.flush()
        for line in provider_problems(health, config.display.zone()):
            err.write(line + "\n")
        labels = {p.number: p.label for p in config.parcels}
        for line in untrackable_lines(untrackable, labels):
            err.write(line + "\n")
        low_quota = quota.current_warning(store, services.providers)
        if low_quota:
            err.write(f"emstui: 17track: warning: {low_quota}\n")
        # After printing: this run still reports the delivery, the next one no longer lists it.
        auto_archive(config_file, config, store, states, services.clock.now(), err)
        return exit_code(report, states, untrackable)
    finally:
        asyncio.run(services.aclose())  # the sources are released already: closes the store


def auto_archive(config_file: Path, config: Config, store: Store,
                 states: Mapping[str, ParcelState], now: datetime, err: TextIO) -> list[str]:
    """`[refresh] archive_delivered_after`: archive the parcels finished that long ago, in the
    config as `x` in the monitor does, and say so on stderr (once: an archived parcel is not
    due again). Returns the numbers this run archived."""
    after = config.refresh.archive_delivered_after
    due = autoarchive.due_for_archive(config.parcels, states, after, now)
    due = autoarchive.not_yet_archived_by_us(store, due)
    if not due or after is None:
        return []
    archived: list[str] = []

    def archive(edited: Config) -> None:
        archived[:] = archive_parcels(edited, due)  # applied again after a conflict

    try:
        update_config(config_file, archive, expected=config.fingerprint)
    except ConfigError as exc:
        err.write(f"emstui: auto-archive not saved: {exc.describe()}\n")
        return []
    autoarchive.remember_archived(store, due, now)
    if archived:
        labels = {p.number: p.label for p in config.parcels}
        line = autoarchive.announcement(archived, labels, format_duration(after))
        err.write(f"emstui: {line} (`emstui list` shows them)\n")
    return archived


async def _refresh(services: Services, numbers: list[str] | None) -> CycleReport:
    """One pass; the HTTP clients are closed inside the same event loop that used them."""
    try:
        report = await services.engine.refresh(numbers, force=numbers is not None)
        await _wait_for_other_processes(services, report)
        # At most hourly across processes however often cron runs (emstui.present.quota).
        await quota.refresh_after_pass(services.store, services.providers,
                                       services.engine.health(), services.clock.now())
        return report
    finally:
        await services.release_sources()


async def _wait_for_other_processes(services: Services, report: CycleReport) -> None:
    """Parcels another emstui was refreshing when we came to them: wait (bounded) until it has
    stored them, so what this run prints is as fresh as if it had fetched them itself."""
    limits = services.engine.limits
    if limits is None or not report.elsewhere:
        return
    clock = services.clock
    deadline = clock.now() + timedelta(seconds=float(services.config.refresh.timeout) + 10)
    waiting = list(report.elsewhere)
    while clock.now() < deadline:
        waiting = sorted(limits.busy_elsewhere(waiting))
        if not waiting:
            return
        await clock.sleep(OTHER_PROCESS_POLL)
