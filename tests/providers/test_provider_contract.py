"""The provider contract: what every tracking source must do, run against each adapter.

Each test runs once per provider (EMS Cooperative, 17TRACK) against the simulator, or against a
canned loopback server for replies the real services never send on purpose (garbage, oversize
bodies, a key echoed back). What only one provider does is tested in its own file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hostile_checks import assert_hostile_text_inert
from loopback import Canned

from emstui.core.clock import FakeClock
from emstui.core.model import ErrorKind, Status
from emstui.providers import PROVIDER_IDS, PROVIDER_NAMES, make_provider
from emstui.providers import ems as ems_module
from emstui.providers import seventeentrack as seventeentrack_module
from emstui.providers.base import (
    BadResponseError,
    EndpointGoneError,
    MemoryRegistrations,
    NumberResult,
    Provider,
    ProviderError,
    RateLimitedError,
    TemporaryError,
)
from emstui.providers.http import HTML_BODY_CAP, JSON_BODY_CAP
from emstui.sim import SimServer
from emstui.sim.journeys import HOSTILE_BIDI, HOSTILE_CONTROL, HOSTILE_CSI, HOSTILE_HTML
from emstui.sim.numbers import make_number

KEY = "k17-Zq8XvT3m9LwP2rY6"  # distinctive, so a leak is easy to spot
NUMBER = "EE123456785CN"  # an EMS item: every provider tracks it
START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Side:
    """One provider as the contract sees it: how to build it and where it listens."""

    id: str
    default_url: str
    sim_url: Callable[[SimServer], str]
    unsupported: str  # a number it refuses without asking its server...
    unsupported_kind: ErrorKind  # ...with this error
    body_cap: int
    api_key: str | None = None

    @property
    def setting(self) -> str:
        return f"[providers.{self.id}]"

    def build(self, base_url: str, clock: FakeClock, registrations: MemoryRegistrations, *,
              timeout: float = 5.0, user_agent: str | None = None) -> Provider:
        provider = make_provider(self.id, clock=clock, registrations=registrations,
                                 api_key=self.api_key, base_url=base_url, timeout=timeout,
                                 user_agent=user_agent)
        assert provider is not None
        return provider

    def assert_no_key(self, error: BaseException) -> None:
        if self.api_key is None:
            return
        texts = [str(error), repr(error), getattr(error, "detail", "") or "",
                 getattr(error, "message", "")]
        for text in texts:
            assert self.api_key.lower() not in text.lower(), text


EMS = Side("ems", ems_module.DEFAULT_BASE_URL, lambda sim: sim.url_ems,
           unsupported="LX271828189CN", unsupported_kind=ErrorKind.UNSUPPORTED,
           body_cap=HTML_BODY_CAP)
SEVENTEEN = Side("17track", seventeentrack_module.DEFAULT_BASE_URL, lambda sim: sim.url_17track,
                 unsupported="AB12", unsupported_kind=ErrorKind.INVALID,
                 body_cap=JSON_BODY_CAP, api_key=KEY)
SIDES = [EMS, SEVENTEEN]
KEYED = [side for side in SIDES if side.api_key]


def test_the_contract_covers_every_provider() -> None:
    assert sorted(side.id for side in SIDES) == sorted(PROVIDER_IDS)


@pytest.fixture(params=SIDES, ids=lambda side: side.id)
def side(request: pytest.FixtureRequest) -> Side:
    return request.param


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[SimServer]:
    # A generous rate limit: these tests fire requests back to back in real time.
    with SimServer(clock=clock, api_key=KEY, quota=100, rate_limit=1000) as server:
        yield server


@pytest.fixture
async def on_sim(side: Side, sim: SimServer, clock: FakeClock) -> AsyncIterator[Provider]:
    provider = side.build(side.sim_url(sim), clock, MemoryRegistrations())
    yield provider
    await provider.aclose()


@pytest.fixture
def canned() -> Iterator[Canned]:
    with Canned("/track") as server:
        yield server


@pytest.fixture
async def on_canned(side: Side, canned: Canned, clock: FakeClock) -> AsyncIterator[Provider]:
    registrations = MemoryRegistrations()
    registrations.mark_registered(NUMBER, "17track", at=START)  # one request per track()
    provider = side.build(canned.url, clock, registrations)
    yield provider
    await provider.aclose()


async def track_failure(provider: Provider, side: Side) -> ProviderError:
    """The typed error one track() of NUMBER raises, checked to carry no API key."""
    with pytest.raises(ProviderError) as info:
        await provider.track([NUMBER])
    side.assert_no_key(info.value)
    return info.value


# -- construction ------------------------------------------------------------------------------

def test_factory_builds_each_provider_under_its_id_and_name(side: Side, clock: FakeClock) -> None:
    provider = side.build(side.default_url, clock, MemoryRegistrations())
    assert isinstance(provider, Provider)
    assert (provider.id, provider.name) == (side.id, PROVIDER_NAMES[side.id])
    caps = provider.capabilities
    assert caps.max_batch >= 1 and caps.concurrency >= 1 and caps.rate_per_second > 0


def test_factory_refuses_unknown_providers(clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="unknown provider 'ups'"):
        make_provider("ups", clock=clock, registrations=MemoryRegistrations())


def test_plain_http_to_the_real_host_is_refused_naming_the_setting(side: Side,
                                                                   clock: FakeClock) -> None:
    plain = side.default_url.replace("https://", "http://")
    with pytest.raises(ValueError, match=rf"\{side.setting} base_url"):
        side.build(plain, clock, MemoryRegistrations())


def test_a_user_agent_with_a_newline_is_refused_naming_the_setting(side: Side,
                                                                   clock: FakeClock) -> None:
    with pytest.raises(ValueError, match=rf"\{side.setting} user_agent"):
        side.build(side.default_url, clock, MemoryRegistrations(),
                   user_agent="Mozilla/5.0\r\nX-Evil: 1")


@pytest.mark.parametrize("side", KEYED, ids=lambda side: side.id)
def test_the_api_key_never_shows_in_the_providers_repr(side: Side, clock: FakeClock) -> None:
    provider = side.build(side.default_url, clock, MemoryRegistrations())
    assert KEY not in repr(provider) and KEY not in str(provider)


# -- tracking against the simulator ------------------------------------------------------------

async def test_a_journey_arrives_newest_first_with_its_status(
        sim: SimServer, on_sim: Provider, clock: FakeClock) -> None:
    journey = sim.journeys.assign(NUMBER, "normal", posted_at=clock.now() - timedelta(days=20))
    [result] = await on_sim.track([NUMBER])
    assert result.number == NUMBER and result.tracking is not None
    expected = list(reversed(journey.visible(sim.sim_now())))
    assert [e.code for e in result.tracking.events] == [e.code for e in expected]
    assert result.tracking.status is Status.DELIVERED


async def test_an_unchanged_parcel_keeps_its_fingerprint_and_a_new_event_changes_it(
        sim: SimServer, on_sim: Provider, clock: FakeClock) -> None:
    journey = sim.journeys.assign(NUMBER, "normal", posted_at=clock.now())
    clock.set(journey.events[2].time + timedelta(minutes=1))
    first = (await on_sim.track([NUMBER]))[0].tracking
    second = (await on_sim.track([NUMBER]))[0].tracking
    clock.set(journey.events[3].time + timedelta(minutes=1))
    third = (await on_sim.track([NUMBER]))[0].tracking
    assert first is not None and second is not None and third is not None
    assert first.fingerprint and first.fingerprint == second.fingerprint
    assert third.fingerprint != first.fingerprint
    assert len(third.events) == len(first.events) + 1


async def test_a_parcel_without_records_yet_is_not_found_not_a_failed_request(
        sim: SimServer, on_sim: Provider, clock: FakeClock) -> None:
    sim.journeys.assign(NUMBER, "no_records_48h", posted_at=clock.now() - timedelta(hours=2))
    [result] = await on_sim.track([NUMBER])
    if result.error is not None:
        assert result.error.kind is ErrorKind.NOT_FOUND and result.error.retryable
    else:
        assert result.tracking is not None and result.tracking.events == ()
        assert result.tracking.status is Status.NOT_FOUND


async def test_hostile_text_arrives_inert_with_markup_characters_intact(
        sim: SimServer, on_sim: Provider, clock: FakeClock) -> None:
    sim.journeys.assign(NUMBER, "hostile", posted_at=clock.now() - timedelta(days=30))
    [result] = await on_sim.track([NUMBER])
    joined = "\n".join(assert_hostile_text_inert(result.tracking))
    assert HOSTILE_CSI not in joined and HOSTILE_BIDI not in joined
    assert HOSTILE_CONTROL not in joined and HOSTILE_HTML in joined


async def test_an_unsupported_number_gets_a_final_error_without_a_request(
        side: Side, sim: SimServer, on_sim: Provider) -> None:
    assert not on_sim.supports(side.unsupported) and on_sim.supports(NUMBER)
    [result] = await on_sim.track([side.unsupported])
    assert result.number == side.unsupported and result.tracking is None
    assert result.error is not None and not result.error.retryable
    assert result.error.kind is side.unsupported_kind
    assert sim.requests == []


async def test_a_full_batch_gives_one_result_per_number_in_input_order(
        sim: SimServer, on_sim: Provider, clock: FakeClock) -> None:
    size = on_sim.capabilities.max_batch
    numbers = [make_number("EE", f"{i:08d}", "CN") for i in range(size, 0, -1)]
    for number in numbers:
        sim.journeys.assign(number, "normal", posted_at=clock.now() - timedelta(days=5))
    results = await on_sim.track(numbers)
    assert [r.number for r in results] == numbers
    assert all(isinstance(r, NumberResult) and r.ok for r in results)
    assert {n for r in sim.requests for n in r.numbers} == set(numbers)


async def test_requests_start_no_faster_than_the_advertised_rate(
        sim: SimServer, on_sim: Provider, clock: FakeClock) -> None:
    sim.journeys.assign(NUMBER, "normal", posted_at=clock.now() - timedelta(days=3))
    caps = on_sim.capabilities
    allowed = max(1, int(caps.rate_per_second))  # requests in any one second
    while sim.request_count() <= allowed:
        assert sum(clock.slept) == 0  # within the first second's allowance: no wait
        await on_sim.track([NUMBER])
    assert 1.0 <= sum(clock.slept) <= 1.0 + caps.min_interval + 0.05


# -- HTTP and transport faults from the simulator ----------------------------------------------

@pytest.mark.parametrize("status", [404, 410])
async def test_404_and_410_mean_the_endpoint_is_gone_naming_the_setting(
        side: Side, sim: SimServer, on_sim: Provider, status: int) -> None:
    sim.faults.fail_next(1, status, protocol=side.id)
    error = await track_failure(on_sim, side)
    assert isinstance(error, EndpointGoneError) and not error.retryable
    assert f"{side.setting} base_url" in error.message


async def test_a_base_url_the_server_does_not_know_is_endpoint_gone(
        side: Side, sim: SimServer, clock: FakeClock) -> None:
    provider = side.build(sim.base_url + "/nowhere", clock, MemoryRegistrations())
    try:
        error = await track_failure(provider, side)
    finally:
        await provider.aclose()
    assert isinstance(error, EndpointGoneError)


@pytest.mark.parametrize("http_date", [False, True])
async def test_429_carries_retry_after_in_both_forms(
        side: Side, sim: SimServer, on_sim: Provider, http_date: bool) -> None:
    sim.faults.burst_429(1, retry_after=42, http_date=http_date, protocol=side.id)
    error = await track_failure(on_sim, side)
    assert isinstance(error, RateLimitedError) and error.retry_after == 42.0


async def test_429_without_retry_after_leaves_the_wait_to_the_backoff(
        side: Side, sim: SimServer, on_sim: Provider) -> None:
    sim.faults.burst_429(1, retry_after=None, protocol=side.id)
    error = await track_failure(on_sim, side)
    assert isinstance(error, RateLimitedError) and error.retry_after is None


@pytest.mark.parametrize("status", [500, 503])
async def test_5xx_is_a_temporary_error_naming_the_status(
        side: Side, sim: SimServer, on_sim: Provider, status: int) -> None:
    sim.faults.fail_next(1, status, protocol=side.id)
    error = await track_failure(on_sim, side)
    assert type(error) is TemporaryError and str(status) in error.message
    assert error.retryable and not error.offline


@pytest.mark.parametrize(("status", "expected"), [(200, BadResponseError),
                                                  (502, TemporaryError)])
async def test_a_gateway_html_page_is_a_typed_error_with_its_text_as_detail(
        side: Side, sim: SimServer, on_sim: Provider, status: int,
        expected: type[ProviderError]) -> None:
    sim.faults.html_error_next(1, status, protocol=side.id)
    error = await track_failure(on_sim, side)
    assert type(error) is expected
    assert "502 Bad Gateway" in (error.detail or "")


async def test_a_truncated_body_is_temporary_not_offline(
        side: Side, sim: SimServer, on_sim: Provider, clock: FakeClock) -> None:
    sim.journeys.assign(NUMBER, "normal", posted_at=clock.now() - timedelta(days=3))
    sim.faults.truncate_next(1, protocol=side.id)
    error = await track_failure(on_sim, side)
    assert type(error) is TemporaryError and not error.offline


async def test_a_connection_reset_is_temporary_not_offline(
        side: Side, sim: SimServer, on_sim: Provider) -> None:
    sim.faults.reset_next(1, protocol=side.id)
    error = await track_failure(on_sim, side)
    assert type(error) is TemporaryError and not error.offline


async def test_a_server_that_is_down_means_offline(side: Side, sim: SimServer,
                                                   on_sim: Provider) -> None:
    sim.faults.set_down(True)
    error = await track_failure(on_sim, side)
    assert type(error) is TemporaryError and error.offline


async def test_the_next_request_after_a_fault_succeeds(
        side: Side, sim: SimServer, on_sim: Provider, clock: FakeClock) -> None:
    sim.journeys.assign(NUMBER, "normal", posted_at=clock.now() - timedelta(days=20))
    sim.faults.fail_next(1, 503, protocol=side.id)
    await track_failure(on_sim, side)
    [result] = await on_sim.track([NUMBER])
    assert result.ok


async def test_a_trickled_body_is_reassembled(side: Side, sim: SimServer, on_sim: Provider,
                                              clock: FakeClock) -> None:
    sim.journeys.assign(NUMBER, "normal", posted_at=clock.now() - timedelta(days=20))
    sim.faults.trickle(chunk_size=7, delay=0.0, protocol=side.id)
    [result] = await on_sim.track([NUMBER])
    assert result.ok and len(result.tracking.events) >= 6  # type: ignore[union-attr]


async def test_a_trickle_past_the_deadline_is_temporary(
        side: Side, sim: SimServer, clock: FakeClock) -> None:
    sim.journeys.assign(NUMBER, "normal", posted_at=clock.now() - timedelta(days=20))
    sim.faults.trickle(chunk_size=8, delay=0.05, n=1, protocol=side.id)
    # Every chunk beats the 0.2 s read timeout; the whole exchange does not.
    provider = side.build(side.sim_url(sim), clock, MemoryRegistrations(), timeout=0.2)
    try:
        error = await track_failure(provider, side)
    finally:
        await provider.aclose()
    assert type(error) is TemporaryError and "no complete response within" in error.message


async def test_a_server_slower_than_the_timeout_is_temporary(
        side: Side, sim: SimServer, clock: FakeClock) -> None:
    sim.faults.set_latency(0.3, protocol=side.id)
    provider = side.build(side.sim_url(sim), clock, MemoryRegistrations(), timeout=0.1)
    try:
        error = await track_failure(provider, side)
    finally:
        await provider.aclose()
    assert type(error) is TemporaryError and error.retryable and not error.offline


# -- replies the real services never send on purpose (canned, over loopback) -------------------

GARBAGE: list[tuple[bytes, str, str | None]] = [
    (b"<html><body><h1>We moved!\x1b[2J</h1><p>New site soon</p></body></html>", "text/html",
     "We moved!"),
    (b"\x00\xff\xfe\x1b]0;pwned\x07" + bytes(range(256)) * 4, "application/octet-stream", None),
    (b'{"code": 0, "data": {"acc', "application/json", None),
    (b"", "text/html", None),
]


@pytest.mark.parametrize(("body", "content_type", "words"), GARBAGE,
                         ids=["html", "binary", "cut-json", "empty"])
async def test_garbage_is_a_bad_response_with_a_clean_excerpt(
        side: Side, canned: Canned, on_canned: Provider, body: bytes, content_type: str,
        words: str | None) -> None:
    canned.reply(body, content_type=content_type)
    error = await track_failure(on_canned, side)
    assert type(error) is BadResponseError
    detail = error.detail or ""
    assert not any(ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f for c in detail), detail
    assert len(detail) <= 200
    if words is not None:
        assert words in detail


async def test_a_body_over_the_size_cap_is_refused(side: Side, canned: Canned,
                                                  on_canned: Provider) -> None:
    canned.reply(b"<!--" + b"x" * side.body_cap + b"-->")
    error = await track_failure(on_canned, side)
    assert type(error) is BadResponseError and "too large" in error.message


async def test_a_redirect_is_not_followed(side: Side, canned: Canned,
                                          on_canned: Provider) -> None:
    canned.reply(b"moved", status=302, headers={"Location": "http://elsewhere.invalid/x"})
    error = await track_failure(on_canned, side)
    assert type(error) is BadResponseError and "redirect" in error.message
    assert len(canned.seen) == 1


async def test_the_configured_user_agent_is_sent_as_given(side: Side, canned: Canned,
                                                          clock: FakeClock) -> None:
    provider = side.build(canned.url, clock, MemoryRegistrations(),
                          user_agent="Mozilla/5.0 (custom) emstui")
    try:
        await provider.track([NUMBER])  # the empty queue answers 500: only the request counts
    except TemporaryError:
        pass
    finally:
        await provider.aclose()
    assert canned.seen[0].headers["User-Agent"] == "Mozilla/5.0 (custom) emstui"


@pytest.mark.parametrize("side", KEYED, ids=lambda side: side.id)
@pytest.mark.parametrize(("body", "status", "content_type"), [
    (f"<html>token {KEY}</html>", 200, "text/html"),
    (f"upstream failed for 17token={KEY}", 503, "text/plain"),
    (f"slow down, {KEY}", 429, "text/plain"),
    (f"not json {KEY.upper()}", 200, "application/json"),
    (f"gone: {KEY}", 404, "text/plain"),
], ids=["html", "5xx", "429", "garbage", "404"])
async def test_a_server_echoing_the_key_never_leaks_it(
        side: Side, canned: Canned, on_canned: Provider, body: str, status: int,
        content_type: str) -> None:
    canned.reply(body, status=status, content_type=content_type)
    error = await track_failure(on_canned, side)  # checks str, repr, message and detail
    assert error.detail is None or "[redacted]" in error.detail or KEY not in body
