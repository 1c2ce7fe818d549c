"""`emstui doctor`: check the config, the key and every configured source with one real request.

One line per check (✓ / ✗ / ! / - on a terminal; "ok" / "FAIL" / "warn" / "skip" otherwise), all
text through the sanitiser. Exit 0 when every configured source works, 1 when a check failed,
2 when the config cannot be read. `--capture DIR` saves every exchange, keys and tokens redacted.

Doctor only looks: tracking results are not written to the history (the monitor and `--once`
fetch them again). It does record a 17TRACK registration it caused, since 17TRACK billed it, and
the quota answer, which it asks for at most hourly like every other part (emstui.present.quota).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import textwrap
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TextIO

import httpx

from emstui.cli.exitcodes import ExitCode
from emstui.config import Config, ConfigError, ProviderSettings, load_config, paths
from emstui.core import s10
from emstui.core.clock import Clock, SystemClock
from emstui.core.model import ErrorKind
from emstui.core.sanitize import clean_line
from emstui.engine.progress import PARCELS_PER_SECOND, format_span, pass_seconds
from emstui.present import quota as quota_watch
from emstui.present.output import write_coloured
from emstui.providers import PROVIDER_IDS, PROVIDER_NAMES, make_provider
from emstui.providers.base import (
    AuthenticationError,
    MemoryRegistrations,
    NumberResult,
    Provider,
    ProviderError,
    Registrations,
)
from emstui.providers.capture import Exchange, RecordingTransport, save_exchanges
from emstui.providers.http import redact
from emstui.store import Store, StoreError

NAME_WIDTH = 14
# Asked of the EMS tracker when no EMS number is watched and none was given: a valid S10 number
# nobody is likely to have posted, so "not found" is the expected, healthy answer.
EMS_PROBE = s10.make_number("EE", "00000000", "CN")
# A number "works" when the source answered and emstui understood the answer, even if it says
# the number is unknown or not for this source.
_ANSWERED_KINDS = frozenset({ErrorKind.NOT_FOUND, ErrorKind.UNSUPPORTED, ErrorKind.INVALID})

_MARKS_TTY = {"ok": ("✓", "32"), "fail": ("✗", "31"), "warn": ("!", "33"), "skip": ("-", "2")}
_MARKS_PLAIN = {"ok": "ok  ", "fail": "FAIL", "warn": "warn", "skip": "skip"}


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report: what was checked, how it went, and in words."""

    name: str
    state: str  # "ok" | "fail" | "warn" | "skip"
    words: str


@dataclass
class Printer:
    """Writes checks as they complete, coloured on a terminal, plain words elsewhere.

    On a terminal of `width` columns a long check wraps at word boundaries under its own text;
    elsewhere each check stays one line, for grep and mail.
    """

    out: TextIO
    fancy: bool
    width: int | None = None
    checks: list[Check] = field(default_factory=list)

    def __call__(self, name: str, state: str, words: str) -> None:
        check = Check(clean_line(name, limit=40), state, clean_line(words, limit=600))
        self.checks.append(check)
        write_coloured(self.out, self.render(check) + "\n")  # cleaned, colour kept
        self.out.flush()

    def render(self, check: Check) -> str:
        name = check.name.ljust(NAME_WIDTH)
        if not self.fancy:
            return f"{_MARKS_PLAIN[check.state]}  {name} {check.words}"
        mark, colour = _MARKS_TTY[check.state]
        words = check.words
        indent = 2 + NAME_WIDTH + 1
        if self.width is not None and self.width - indent >= 30:
            # Filled as if the mark and name were an indent, then that indent cut off again.
            words = textwrap.fill(words, width=self.width - 1, break_long_words=False,
                                  break_on_hyphens=False, initial_indent=" " * indent,
                                  subsequent_indent=" " * indent)[indent:]
        return f"\x1b[{colour}m{mark}\x1b[0m {name} {words}"

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.state == "fail"]


def fancy_output(stream: TextIO) -> bool:
    """Marks and colour only for a person at a terminal (and never with NO_COLOR)."""
    if os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def run_doctor(config_file: Path, *, number: str | None = None, capture: Path | None = None,
               out: TextIO | None = None, clock: Clock | None = None,
               store_path: Path | None = None,
               transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
               timer: Callable[[], float] = time.perf_counter,
               tz: tzinfo | None = None) -> int:
    """Run every check, print one line each and a summary; return the exit code.

    `number` must already be normalised (the CLI validates it). `transports` replace the real
    network per provider id (tests); requests are recorded on top of them either way.
    """
    out = out or sys.stdout
    fancy = fancy_output(out)
    printer = Printer(out, fancy, shutil.get_terminal_size().columns if fancy else None)
    clock = clock or SystemClock()
    tz = tz or datetime.now().astimezone().tzinfo
    assert tz is not None
    try:
        config = load_config(config_file)
    except ConfigError as exc:
        printer("config", "fail", exc.describe())
        out.write("Fix the config first: nothing else was checked.\n")
        return ExitCode.USAGE
    doctor = _Doctor(config, printer, clock=clock, tz=tz, timer=timer,
                     transports=transports or {})
    doctor.check_config()
    doctor.open_store(store_path)
    try:
        asyncio.run(doctor.check_sources(number))
        doctor.check_pace()
        if capture is not None:
            doctor.save_capture(capture)
    finally:
        doctor.close()
    failed = printer.failed
    if not failed:
        out.write("Every configured source works.\n")
        return ExitCode.OK
    names = ", ".join(dict.fromkeys(c.name for c in failed))
    out.write(f"{len(failed)} problem{'' if len(failed) == 1 else 's'}: {names}.\n")
    return ExitCode.PROVIDER


class _Doctor:
    def __init__(self, config: Config, say: Printer, *, clock: Clock, tz: tzinfo,
                 timer: Callable[[], float],
                 transports: Mapping[str, httpx.AsyncBaseTransport]) -> None:
        self.config = config
        self.say = say
        self.clock = clock
        self.tz = tz
        self.timer = timer
        self.transports = transports
        self.store: Store | None = None
        self.exchanges: list[Exchange] = []
        self.secrets: list[str] = []

    # ---- config and history ---------------------------------------------------------------

    def check_config(self) -> None:
        config = self.config
        if not config.exists:
            self.say("config", "warn", f"no config file at {config.path}: using the defaults "
                                       "(`emstui config init` writes one)")
        else:
            active = sum(1 for p in config.parcels if not p.archived)
            self.say("config", "ok", f"{config.path}: {_count(active, 'parcel')} watched")
        for warning in config.warnings:
            self.say("config", "warn", warning)

    def open_store(self, store_path: Path | None) -> None:
        where = store_path or paths.store_path()
        try:
            self.store = Store(where, clock=self.clock)
        except StoreError as exc:
            self.say("history", "fail", f"{exc}; doctor goes on without it")
            return
        if self.store.recovery_message:
            self.say("history", "warn", self.store.recovery_message)
            return
        try:  # the full check: opening runs the page check at most daily
            problems = self.store.integrity_problems()
        except StoreError as exc:
            problems = [str(exc)]
        if problems:
            self.say("history", "fail", f"{where} is damaged: {'; '.join(problems[:3])}. "
                     "Move it aside (emstui then starts a new history) or restore a backup")
        else:
            self.say("history", "ok", f"{where} (integrity checked)")

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    # ---- sources --------------------------------------------------------------------------

    def _configured(self) -> list[str]:
        order = [p for p in self.config.provider_order if p in PROVIDER_IDS]
        return order + [p for p in PROVIDER_IDS if p not in order]

    async def check_sources(self, number: str | None) -> None:
        for pid in self._configured():
            settings = self.config.providers.get(pid) or ProviderSettings(id=pid)
            await self._check_source(pid, settings, number)

    def check_pace(self) -> None:
        """How long a pass of the watchlist takes with the sources in use, against the
        refresh interval: without a 17TRACK key, a few thousand EMS items no longer fit."""
        configured = self._configured()
        usable = [pid for pid in configured
                  if pid != "17track" or self._has_key(pid)]
        by_source: dict[str, int] = {}
        for parcel in self.config.parcels:
            if parcel.archived:
                continue
            for pid in ([parcel.provider] if parcel.provider else usable):
                if pid in usable and (pid != "ems" or _is_ems(parcel.number)):
                    by_source[pid] = by_source.get(pid, 0) + 1
                    break
        if not by_source:
            return
        seconds = pass_seconds(by_source)
        parts = [f"{_count(n, 'parcel')} via {PROVIDER_NAMES.get(pid, pid)} "
                 f"(~{PARCELS_PER_SECOND.get(pid, 1.0):g}/s)" for pid, n in by_source.items()]
        interval = self.config.refresh.interval
        line = f"a full pass takes {format_span(seconds)}: {', '.join(parts)}"
        if seconds > interval:
            self.say("pace", "warn", f"{line}; longer than refresh.interval "
                     f"({format_span(interval)}), so parcels are checked less often than it "
                     "says. A 17TRACK key (~100 parcels/s) covers any watchlist")
        else:
            self.say("pace", "ok", line)

    def _has_key(self, pid: str) -> bool:
        settings = self.config.providers.get(pid)
        return settings is not None and settings.key is not None

    async def _check_source(self, pid: str, settings: ProviderSettings,
                            number: str | None) -> None:
        name = PROVIDER_NAMES.get(pid, pid)
        key = settings.key.reveal() if settings.key else None
        if pid == "17track" and key is None:
            self._missing_key(pid, settings)
            return
        if key:
            self.secrets.append(key)
        inner = self.transports.get(pid)
        recorder = RecordingTransport(pid, self.exchanges, inner=inner, timer=self.timer)
        registrations: Registrations = self.store if self.store is not None \
            else MemoryRegistrations()
        try:
            provider = make_provider(pid, clock=self.clock, registrations=registrations,
                                     api_key=key, base_url=settings.base_url,
                                     timeout=float(self.config.refresh.timeout), concurrency=1,
                                     user_agent=settings.user_agent, transport=recorder)
        except ValueError as exc:
            await recorder.aclose()
            self.say(pid, "fail", f"{name} cannot be used: {exc}")
            return
        if provider is None:  # make_provider's "no key", already handled above
            await recorder.aclose()
            return
        try:
            accepted = await self._try_number(provider, self._pick(provider, number))
            if pid == "17track":
                await self._check_account(provider, settings, accepted)
        except Exception as exc:  # a bug must not end the report in a traceback
            what = redact(f"{type(exc).__name__}: {exc}", self.secrets)
            self.say(pid, "fail", f"emstui failed while checking {name}: {what} (please "
                                  "report this)")
        finally:
            await provider.aclose()

    def _missing_key(self, pid: str, settings: ProviderSettings) -> None:
        if settings.api_key_env:
            self.say(f"{pid} key", "fail", f"no API key: the environment variable "
                                           f"{settings.api_key_env} (api_key_env in "
                                           f"[providers.{pid}]) is not set or empty")
        elif settings.source:
            self.say(f"{pid} key", "fail", f"no API key: set api_key or api_key_env in "
                                           f"[providers.{pid}]")
        else:
            self.say(pid, "skip", "not set up (no API key); EMS items are tracked without it. "
                                  "To use it, add a [providers.17track] section with "
                                  "api_key_env")

    def _pick(self, provider: Provider, number: str | None) -> tuple[str, str] | None:
        """(number, why) to try on this source, or None when there is nothing sensible."""
        if number is not None:
            return (number, "given with --number") if provider.supports(number) else None
        watched = [p.number for p in self.config.parcels
                   if not p.archived and p.provider in (None, provider.id)
                   and provider.supports(p.number)]
        if provider.id == "17track" and self.store is not None:
            # Registering costs quota: prefer a number 17TRACK already knows.
            known = [n for n in watched if self.store.is_registered(n, provider.id)]
            watched = known + [n for n in watched if n not in known]
        if watched:
            return watched[0], "watched"
        if provider.id == "ems":
            return EMS_PROBE, "no EMS number watched: an unused number, 'not found' expected"
        return None

    async def _try_number(self, provider: Provider,
                          pick: tuple[str, str] | None) -> bool | None:
        """Track one number and report it. True/False: the key was accepted/refused; None:
        this request says nothing about the key."""
        pid = provider.id
        if pick is None:
            self.say(pid, "skip", "no watched number for this source; give one with --number")
            return None
        number, why = pick
        was_registered = self.store.is_registered(number, pid) if self.store else None
        first = len(self.exchanges)
        try:
            (result,) = await provider.track([number])
        except ProviderError as exc:
            self.say(pid, "fail", f"{number} ({why}): {self._wire(first)}; {exc.message}")
            return False if isinstance(exc, AuthenticationError) else None
        registered = ""
        if self.store is not None and not was_registered and \
                self.store.is_registered(number, pid):
            registered = "; registered it with 17TRACK (1 quota)"
        state, said = _describe_result(result)
        self.say(pid, state, f"{number} ({why}): {self._wire(first)}; {said}{registered}")
        return True

    def _wire(self, first: int) -> str:
        """What the network did for one check: each exchange's status, and the total time."""
        exchanges = self.exchanges[first:]
        if not exchanges:
            return "no request made"
        parts = []
        for exchange in exchanges:
            label = f" ({exchange.endpoint})" if len(exchanges) > 1 else ""
            parts.append(f"HTTP {exchange.status}{label}" if exchange.status is not None
                         else f"no answer{label}")
        total = sum(e.elapsed or 0.0 for e in exchanges)
        return f"{', '.join(parts)} in {total * 1000:.0f} ms"

    async def _check_account(self, provider: Provider, settings: ProviderSettings,
                             accepted: bool | None) -> None:
        """The key line and the quota line for 17TRACK."""
        from emstui.providers.seventeentrack import SeventeenTrackProvider

        assert isinstance(provider, SeventeenTrackProvider)
        where = (f"environment variable {settings.api_key_env}"
                 if settings.env_key is not None and settings.api_key_env
                 else "api_key in the config file")
        if accepted is False:  # asking for the quota with a refused key would only fail again
            self._key_line(provider.id, where, accepted)
            self.say(f"{provider.id} quota", "skip", "not asked: the key was refused")
            return
        now = self.clock.now()
        first = len(self.exchanges)
        if self.store is not None:
            record = await quota_watch.refresh_if_due(self.store, provider, now)
        else:
            record = await _ask_quota(provider, now)
        asked = len(self.exchanges) > first and record.attempted_at == now
        if asked and record.error_kind == ErrorKind.AUTH:
            accepted = False
        elif asked and record.quota is not None and accepted is None:
            accepted = True
        self._key_line(provider.id, where, accepted)
        wire = f"{self._wire(first)}; " if asked else ""
        words = wire + quota_watch.describe(record, now, self.tz)
        if record.quota is None:
            state = "fail" if asked and record.error else "warn"
        else:
            low = quota_watch.low_hint(record.quota)
            state = "warn" if low else "ok"
            if low:
                words += f"; {low}"
        self.say(f"{provider.id} quota", state, words)

    def _key_line(self, pid: str, where: str, accepted: bool | None) -> None:
        if accepted is True:
            self.say(f"{pid} key", "ok", f"present ({where}) and accepted")
        elif accepted is False:
            self.say(f"{pid} key", "fail",
                     f"present ({where}) but refused by 17TRACK: check the key and the IP "
                     "whitelist in the 17TRACK dashboard (Settings > Security)")
        else:
            self.say(f"{pid} key", "warn",
                     f"present ({where}); not confirmed: no request got through")

    # ---- capture --------------------------------------------------------------------------

    def save_capture(self, directory: Path) -> None:
        if not self.exchanges:
            self.say("capture", "skip", "no request was made: nothing to save")
            return
        try:
            written = save_exchanges(directory, self.exchanges, self.secrets,
                                     when=self.clock.now())
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            self.say("capture", "fail", f"cannot write to {directory}: {reason}")
            return
        self.say("capture", "ok", f"saved {_count(len(written), 'response')} to {directory} "
                                  "(keys and tokens redacted; check before sharing)")


async def _ask_quota(provider: quota_watch.QuotaSource,
                     now: datetime) -> quota_watch.QuotaRecord:
    """Without a history store there is nothing to share: ask directly."""
    record = quota_watch.QuotaRecord(account=provider.account_id, attempted_at=now)
    try:
        answer = await provider.quota()
    except ProviderError as exc:
        return quota_watch.QuotaRecord(record.account, now, error=clean_line(exc.message),
                                       error_kind=exc.kind)
    return quota_watch.QuotaRecord(record.account, now, checked_at=now, quota=answer)


def _describe_result(result: NumberResult) -> tuple[str, str]:
    """(state, words) for one number's outcome: what the source said, as emstui parsed it."""
    if result.tracking is not None:
        tracking = result.tracking
        words = f"parsed: {tracking.status.label}, {_count(len(tracking.events), 'event')}"
        latest = tracking.latest
        if latest is not None:
            where = f" ({clean_line(latest.location, limit=40)})" if latest.location else ""
            words += (f"; latest {clean_line(latest.time_raw, limit=40)} "
                      f"\"{clean_line(latest.description, limit=80)}\"{where}")
        return "ok", words
    error = result.error
    if error is None:
        return "fail", "no answer for this number"
    if error.kind in _ANSWERED_KINDS:
        return "ok", f"parsed: {error.kind.replace('_', ' ')} ({error.message})"
    return "fail", f"not understood: {error.message}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def normalise_number(raw: str) -> str:
    """The CLI's --number, validated like `emstui check` (InvalidNumber: exit 3)."""
    return s10.parse(raw).value


def _is_ems(number: str) -> bool:
    try:
        parsed = s10.parse(number)
    except s10.InvalidNumber:
        return False
    return parsed.is_s10 and parsed.is_ems
