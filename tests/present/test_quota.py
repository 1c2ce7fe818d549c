"""The 17TRACK quota: `getquota` over loopback, asked at most hourly across processes, warned."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest

from emstui.cli.once import run_once
from emstui.core.clock import FakeClock
from emstui.present import quota
from emstui.present.quota import QuotaRecord
from emstui.providers.base import (
    AuthenticationError,
    BadResponseError,
    MemoryRegistrations,
    TemporaryError,
)
from emstui.providers.quota import Quota, parse_quota
from emstui.providers.seventeentrack import SeventeenTrackProvider
from emstui.sim import SimServer
from emstui.store import Store

KEY = "k17-quota-Vb7Wq2Lm9"  # distinctive, so a leak is easy to spot
START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
EMS = ("EE123456785CN", "EA202611249CN", "EB271828189CN")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[SimServer]:
    with SimServer(api_key=KEY, quota=100, rate_limit=0, clock=clock) as server:
        yield server


def provider_for(sim: SimServer, clock: FakeClock, key: str = KEY) -> SeventeenTrackProvider:
    return SeventeenTrackProvider(api_key=key, registrations=MemoryRegistrations(), clock=clock,
                                  base_url=sim.url_17track)


@pytest.fixture
async def provider(sim: SimServer, clock: FakeClock) -> AsyncIterator[SeventeenTrackProvider]:
    p = provider_for(sim, clock)
    yield p
    await p.aclose()


def quota_calls(sim: SimServer) -> int:
    return sum(1 for r in sim.requests if r.path.endswith("/getquota"))


# ---- the provider method ------------------------------------------------------------------------


async def test_quota_reports_the_simulated_account_after_registrations(
        sim: SimServer, provider: SeventeenTrackProvider) -> None:
    await provider.track(list(EMS))  # three registrations
    answer = await provider.quota()
    assert answer == Quota(remain=97, total=100, used=3, today_used=3, daily_limit=10_000_000)


def test_sim_getquota_answers_with_exactly_the_fields_of_the_spec_example(
        sim: SimServer) -> None:
    # specs/17track.md section 9, the verbatim doc example's keys.
    import httpx

    reply = httpx.post(f"{sim.url_17track}/getquota", content=b"[]",
                       headers={"17token": KEY, "Content-Type": "application/json"})
    body = reply.json()
    assert reply.status_code == 200 and body["code"] == 0
    assert set(body["data"]) == {"quota_total", "quota_used", "quota_remain", "today_used",
                                 "max_track_daily", "free_email_quota", "free_email_quotaused"}


async def test_a_wrong_key_is_an_authentication_error_that_never_shows_the_key(
        sim: SimServer, clock: FakeClock) -> None:
    p = provider_for(sim, clock, key="wrong-quota-key-xyz")
    try:
        with pytest.raises(AuthenticationError) as info:
            await p.quota()
    finally:
        await p.aclose()
    text = str(info.value) + repr(info.value) + (info.value.detail or "")
    assert "wrong-quota-key-xyz" not in text


async def test_server_errors_and_html_pages_are_typed(
        sim: SimServer, provider: SeventeenTrackProvider) -> None:
    sim.faults.fail_next(1, 503, protocol="17track")
    with pytest.raises(TemporaryError, match="503"):
        await provider.quota()
    sim.faults.html_error_next(1, 200, protocol="17track")
    with pytest.raises(BadResponseError, match="HTML"):
        await provider.quota()


@pytest.mark.parametrize(("data", "remain"), [
    ({"quota_total": 100, "quota_used": 7}, 93),  # no quota_remain: derived
    ({"quota_remain": "42"}, 42),  # numbers as strings, as 17TRACK sends elsewhere
    ({"quota_remain": -3}, 0),
])
def test_parse_quota_tolerates_missing_and_odd_counts(data: dict[str, object],
                                                      remain: int) -> None:
    assert parse_quota(data).remain == remain


@pytest.mark.parametrize("data", [{}, {"quota_total": "lots"}, [], None, {"quota_remain": True}])
def test_parse_quota_without_a_remaining_count_is_a_bad_response(data: object) -> None:
    with pytest.raises(BadResponseError):
        parse_quota(data)


# ---- at most hourly, across processes -----------------------------------------------------------


async def test_asked_at_most_hourly_then_again_after_an_hour(
        sim: SimServer, provider: SeventeenTrackProvider, clock: FakeClock,
        tmp_path: Path) -> None:
    with Store(tmp_path / "h.sqlite3", clock=clock) as store:
        first = await quota.refresh_if_due(store, provider, clock.now())
        clock.advance(59 * 60)
        again = await quota.refresh_if_due(store, provider, clock.now())
        assert quota_calls(sim) == 1 and again == first
        clock.advance(60)
        later = await quota.refresh_if_due(store, provider, clock.now())
    assert quota_calls(sim) == 2
    assert later.checked_at == clock.now() and later.quota is not None


async def test_two_processes_sharing_a_store_ask_once_per_hour(
        sim: SimServer, clock: FakeClock, tmp_path: Path) -> None:
    # Two Store objects are two SQLite connections: what the monitor and cron each hold.
    path = tmp_path / "h.sqlite3"
    a, b = provider_for(sim, clock), provider_for(sim, clock)
    try:
        with Store(path, clock=clock) as monitor, Store(path, clock=clock) as cron:
            seen_by_monitor = await quota.refresh_if_due(monitor, a, clock.now())
            clock.advance(600)
            seen_by_cron = await quota.refresh_if_due(cron, b, clock.now())
    finally:
        await a.aclose()
        await b.aclose()
    assert quota_calls(sim) == 1
    assert seen_by_cron.quota == seen_by_monitor.quota
    assert seen_by_cron.checked_at == START


def test_only_one_of_two_racing_claims_wins(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "h.sqlite3"
    with Store(path, clock=clock) as one, Store(path, clock=clock) as two:
        seen = one.get_meta(quota.META_KEY)
        assert two.get_meta(quota.META_KEY) == seen
        assert one.replace_meta(quota.META_KEY, seen, "claimed by one")
        assert not two.replace_meta(quota.META_KEY, seen, "claimed by two")
        assert two.get_meta(quota.META_KEY) == "claimed by one"


async def test_a_failed_attempt_is_remembered_and_not_retried_within_the_hour(
        sim: SimServer, provider: SeventeenTrackProvider, clock: FakeClock,
        tmp_path: Path) -> None:
    with Store(tmp_path / "h.sqlite3", clock=clock) as store:
        good = await quota.refresh_if_due(store, provider, clock.now())
        clock.advance(3600)
        sim.faults.fail_next(5, 503, protocol="17track")
        failed = await quota.refresh_if_due(store, provider, clock.now())
        clock.advance(1800)
        still = await quota.refresh_if_due(store, provider, clock.now())
    assert quota_calls(sim) == 2
    assert failed.error is not None and "503" in failed.error
    assert failed.error_kind == "temporary"
    assert failed.quota == good.quota and failed.checked_at == START  # last answer kept
    assert still == failed


async def test_another_key_asks_again_at_once(
        sim: SimServer, provider: SeventeenTrackProvider, clock: FakeClock,
        tmp_path: Path) -> None:
    other = SeventeenTrackProvider(api_key="another-key", registrations=MemoryRegistrations(),
                                   clock=clock, base_url=sim.url_17track)
    try:
        with Store(tmp_path / "h.sqlite3", clock=clock) as store:
            await quota.refresh_if_due(store, provider, clock.now())
            refused = await quota.refresh_if_due(store, other, clock.now())
            stored = store.get_meta(quota.META_KEY) or ""
    finally:
        await other.aclose()
    assert quota_calls(sim) == 2
    assert refused.error_kind == "auth" and refused.quota is None
    assert KEY not in stored and "another-key" not in stored


def test_unreadable_or_foreign_records_are_treated_as_absent(tmp_path: Path) -> None:
    with Store(tmp_path / "h.sqlite3") as store:
        for junk in ("", "{", "[]", json.dumps({"account": "x"}),
                     json.dumps({"account": "x", "attempted_at": "yesterday"})):
            store.set_meta(quota.META_KEY, junk)
            assert quota.load(store, "x") is None
        record = QuotaRecord("x", START, START, Quota(remain=5))
        store.set_meta(quota.META_KEY, record.to_json())
        assert quota.load(store, "x") == record
        assert quota.load(store, "y") is None


def test_a_clock_set_back_does_not_silence_the_check() -> None:
    record = QuotaRecord("x", START + timedelta(hours=5))
    assert quota.is_due(record, START)
    assert not quota.is_due(QuotaRecord("x", START), START + timedelta(minutes=59))


# ---- the threshold ----------------------------------------------------------------------------


@pytest.mark.parametrize(("remain", "total", "low"), [
    (11, 100, False), (10, 100, True), (111, 1100, False), (110, 1100, True),
    (10, 20, True), (11, 20, False),  # small accounts: the floor of 10
])
def test_low_means_at_most_a_tenth_of_the_account_and_never_below_ten(
        remain: int, total: int, low: bool) -> None:
    answer = Quota(remain=remain, total=total, used=total - remain)
    assert (quota.warning(answer) is not None) == low


def test_used_up_and_daily_limit_warnings_say_what_to_do() -> None:
    used_up = quota.warning(Quota(remain=0, total=100, used=100))
    assert used_up is not None and "used up" in used_up and "dashboard" in used_up
    daily = quota.warning(Quota(remain=500, total=1000, used=500, today_used=95,
                                daily_limit=100))
    assert daily is not None and "95 of 100 used today" in daily
    assert quota.warning(Quota(remain=500, total=1000, used=500, today_used=10,
                               daily_limit=100)) is None


def test_header_words_and_tones() -> None:
    def words(**fields: object) -> tuple[str, str] | None:
        return quota.header_words(QuotaRecord("x", START, **fields))  # type: ignore[arg-type]

    assert words(quota=Quota(remain=98, total=100)) == ("quota 98", "muted")
    assert words(quota=Quota(remain=8, total=100)) == ("quota 8 left!", "warning")
    assert words(quota=Quota(remain=0, total=100)) == ("quota used up", "error")
    assert words(error="server error (HTTP 503)") == ("quota ?", "muted")
    assert words() is None and quota.header_words(None) is None


# ---- --once -----------------------------------------------------------------------------------


def write_config(path: Path, sim: SimServer, numbers: tuple[str, ...]) -> None:
    lines = ['[providers]', 'order = ["17track", "ems"]', '', '[providers.17track]',
             f'api_key = "{KEY}"', f'base_url = "{sim.url_17track}"', '', '[providers.ems]',
             f'base_url = "{sim.url_ems}"', '']
    for number in numbers:
        lines += ["[[parcels]]", f'number = "{number}"', ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    path.chmod(0o600)


def once(config: Path, clock: FakeClock) -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    code = run_once(config, out=out, err=err, clock=clock, include_all=True)
    return code, err.getvalue()


def test_once_warns_on_stderr_when_the_quota_runs_low(
        sim: SimServer, clock: FakeClock, isolated_home: Path) -> None:
    sim.track17.set_quota(12)
    config = isolated_home / "config" / "emstui" / "config.toml"
    write_config(config, sim, EMS)
    code, err = once(config, clock)
    assert code == 0
    assert "emstui: 17track: warning: 17TRACK quota low: 9 of 12 registrations left" in err
    assert KEY not in err


def test_once_is_quiet_about_a_healthy_quota_and_cron_asks_only_hourly(
        sim: SimServer, clock: FakeClock, isolated_home: Path) -> None:
    config = isolated_home / "config" / "emstui" / "config.toml"
    write_config(config, sim, EMS)
    for _ in range(4):  # cron every 15 minutes
        code, err = once(config, clock)
        assert code == 0 and "quota" not in err
        clock.advance(15 * 60)
    assert quota_calls(sim) == 1
    clock.advance(15 * 60)
    once(config, clock)
    assert quota_calls(sim) == 2


def test_once_with_ems_only_never_asks_for_a_quota(
        sim: SimServer, clock: FakeClock, isolated_home: Path) -> None:
    config = isolated_home / "config" / "emstui" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[providers]\norder = ["ems"]\n\n[providers.ems]\nbase_url = '
                      f'"{sim.url_ems}"\n\n[[parcels]]\nnumber = "{EMS[0]}"\n')
    code, _ = once(config, clock)
    assert code == 0 and quota_calls(sim) == 0
