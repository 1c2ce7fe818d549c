"""The 17TRACK quota: asked at most hourly across processes, remembered in the store, judged.

`getquota` is free, but the monitor, every cron `--once` run and `doctor` share one account and
one store, so the last answer and the time of the last attempt live in the store's `meta` table.
Whoever finds the answer older than an hour claims the next call with a compare-and-set on that
row; the others keep showing the remembered answer. A failed call counts as an attempt too, so an
outage or a rejected key is not asked about more than hourly either.

Warning threshold: the quota is low when at most `max(10, 10 % of the account's total)`
registrations are left (10 of the 100 free ones; 110 of 1,100). One registration is spent per new
number, so this leaves room for about a tenth of the account's size of new parcels. The daily cap
(`max_track_daily`) warns at 90 % used.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta, tzinfo
from typing import Protocol, runtime_checkable

from emstui.core.model import HealthState
from emstui.core.sanitize import clean_line
from emstui.engine.health import ProviderHealth
from emstui.present.timefmt import format_clock
from emstui.providers.base import Provider, ProviderError
from emstui.providers.quota import Quota
from emstui.store import Store

META_KEY = "17track.quota"
MIN_INTERVAL = timedelta(hours=1)
# An attempt stamped further ahead than this is from a clock that has since gone back: ask again.
CLOCK_SKEW = timedelta(minutes=5)
LOW_FLOOR = 10
LOW_FRACTION = 0.10
DAILY_WARN_FRACTION = 0.90

# The source cannot answer now: show the remembered quota instead of asking.
_NOT_ASKING = (HealthState.AUTH, HealthState.GONE, HealthState.OFFLINE)


@runtime_checkable
class QuotaSource(Protocol):
    """What the quota check needs from the 17TRACK adapter."""

    @property
    def account_id(self) -> str: ...

    async def quota(self) -> Quota: ...


@dataclass(frozen=True, slots=True)
class QuotaRecord:
    """The remembered state: the last good answer (if any) and the last attempt."""

    account: str  # SeventeenTrackProvider.account_id: a new key or base_url asks again
    attempted_at: datetime
    checked_at: datetime | None = None  # when `quota` was answered
    quota: Quota | None = None
    error: str | None = None  # the last attempt's failure, already key-free and one line
    error_kind: str | None = None  # ProviderError.kind of that failure ("auth", ...)

    def to_json(self) -> str:
        return json.dumps({
            "account": self.account,
            "attempted_at": self.attempted_at.isoformat(),
            "checked_at": self.checked_at.isoformat() if self.checked_at else None,
            "quota": asdict(self.quota) if self.quota else None,
            "error": self.error,
            "error_kind": self.error_kind,
        })

    @classmethod
    def from_json(cls, text: str | None) -> QuotaRecord | None:
        """The record, or None for nothing stored or anything unreadable (then ask again)."""
        if not text:
            return None
        try:
            raw = json.loads(text)
            quota_raw = raw.get("quota")
            quota = Quota(**quota_raw) if isinstance(quota_raw, dict) else None
            checked = raw.get("checked_at")
            error = raw.get("error")
            kind = raw.get("error_kind")
            return cls(account=str(raw["account"]),
                       attempted_at=datetime.fromisoformat(raw["attempted_at"]),
                       checked_at=datetime.fromisoformat(checked) if checked else None,
                       quota=quota,
                       error=clean_line(error, limit=300) if error else None,
                       error_kind=clean_line(kind, limit=30) if kind else None)
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


def load(store: Store, account: str) -> QuotaRecord | None:
    """The remembered record for this account, or None."""
    record = QuotaRecord.from_json(store.get_meta(META_KEY))
    return record if record is not None and record.account == account else None


def is_due(record: QuotaRecord | None, now: datetime) -> bool:
    if record is None:
        return True
    age = now - record.attempted_at
    return age >= MIN_INTERVAL or age < -CLOCK_SKEW


async def refresh_if_due(store: Store, source: QuotaSource, now: datetime) -> QuotaRecord:
    """Ask 17TRACK for the quota unless someone did within the hour; return what is known.

    Provider errors are recorded, not raised: the quota is a side show and must never stop a
    refresh or reach the user as a traceback.
    """
    account = source.account_id
    raw = store.get_meta(META_KEY)
    stored = QuotaRecord.from_json(raw)
    record = stored if stored is not None and stored.account == account else None
    if record is not None and not is_due(record, now):
        return record
    claim = (replace(record, attempted_at=now) if record is not None
             else QuotaRecord(account=account, attempted_at=now))
    if not store.replace_meta(META_KEY, raw, claim.to_json()):
        # Another process claimed this hour's call first: use what it leaves.
        return load(store, account) or claim
    try:
        quota = await source.quota()
    except ProviderError as exc:
        done = replace(claim, error=clean_line(exc.message, limit=300), error_kind=exc.kind)
    else:
        done = QuotaRecord(account=account, attempted_at=now, checked_at=now, quota=quota)
    store.set_meta(META_KEY, done.to_json())
    return done


def source_of(providers: Mapping[str, Provider]) -> QuotaSource | None:
    """The configured provider that reports a quota (17TRACK with a key), if any."""
    provider = providers.get("17track")
    return provider if isinstance(provider, QuotaSource) else None


async def refresh_after_pass(store: Store, providers: Mapping[str, Provider],
                             health: Mapping[str, ProviderHealth],
                             now: datetime) -> QuotaRecord | None:
    """The check a refresh pass makes on its way out; skipped while the source is refused,
    gone or offline (the pass just said so; the answer would be the same failure)."""
    source = source_of(providers)
    if source is None:
        return None
    state = health.get("17track")
    if state is not None and state.state in _NOT_ASKING:
        return load(store, source.account_id)
    return await refresh_if_due(store, source, now)


def current_warning(store: Store, providers: Mapping[str, Provider]) -> str | None:
    """The low-quota warning from the remembered answer, for `--once`'s stderr."""
    source = source_of(providers)
    record = load(store, source.account_id) if source is not None else None
    if record is None or record.quota is None:
        return None
    return warning(record.quota)


def low_threshold(quota: Quota) -> int:
    """At or below this many registrations left, the quota is low (see the module docstring)."""
    total = quota.total if quota.total else quota.remain + (quota.used or 0)
    return max(LOW_FLOOR, math.ceil(total * LOW_FRACTION))


def low_hint(quota: Quota) -> str | None:
    """What to do when the quota is used up or low, in a phrase (`doctor`), else None."""
    if quota.remain == 0:
        return ("used up: new parcels cannot be registered (those already registered still "
                "update); add quota in the 17TRACK dashboard")
    if quota.remain <= low_threshold(quota):
        return (f"running low (warned at {low_threshold(quota)} or fewer): add quota in the "
                "17TRACK dashboard before it runs out")
    if quota.daily_limit and quota.today_used is not None and \
            quota.today_used >= quota.daily_limit * DAILY_WARN_FRACTION:
        return "daily limit nearly reached: new registrations may be refused until tomorrow"
    return None


def warning(quota: Quota) -> str | None:
    """One sentence when the quota is used up or running low, else None."""
    if quota.remain == 0:
        return ("17TRACK quota used up: new parcels cannot be registered (those already "
                "registered still update); add quota in the 17TRACK dashboard")
    if quota.remain <= low_threshold(quota):
        of = f" of {quota.total}" if quota.total else ""
        return (f"17TRACK quota low: {quota.remain}{of} registrations left (each new parcel "
                "uses one); add quota in the 17TRACK dashboard before it runs out")
    if quota.daily_limit and quota.today_used is not None and \
            quota.today_used >= quota.daily_limit * DAILY_WARN_FRACTION:
        return (f"17TRACK daily limit nearly reached: {quota.today_used} of "
                f"{quota.daily_limit} used today")
    return None


def header_words(record: QuotaRecord | None) -> tuple[str, str] | None:
    """(words, tone) for the monitor's header; tone is "ok", "warning", "error" or "muted"."""
    if record is None:
        return None
    quota = record.quota
    if quota is None:
        return ("quota ?", "muted") if record.error else None
    if quota.remain == 0:
        return "quota used up", "error"
    if warning(quota):
        return f"quota {quota.remain} left!", "warning"
    return f"quota {quota.remain}", "muted"


def describe(record: QuotaRecord, now: datetime, tz: tzinfo) -> str:
    """A sentence for `doctor`: what is left, and how old the answer is."""
    parts: list[str] = []
    quota = record.quota
    if quota is not None:
        of = f" of {quota.total}" if quota.total is not None else ""
        text = f"{quota.remain}{of} registrations left"
        if quota.today_used is not None:
            text += f", {quota.today_used} used today"
        if record.checked_at is not None:
            text += f" ({_when(record.checked_at, now, tz)})"
        parts.append(text)
    if record.error:
        parts.append(f"last attempt {_when(record.attempted_at, now, tz)} failed: "
                     f"{record.error}")
    return "; ".join(parts) or "not known yet"


def _when(moment: datetime, now: datetime, tz: tzinfo) -> str:
    age = now - moment
    if age < timedelta(minutes=1):
        return "asked just now"
    minutes = int(age.total_seconds() // 60)
    ago = f"{minutes} min ago" if minutes < 120 else f"{minutes // 60} h ago"
    return f"as of {format_clock(moment, now, tz)}, {ago}; asked at most hourly"

